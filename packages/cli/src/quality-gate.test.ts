import { chineseWhispers } from '@faceclust/cluster';
import { describe, expect, it } from 'vitest';
import { faceQuality, keptRows, qualityGate, spreadLabels } from './quality-gate.js';

const faces = [
  { score: 0.99, quality: { sharpness: 150, size: 120 } }, // good
  { score: 0.99, quality: { sharpness: 20, size: 120 } }, // blurry
  { score: 0.99, quality: { sharpness: 150, size: 24 } }, // tiny
  { score: 0.55, quality: { sharpness: 150, size: 120 } }, // doubtful detection
  { score: 0.9 }, // stored without quality
];

describe('quality gate', () => {
  it('scores a face by its weakest aspect', () => {
    expect(faces.map(faceQuality)).toEqual([0.99, 0.2, 0.3, 0.55, 0.9]);
  });

  it('rejects with the reason, never silently, and keeps the rest in order', () => {
    const g = qualityGate(faces, { minFaceQuality: 0.5, minFaceSize: 40 });
    expect(Array.from(g.kept)).toEqual([0, 3]);
    expect(g.rejected).toBe(3);
    expect(g.reasons).toEqual([
      null,
      'quality 0.20 < --min-face-quality 0.5 (confidence 0.99, sharpness 20, size 120 px)',
      'face 24 px < --min-face-size 40; quality 0.30 < --min-face-quality 0.5 (confidence 0.99, sharpness 150, size 24 px)',
      null,
      'face size unknown',
    ]);
    expect(qualityGate(faces).rejected).toBe(0);
  });

  it('rejected faces stay out of the graph and come back as no_class', async () => {
    // two tight pairs bridged by a blurry face in the middle: without the gate they merge
    const v = Float32Array.from([0, 0, 0.5, 0, 1, 0, 1.5, 0, 2, 0]);
    const gateFaces = [faces[0], faces[0], faces[1], faces[0], faces[0]];
    const all = await chineseWhispers(v, 2, { threshold: 0.6, backend: 'ts' });
    expect(all.clusterCount).toBe(1);
    const g = qualityGate(gateFaces, { minFaceQuality: 0.5 });
    const res = await chineseWhispers(keptRows(v, 2, g.kept), 2, { threshold: 0.6, backend: 'ts' });
    expect(Array.from(spreadLabels(res.labels, g.kept, 5))).toEqual([0, 0, -1, 1, 1]);
  });

  it('BAD CALL – thresholds are checked', () => {
    expect(() => qualityGate(faces, { minFaceQuality: 2 })).toThrow(new RangeError('Expected minFaceQuality to be a finite number >= 0 and <= 1 but received 2'));
    expect(() => qualityGate(faces, { minFaceSize: 'big' as never })).toThrow(new TypeError('Expected minFaceSize to be a finite number >= 0 but received "big" of type string'));
  });
});

describe('--min-face-quality / --min-face-size', () => {
  it('parse as numbers, off when absent, usage errors naming the flag', async () => {
    const { parseGateFlags } = await import('./commands/cluster-flags.js');
    expect(parseGateFlags({})).toEqual({});
    expect(parseGateFlags({ minFaceQuality: '0.4', minFaceSize: '48' })).toEqual({ minFaceQuality: 0.4, minFaceSize: 48 });
    expect(() => parseGateFlags({ minFaceQuality: '2' })).toThrow('Invalid value for --min-face-quality: expected a finite number >= 0 and <= 1 but received "2"');
    expect(() => parseGateFlags({ minFaceSize: 'big' })).toThrow('Invalid value for --min-face-size: expected a finite number >= 0 but received "big"');
  });
});
