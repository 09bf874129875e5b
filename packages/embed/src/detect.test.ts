import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { detectionScales, nms } from './detect.js';
import { detectFaces } from './pipeline.js';
import { dataDir, hasData } from './test-data.js';

describe('nms', () => {
  it("keeps the best of overlapping boxes and drops a box lying inside a larger one, even when it scores higher", () => {
    const kept = nms(
      [
        { x1: 0, y1: 0, x2: 10, y2: 10, score: 0.9 },
        { x1: 1, y1: 1, x2: 11, y2: 11, score: 0.95 },
        { x1: 3, y1: 3, x2: 6, y2: 6, score: 0.99 }, // inside: a mouth or eye firing on its own
        { x1: 20, y1: 0, x2: 30, y2: 10, score: 0.8 },
      ],
      0.4,
    );
    expect(kept.map((d) => d.score)).toEqual([0.95, 0.8]);
  });
});

describe('detectionScales', () => {
  it('one pass for a photo no bigger than the detector input; coarse-to-fine passes for a large one', () => {
    expect(detectionScales(250 / 240, 1)).toEqual([250 / 240]); // an LFW photo
    expect(detectionScales(12.5, 2.5)).toEqual([12.5, 2.5, 5]); // 4000×3000 capped at 1600 px: 3 passes
    expect(detectionScales(1366 / 320, 1)).toEqual([1366 / 320, 1, 2]);
  });
});

// faces.tsv counts by eye; its notes allow these extra faces (small or partial people that "may be found")
const ALLOWED_EXTRA: Record<string, number> = { 'faceapi_bbt2.jpg': 1, 'facerec_obama_and_biden.jpg': 2 };

describe.skipIf(!hasData)('detection on groups/', () => {
  const tsv = readFileSync(path.join(dataDir, 'groups/faces.tsv'), 'utf8').trim().split('\n').slice(1);
  const rows = tsv.map((l) => l.split('\t')).map(([file, n]) => ({ file, n: Number(n) }));

  it.each(rows)('$file: $n faces counted by eye', async ({ file, n }) => {
    const full = path.join(dataDir, 'groups', file);
    const { width, height } = await sharp(full).rotate().metadata().then((m) => ((m.orientation ?? 1) >= 5 ? { width: m.height!, height: m.width! } : { width: m.width!, height: m.height! }));
    const faces = await detectFaces(full);
    expect(faces.length).toBeGreaterThanOrEqual(n);
    expect(faces.length).toBeLessThanOrEqual(n + (ALLOWED_EXTRA[file] ?? 0));
    for (const f of faces) {
      const [x, y, w, h] = f.box;
      expect(x).toBeGreaterThanOrEqual(0);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(x + w).toBeLessThanOrEqual(width + 1);
      expect(y + h).toBeLessThanOrEqual(height + 1);
      expect(f.score).toBeGreaterThanOrEqual(0.75);
      expect(f.landmarks).toHaveLength(10);
      // eyes above the mouth, left eye left of the right eye: a face, upright
      expect(f.landmarks[0]).toBeLessThan(f.landmarks[2]);
      expect(Math.max(f.landmarks[1], f.landmarks[3])).toBeLessThan(Math.min(f.landmarks[7], f.landmarks[9]));
    }
  });

  it.each(['faceapi_bbt5.jpg', 'faceapi_bbt3.jpg'])('%s upscaled to 12 MP: the same faces, each once', async (file) => {
    const full = path.join(dataDir, 'groups', file);
    const m = await sharp(full).metadata();
    const k = Math.sqrt(12e6 / (m.width! * m.height!));
    const big = await sharp(full).resize(Math.round(m.width! * k)).jpeg({ quality: 90 }).toBuffer();
    const small = await detectFaces(full);
    const faces = await detectFaces(big);
    expect(faces).toHaveLength(small.length);
    // each face at the same place, scaled
    for (const f of small) {
      const cx = (f.box[0] + f.box[2] / 2) * k, cy = (f.box[1] + f.box[3] / 2) * k;
      expect(faces.some((g) => Math.abs(g.box[0] + g.box[2] / 2 - cx) < 0.25 * g.box[2] && Math.abs(g.box[1] + g.box[3] / 2 - cy) < 0.25 * g.box[3])).toBe(true);
    }
  });

  it('finds no face on a flat or noisy background', async () => {
    const gray = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 128, g: 128, b: 128 } } }).png().toBuffer();
    expect(await detectFaces(gray)).toEqual([]);
    const noise = Buffer.alloc(640 * 480 * 3);
    let s = 1;
    for (let i = 0; i < noise.length; i++) noise[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
    const png = await sharp(noise, { raw: { width: 640, height: 480, channels: 3 } }).png().toBuffer();
    expect(await detectFaces(png)).toEqual([]);
  });

  it('a higher minFaceSize drops the small faces', async () => {
    const file = path.join(dataDir, 'groups/faceapi_bbt3.jpg');
    const all = await detectFaces(file);
    const big = await detectFaces(file, { minFaceSize: 70 });
    expect(big.length).toBeLessThan(all.length);
    for (const f of big) expect(f.box[3]).toBeGreaterThanOrEqual(70);
  });

  it('BAD CALL – options are validated', async () => {
    await expect(detectFaces(path.join(dataDir, 'groups/faceapi_bbt3.jpg'), { detectionThreshold: 2 })).rejects.toThrow(
      new RangeError('Expected a number > 0 and <= 1 for detectionThreshold but received 2'),
    );
    await expect(detectFaces(42 as never)).rejects.toThrow(new TypeError('Expected a file path or a Buffer for image but received 42 of type number'));
  });
});
