import * as ort from 'onnxruntime-node';
import type { Sessions } from './models.js';

/**
 * Embeds one aligned 112×112 RGB crop: (p − mean) / std in CHW order, model output L2-normalised. `norm` is
 * the output's length before normalising: ArcFace-style models give non-faces and unusable faces a short one.
 */
export async function embedCrop(sessions: Sessions, crop: Uint8Array): Promise<{ embedding: Float32Array; norm: number }> {
  const { mean, std } = sessions.normalization;
  const plane = 112 * 112;
  const input = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    input[i] = (crop[3 * i] - mean) / std;
    input[plane + i] = (crop[3 * i + 1] - mean) / std;
    input[2 * plane + i] = (crop[3 * i + 2] - mean) / std;
  }
  const out = await sessions.feature.run({ [sessions.featureInput]: new ort.Tensor('float32', input, [1, 3, 112, 112]) });
  const v = Float32Array.from(out[sessions.featureOutput].data as Float32Array);
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return { embedding: l2normalize(v), norm: Math.sqrt(s) };
}

export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const n = Math.sqrt(s);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] /= n;
  return v;
}

/** Variance of the 4-neighbour Laplacian of the crop's luma: a cheap blur measure (higher = sharper). */
export function sharpness(crop: Uint8Array, w = 112, h = 112): number {
  const g = new Float32Array(w * h);
  for (let i = 0; i < g.length; i++) g[i] = 0.299 * crop[3 * i] + 0.587 * crop[3 * i + 1] + 0.114 * crop[3 * i + 2];
  let s = 0, s2 = 0, n = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const l = g[i - 1] + g[i + 1] + g[i - w] + g[i + w] - 4 * g[i];
      s += l; s2 += l * l; n++;
    }
  }
  return s2 / n - (s / n) ** 2;
}
