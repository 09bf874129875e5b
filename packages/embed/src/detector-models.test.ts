// The detector built for any input size at install (scripts/detector-models.mjs, run by
// scripts/fetch-models.mjs): same bytes on every build; at the npm graph's own 320×240 it scores every prior
// as the npm graph does and decodes the same boxes; the finer passes it runs over whole reduced photos (and
// tiles beyond PASS_WINDOW, and strips a few cells high) find the faces.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { DET_H, DET_W, runAnySize } from './detect.js';
import { DERIVED_MODEL_FILES, type Sessions, defaultModelPath, loadSessions, modelHash, modelsDir } from './models.js';
import { detectFaces } from './pipeline.js';
import { dataDir, hasData, packageRoot } from './test-data.js';

type Bytes = Uint8Array;
const script = (name: string) => pathToFileURL(path.join(packageRoot, 'scripts', name)).href;
const { buildAnySizeDetector } = (await import(script('detector-models.mjs'))) as { buildAnySizeDetector(detect: Bytes): Bytes };
const { DERIVED_MODELS } = (await import(script('fetch-models.mjs'))) as { DERIVED_MODELS: Record<string, string> };
const sha256 = (b: Bytes) => createHash('sha256').update(b).digest('hex');

describe('building the any-size detector', () => {
  it('gives the same bytes on every build, the SHA-256 sum pinned in fetch-models.mjs, and the file in models/', () => {
    const npm = readFileSync(defaultModelPath('detect'));
    const a = buildAnySizeDetector(npm);
    expect(Buffer.compare(a, buildAnySizeDetector(npm))).toBe(0);
    expect(sha256(a)).toBe(DERIVED_MODELS[DERIVED_MODEL_FILES.detectAnySize]);
    expect(modelHash(path.join(modelsDir(), DERIVED_MODEL_FILES.detectAnySize))).toBe(sha256(a));
  });

  it('refuses a detector that is not the 320×240 graph it knows', () => {
    expect(() => buildAnySizeDetector(readFileSync(defaultModelPath('landmark')))).toThrow(/detector-models: expected one input \[1,3,240,320\]/);
  });
});

describe.skipIf(!hasData)('the any-size detector at 320×240 is the npm detector', () => {
  let sessions: Sessions;
  beforeAll(async () => {
    sessions = await loadSessions();
  });

  it.each(['faceapi_bbt1.jpg', 'facerec_two_people.jpg'])('%s: every prior scored alike, and the boxes decoded alike', async (file) => {
    const rgb = await sharp(path.join(dataDir, 'groups', file)).rotate().resize(DET_W, DET_H, { fit: 'fill' }).removeAlpha().raw().toBuffer();
    const planes = new Float32Array(3 * DET_W * DET_H);
    for (let i = 0; i < DET_W * DET_H; i++) for (let c = 0; c < 3; c++) planes[c * DET_W * DET_H + i] = (rgb[3 * i + c] - 127) / 128;
    const npm = await sessions.detect.run({ input: new ort.Tensor('float32', planes, [1, 3, DET_H, DET_W]) });
    const scores = npm.scores.data as Float32Array, boxes = npm.boxes.data as Float32Array;
    const mine = await runAnySize(sessions.detectAnySize, new Uint8Array(rgb), DET_W, DET_H, -Infinity);
    expect(mine).toHaveLength(scores.length / 2);
    expect(mine.filter((d) => d.score >= 0.7).length).toBeGreaterThan(0);
    // the 8- and 16-px heads (3·40·30 + 2·20·15 priors) fit 320×240 in whole cells; the coarser heads spread
    // their rows over 240 px (runAnySize), so only their x is the npm graph's
    const wholeCells = 3 * 40 * 30 + 2 * 20 * 15;
    mine.forEach((d, i) => {
      expect(Math.abs(d.score - scores[2 * i + 1])).toBeLessThan(1e-6);
      expect(Math.abs(d.x1 - boxes[4 * i] * DET_W)).toBeLessThan(1e-3);
      expect(Math.abs(d.x2 - boxes[4 * i + 2] * DET_W)).toBeLessThan(1e-3);
      if (i < wholeCells) {
        expect(Math.abs(d.y1 - boxes[4 * i + 1] * DET_H)).toBeLessThan(1e-3);
        expect(Math.abs(d.y2 - boxes[4 * i + 3] * DET_H)).toBeLessThan(1e-3);
      }
    });
  });
});

describe.skipIf(!hasData)('finer passes over whole reduced photos', () => {
  const counted = new Map(readFileSync(path.join(dataDir, 'groups/faces.tsv'), 'utf8').trim().split('\n').slice(1)
    .map((l) => l.split('\t')).map(([file, n]) => [file, Number(n)]));
  const at12mp = async (file: string) => {
    const upright = await sharp(path.join(dataDir, 'groups', file)).rotate().toBuffer({ resolveWithObject: true });
    const k = Math.sqrt(12e6 / (upright.info.width * upright.info.height));
    return sharp(upright.data).resize(Math.round(upright.info.width * k)).jpeg({ quality: 90 }).toBuffer();
  };

  it('a pass larger than one window (maxDetectSide 3000 on 12 MP) is tiled and finds the faces counted by eye', async () => {
    const file = 'faceapi_bbt1.jpg';
    const faces = await detectFaces(await at12mp(file), { maxDetectSide: 3000 });
    expect(faces).toHaveLength(counted.get(file)!);
  });

  it('a panorama strip, whose finest pass is 1600×120, finds its two faces', async () => {
    const two = await sharp(path.join(dataDir, 'groups/facerec_two_people.jpg')).rotate().resize({ height: 600 }).toBuffer();
    const strip = await sharp({ create: { width: 8000, height: 600, channels: 3, background: { r: 120, g: 120, b: 120 } } })
      .composite([{ input: two, left: 3000, top: 0 }]).jpeg({ quality: 92 }).toBuffer();
    const faces = await detectFaces(strip);
    expect(faces).toHaveLength(counted.get('facerec_two_people.jpg')!);
    for (const f of faces) expect(f.box[0]).toBeGreaterThan(3000);
  });
});
