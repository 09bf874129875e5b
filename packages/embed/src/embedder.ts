import * as ort from 'onnxruntime-node';
import type { Sessions } from './models.js';

export interface Embedded {
  /** Unit length. */
  embedding: Float32Array;
  /** The model output's length before normalising: ArcFace-style models give non-faces and unusable faces a short one. */
  norm: number;
}

/**
 * Embeds aligned 112×112 RGB crops: (p − mean) / std in CHW order, model output L2-normalised. Up to
 * `sessions.featureBatch` crops go in one embedder call.
 */
export async function embedCrops(sessions: Sessions, crops: readonly Uint8Array[]): Promise<Embedded[]> {
  const { mean, std } = sessions.normalization;
  const plane = 112 * 112;
  const out: Embedded[] = [];
  for (let start = 0; start < crops.length; start += sessions.featureBatch) {
    const n = Math.min(sessions.featureBatch, crops.length - start);
    const input = new Float32Array(n * 3 * plane);
    for (let b = 0; b < n; b++) {
      const crop = crops[start + b];
      const base = b * 3 * plane;
      for (let i = 0; i < plane; i++) {
        input[base + i] = (crop[3 * i] - mean) / std;
        input[base + plane + i] = (crop[3 * i + 1] - mean) / std;
        input[base + 2 * plane + i] = (crop[3 * i + 2] - mean) / std;
      }
    }
    const res = await sessions.feature.run({ [sessions.featureInput]: new ort.Tensor('float32', input, [n, 3, 112, 112]) });
    const all = res[sessions.featureOutput].data as Float32Array;
    const dim = all.length / n;
    for (let b = 0; b < n; b++) {
      const v = all.slice(b * dim, (b + 1) * dim);
      let s = 0;
      for (let i = 0; i < v.length; i++) s += v[i] * v[i];
      out.push({ embedding: l2normalize(v), norm: Math.sqrt(s) });
    }
  }
  return out;
}

/** Embeds one aligned 112×112 RGB crop (see embedCrops). */
export async function embedCrop(sessions: Sessions, crop: Uint8Array): Promise<Embedded> {
  return (await embedCrops(sessions, [crop]))[0];
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
