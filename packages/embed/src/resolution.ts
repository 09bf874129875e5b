/**
 * At which resolution each step looks at a photo: the one place that decides how far a photo is reduced
 * while decoding and which faces are then read again at full resolution (README, "Pipeline").
 */

/** Faces smaller than this in detector input pixels are found unreliably: finer tiled passes cover them. */
export const DET_MIN_PX = 20;

/** Larger images are always reduced while decoding, so a worker never holds more than ~120 MB of RGB. */
export const MAX_DECODE_PIXELS = 40_000_000;

/**
 * Reducing at decode pays off from here: the finest detection pass needs no resize of its own, landmarks and
 * crops of big faces no 8×8-sample warps over 12 MP, and from 3× on libjpeg decodes straight to 1/2, 1/4 or
 * 1/8 (DCT scaling, sharp's shrink-on-load). A smaller reduction saves little and would send most faces back
 * to full resolution: such photos are decoded whole, as before.
 */
const MIN_REDUCTION = 2;

/**
 * A face whose box is shorter than this in a reduced image is verified, landmarked and aligned from
 * full-resolution pixels: the aligned 112-px crop (where the box spans ~113 px, the median on lfw-dev) must
 * not be an upsampled reduced image.
 */
const FULL_RESOLUTION_BELOW = 112;

export interface ResolutionOptions {
  /** False: the inputs are ready face crops, nothing to detect. */
  detect: boolean;
  /** Smallest face kept, in original pixels (box height). */
  minFaceSize: number;
  /** Longest side, in pixels, of the finest tiled detection pass. */
  maxDetectSide: number;
}

export interface ResolutionPlan {
  /** Original pixels per decoded pixel (1: decoded whole). */
  scale: number;
  /** Box height, in decoded pixels, under which a face is read again at full resolution; 0 when decoded whole. */
  fullResolutionBelow: number;
}

/**
 * Image pixels per detector pixel of the finest detection pass worth running on a `width`×`height` image:
 * where faces of `minFaceSize` reach the detector's reliable size, capped so the pass's longest side is at
 * most `maxDetectSide`.
 */
export function finestDetectionScale(width: number, height: number, minFaceSize: number, maxDetectSide: number): number {
  return Math.max(1, minFaceSize / DET_MIN_PX, Math.max(width, height) / maxDetectSide);
}

/**
 * How to decode a photo of `width`×`height` (EXIF-upright, original pixels): reduced to the finest detection
 * pass when that is at least MIN_REDUCTION smaller (nothing finer is ever looked at for finding faces), or
 * to MAX_DECODE_PIXELS; else whole. Faces small in a reduced image are read again at full resolution.
 */
export function resolutionPlan(width: number, height: number, opts: ResolutionOptions): ResolutionPlan {
  const cap = Math.sqrt((width * height) / MAX_DECODE_PIXELS);
  const finest = opts.detect ? finestDetectionScale(width, height, opts.minFaceSize, opts.maxDetectSide) : 1;
  const scale = Math.max(1, cap, finest >= MIN_REDUCTION ? finest : 1);
  return { scale, fullResolutionBelow: scale > 1 ? FULL_RESOLUTION_BELOW : 0 };
}
