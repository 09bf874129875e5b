/**
 * The face quality gate: blurry, tiny or doubtful detections make false merges and junk clusters, so
 * `--min-face-quality` / `--min-face-size` keep them out of the clustering and send them to no_class with
 * the reason (never silently dropped). Scores come from what the embedding store records per face.
 */
import { checkParam, type ParamSpec } from '@faceclust/cluster';

/** What the gate reads of a face (a `FaceInfo` of @faceclust/embed fits). */
export interface GateFace {
  /** Detector confidence, 0–1. */
  score: number;
  /** Sharpness (variance of the Laplacian of the aligned 112×112 crop) and face height in photo pixels. */
  quality?: { sharpness: number; size: number };
}

/** The quality gate's parameters (both off when absent): the spec its validation, flags and help come from. */
export const QUALITY_GATE_PARAMS = {
  minFaceQuality: {
    name: 'minFaceQuality', flag: '--min-face-quality', rule: { kind: 'number', min: 0, max: 1 },
    doc: 'quality gate: faces whose quality (weakest of detector confidence, sharpness/100, size/80 px) is lower go to no_class, with the reason in the xlsx',
  },
  minFaceSize: {
    name: 'minFaceSize', flag: '--min-face-size', rule: { kind: 'number', min: 0 },
    doc: 'quality gate: faces smaller than this (box height in the photo) go to no_class, with the reason in the xlsx',
  },
} as const satisfies Record<string, ParamSpec>;

export interface QualityGateOptions {
  /** Faces whose {@link faceQuality} is below this (0–1) go to no_class. */
  minFaceQuality?: number;
  /** Faces smaller than this many pixels (face box height in the photo) go to no_class. */
  minFaceSize?: number;
}

/** Sharpness at which a crop counts as fully sharp: variance of the Laplacian ~100 is the usual blur cut. */
export const SHARP_AT = 100;
/** Face height (px) at which detail stops limiting the 112-px embedding. */
export const LARGE_AT = 80;

/**
 * One quality score in [0, 1]: the weakest of detector confidence, sharpness / {@link SHARP_AT} and face
 * height / {@link LARGE_AT} (each capped at 1), so a face is as good as its worst aspect. Faces stored
 * without quality scores (older stores) are scored on confidence alone.
 */
export function faceQuality(face: GateFace): number {
  const parts = [Math.max(0, Math.min(1, face.score))];
  if (face.quality) parts.push(Math.min(1, Math.max(0, face.quality.sharpness) / SHARP_AT), Math.min(1, Math.max(0, face.quality.size) / LARGE_AT));
  return Math.min(...parts);
}

/** The gate's decision: `reasons[i]` is why face i was rejected, or null when it is kept. */
export interface GateResult {
  reasons: (string | null)[];
  /** Indices of the kept faces, ascending. */
  kept: Int32Array;
  rejected: number;
}

/** Applies the thresholds (validated: quality in [0, 1], size >= 0) to every face. */
export function qualityGate(faces: readonly GateFace[], opts: QualityGateOptions = {}): GateResult {
  const minQ = opts.minFaceQuality === undefined ? undefined : checkParam<number>(QUALITY_GATE_PARAMS.minFaceQuality, opts.minFaceQuality);
  const minSize = opts.minFaceSize === undefined ? undefined : checkParam<number>(QUALITY_GATE_PARAMS.minFaceSize, opts.minFaceSize);
  const reasons: (string | null)[] = new Array(faces.length).fill(null);
  const kept: number[] = [];
  faces.forEach((f, i) => {
    const why: string[] = [];
    if (minSize !== undefined) {
      const size = f.quality?.size ?? NaN;
      if (!(size >= minSize)) why.push(Number.isNaN(size) ? 'face size unknown' : `face ${Math.round(size)} px < --min-face-size ${minSize}`);
    }
    if (minQ !== undefined) {
      const q = faceQuality(f);
      if (q < minQ) {
        const detail = f.quality ? `confidence ${f.score.toFixed(2)}, sharpness ${f.quality.sharpness.toFixed(0)}, size ${Math.round(f.quality.size)} px` : `confidence ${f.score.toFixed(2)}`;
        why.push(`quality ${q.toFixed(2)} < --min-face-quality ${minQ} (${detail})`);
      }
    }
    if (why.length) reasons[i] = why.join('; ');
    else kept.push(i);
  });
  return { reasons, kept: Int32Array.from(kept), rejected: faces.length - kept.length };
}

/** The rows of `vectors` (n×dim) listed in `kept`, as one new row-major matrix. */
export function keptRows(vectors: Float32Array, dim: number, kept: Int32Array): Float32Array {
  const out = new Float32Array(kept.length * dim);
  kept.forEach((i, r) => out.set(vectors.subarray(i * dim, (i + 1) * dim), r * dim));
  return out;
}

/** Labels of the kept faces spread back over all `n` faces; rejected faces get −1 (no_class). */
export function spreadLabels(keptLabels: Int32Array, kept: Int32Array, n: number): Int32Array {
  const labels = new Int32Array(n).fill(-1);
  kept.forEach((i, r) => (labels[i] = keptLabels[r]));
  return labels;
}
