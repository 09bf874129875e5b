import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARCFACE_TEMPLATE, type Affine, alignFace, applyAffine, invertAffine, landmarks68to5, similarityTransform, warpAffine } from './align.js';
import { embedFace } from './pipeline.js';
import { dataDir, hasData } from './test-data.js';

const close = (a: number[], b: readonly number[], tol: number) => a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(tol));

describe('similarityTransform (Umeyama)', () => {
  it('recovers a known rotation, scale and translation exactly', () => {
    const theta = 0.3, scale = 2.5, tx = 40, ty = -7;
    const truth: Affine = [scale * Math.cos(theta), -scale * Math.sin(theta), tx, scale * Math.sin(theta), scale * Math.cos(theta), ty];
    const src = applyAffine(invertAffine(truth), ARCFACE_TEMPLATE);
    const m = similarityTransform(src, ARCFACE_TEMPLATE);
    close(m, truth, 1e-9);
    close(applyAffine(m, src), ARCFACE_TEMPLATE, 1e-9);
  });

  it('is the least-squares fit when the points are noisy (residual is orthogonal to the model)', () => {
    const src = [10, 10, 50, 12, 30, 35, 14, 60, 48, 58];
    const dst = [38, 52, 73, 51, 57, 73, 41, 92, 70, 93];
    const m = similarityTransform(src, dst);
    const cost = (mm: Affine) => applyAffine(mm, src).reduce((s, v, i) => s + (v - dst[i]) ** 2, 0);
    const c0 = cost(m);
    for (const [da, db] of [[1e-3, 0], [-1e-3, 0], [0, 1e-3], [0, -1e-3]]) {
      const p: Affine = [m[0] + da, m[1] - db, m[2], m[3] + db, m[4] + da, m[5]];
      expect(cost(p)).toBeGreaterThan(c0);
    }
    expect(m[0]).toBeCloseTo(m[4], 12); // a similarity: no shear, no anisotropic scale
    expect(m[1]).toBeCloseTo(-m[3], 12);
  });

  it('never reflects: mirrored points give a rotation, not a flip', () => {
    const mirrored = ARCFACE_TEMPLATE.map((v, i) => (i % 2 === 0 ? 112 - v : v));
    const m = similarityTransform(mirrored, ARCFACE_TEMPLATE);
    expect(m[0] * m[4] - m[1] * m[3]).toBeGreaterThan(0);
  });

  it('BAD CALL – rejects mismatched or degenerate points', () => {
    expect(() => similarityTransform([1, 2, 3, 4], [1, 2])).toThrow(RangeError);
    expect(() => similarityTransform([1, 1, 1, 1], [0, 0, 5, 5])).toThrow(/degenerate/);
  });
});

describe('landmarks68to5', () => {
  it('averages the eyelid points and takes nose tip and mouth corners', () => {
    const p = new Float32Array(136);
    for (let i = 0; i < 68; i++) { p[2 * i] = i; p[2 * i + 1] = 100 + i; }
    expect(landmarks68to5(p)).toEqual([(37 + 38 + 40 + 41) / 4, 100 + 39, (43 + 44 + 46 + 47) / 4, 100 + 45, 30, 130, 54, 154, 59, 159]);
  });
});

describe('warpAffine', () => {
  it('identity reproduces the image; a translation shifts it with black borders', () => {
    const w = 7, h = 5;
    const src = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37) % 256);
    expect(warpAffine(src, w, h, 3, [1, 0, 0, 0, 1, 0], w, h)).toEqual(src);
    const shifted = warpAffine(src, w, h, 3, [1, 0, 2, 0, 1, 0], w, h);
    expect(shifted[0]).toBe(src[6]);
    expect(shifted[(w - 1) * 3]).toBe(0);
  });

  it('the 3-channel fast path gives the same bytes as the general loop run on each channel alone', () => {
    const w = 61, h = 47;
    const src = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 7919 + (i >> 5) * 31) % 256);
    const plane = (c: number) => Uint8Array.from({ length: w * h }, (_, i) => src[3 * i + c]);
    const transforms: Affine[] = [
      [1, 0, 0, 0, 1, 0], // identity
      [0.93, -0.31, 9.2, 0.31, 0.93, -4.7], // rotation, partly outside: border taps
      [3.4, 0.6, -20, -0.6, 3.4, -15], // strong shrink: k×k supersampling
      [0.21, 0, 3.3, 0, 0.25, 2.1], // enlargement
    ];
    for (const inv of transforms) {
      const rgb = warpAffine(src, w, h, 3, inv, 40, 33);
      const planes = [0, 1, 2].map((c) => warpAffine(plane(c), w, h, 1, inv, 40, 33));
      const interleaved = Uint8Array.from({ length: rgb.length }, (_, i) => planes[i % 3][Math.floor(i / 3)]);
      expect(rgb).toEqual(interleaved);
    }
  });

  it('lands the 5 source points on the template in the aligned crop', () => {
    // a synthetic image with a bright dot at each source point; after alignment the dots sit on the template
    const W = 300, H = 260;
    const img = new Uint8Array(W * H * 3);
    const pts = [120, 100, 190, 110, 150, 150, 120, 190, 180, 198];
    for (let k = 0; k < 5; k++) {
      for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) {
        const o = ((pts[2 * k + 1] + dy) * W + pts[2 * k] + dx) * 3;
        img[o] = img[o + 1] = img[o + 2] = 255;
      }
    }
    const { crop, transform } = alignFace(img, W, H, pts);
    const mapped = applyAffine(transform, pts);
    for (let k = 0; k < 5; k++) {
      const x = Math.round(mapped[2 * k]), y = Math.round(mapped[2 * k + 1]);
      expect(crop[(y * 112 + x) * 3]).toBeGreaterThan(100);
    }
    // eyes are exactly on the template up to the least-squares residual of these (non-template-shaped) points
    close(mapped.slice(0, 4), ARCFACE_TEMPLATE.slice(0, 4), 6);
  });
});

describe.skipIf(!hasData)('alignment on a real face', () => {
  it('the detected eyes of an LFW face map onto the template eyes within 3 px', async () => {
    const file = path.join(dataDir, 'lfw-dev/George_W_Bush/George_W_Bush_0001.jpg');
    const faces = await embedFace(file);
    const main = faces.reduce((a, b) => (b.box[2] * b.box[3] > a.box[2] * a.box[3] ? b : a));
    const m = similarityTransform(main.landmarks, ARCFACE_TEMPLATE);
    const mapped = applyAffine(m, main.landmarks);
    close(mapped.slice(0, 4), ARCFACE_TEMPLATE.slice(0, 4), 3);
    // and the eyes really are where the landmarks say: inside the upper half of the box, left of right
    const [x, y, w, h] = main.box;
    expect(main.landmarks[0]).toBeLessThan(main.landmarks[2]);
    for (const k of [0, 1]) {
      expect(main.landmarks[2 * k]).toBeGreaterThan(x);
      expect(main.landmarks[2 * k]).toBeLessThan(x + w);
      expect(main.landmarks[2 * k + 1]).toBeGreaterThan(y);
      expect(main.landmarks[2 * k + 1]).toBeLessThan(y + h / 2 + h * 0.1);
    }
  });
});
