import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { detectionScales, nms } from './detect.js';
import { type FaceRecord, detectFaces, embedFace } from './pipeline.js';
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

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);

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

  // 12 MP photos are decoded reduced to the finest detection pass (resolutionPlan); small faces are looked at
  // again in full-resolution pixels (viewsFor)
  it.each(rows)('$file upscaled to 12 MP: the $n faces counted by eye, the same as at its own size, each once', async ({ file, n }) => {
    const full = path.join(dataDir, 'groups', file);
    const upright = await sharp(full).rotate().toBuffer({ resolveWithObject: true });
    const k = Math.sqrt(12e6 / (upright.info.width * upright.info.height));
    const big = await sharp(upright.data).resize(Math.round(upright.info.width * k)).jpeg({ quality: 90 }).toBuffer();
    const small = await detectFaces(full);
    const faces = await detectFaces(big);
    expect(faces.length).toBeGreaterThanOrEqual(n);
    expect(faces.length).toBeLessThanOrEqual(n + (ALLOWED_EXTRA[file] ?? 0));
    expect(faces).toHaveLength(small.length);
    // each face at the same place, scaled, in the 12 MP photo's own pixels
    for (const f of small) {
      const cx = (f.box[0] + f.box[2] / 2) * k, cy = (f.box[1] + f.box[3] / 2) * k;
      expect(faces.some((g) => Math.abs(g.box[0] + g.box[2] / 2 - cx) < 0.25 * g.box[2] && Math.abs(g.box[1] + g.box[3] / 2 - cy) < 0.25 * g.box[3])).toBe(true);
    }
  });

  it.each([
    { background: 'faceapi_bbt2.jpg', left: 2900, top: 2400 },
    { background: 'facerec_two_people.jpg', left: 1900, top: 100 },
  ])('a face 40 px high in a 12 MP photo ($background, at $left,$top) is found, and aligned from full-resolution pixels', async ({ background, left, top }) => {
    const lfw = path.join(dataDir, 'lfw-dev/George_W_Bush/George_W_Bush_0005.jpg');
    const [ref] = await embedFace(lfw);
    const k = 40 / ref.box[3];
    const face = await sharp(lfw).resize(Math.round(250 * k)).toBuffer();
    const photo = await sharp(path.join(dataDir, 'groups', background)).resize(4000, 3000, { fit: 'fill' })
      .composite([{ input: face, left, top }]).jpeg({ quality: 92 }).toBuffer();
    const cx = left + (ref.box[0] + ref.box[2] / 2) * k, cy = top + (ref.box[1] + ref.box[3] / 2) * k;
    const at = (faces: FaceRecord[], dx = 0, dy = 0) => faces.find((g) => Math.hypot(g.box[0] + dx + g.box[2] / 2 - cx, g.box[1] + dy + g.box[3] / 2 - cy) < 12);
    const found = at(await embedFace(photo));
    expect(found).toBeDefined();
    const f = found!;
    expect(f.box[3]).toBeGreaterThan(30);
    expect(f.box[3]).toBeLessThan(50);
    for (let i = 0; i < 10; i += 2) {
      expect(f.landmarks[i]).toBeGreaterThan(f.box[0]);
      expect(f.landmarks[i]).toBeLessThan(f.box[0] + f.box[2]);
    }
    // the same pixels in a 1200×900 cut, which is decoded whole: the same face, embedded alike (aligned from
    // the 1600-px reduced image, where it is 16 px high, it is not even kept as a face)
    const cl = Math.round(Math.min(2800, Math.max(0, cx - 600))), ct = Math.round(Math.min(2100, Math.max(0, cy - 450)));
    const cut = await sharp(photo).extract({ left: cl, top: ct, width: 1200, height: 900 }).png().toBuffer();
    const same = at(await embedFace(cut), cl, ct);
    expect(same).toBeDefined();
    expect(dot(f.embedding, same!.embedding)).toBeGreaterThan(0.98);
    // and the person of the LFW photo (euclidean distance under lfw-dev's threshold 1.165: README, "Measured")
    expect(Math.sqrt(2 - 2 * dot(f.embedding, ref.embedding))).toBeLessThan(1.165);
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
