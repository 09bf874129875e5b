import type { DecodedImage, Region, RgbImage } from './decode.js';
import type { RawDetection } from './detect.js';

/**
 * The pixels a face is verified, landmarked and aligned in: the decoded image itself, or a region of the
 * photo read at full resolution. Decoded-image point (x, y) is view point (x · zoom − left, y · zoom − top).
 */
export interface View extends RgbImage {
  left: number;
  top: number;
  zoom: number;
}

export function wholeView(img: RgbImage): View {
  return { data: img.data, width: img.width, height: img.height, left: 0, top: 0, zoom: 1 };
}

/** A box in decoded-image pixels → the same box in `v`'s pixels. */
export function boxInView(v: View, d: RawDetection): RawDetection {
  return { x1: d.x1 * v.zoom - v.left, y1: d.y1 * v.zoom - v.top, x2: d.x2 * v.zoom - v.left, y2: d.y2 * v.zoom - v.top, score: d.score };
}

/** Flat x,y points in `v`'s pixels → decoded-image pixels. */
export function pointsFromView(v: View, pts: ArrayLike<number>): number[] {
  return Array.from(pts, (p, i) => (p + (i % 2 === 0 ? v.left : v.top)) / v.zoom);
}

/**
 * Half-width and half-height, in box heights, of what is looked at around a face: the verification window
 * (4 × 3 box heights) and the landmark square and aligned crop inside it, with a margin for their sampling.
 */
const AROUND_W = 2.25;
const AROUND_H = 1.75;

/** The view each detection is looked at in. */
export type ViewOf = (d: RawDetection) => View;

/**
 * Where each detection is looked at closely: in the decoded image, unless it is small in a reduced one
 * (image.fullResolutionBelow, from resolutionPlan); then in one full-resolution region around all the small
 * ones, decoded once.
 */
export async function viewsFor(img: DecodedImage, dets: readonly RawDetection[]): Promise<ViewOf> {
  const whole = wholeView(img);
  const small = dets.filter((d) => d.y2 - d.y1 < img.fullResolutionBelow);
  if (!img.readFull || small.length === 0) return () => whole;
  let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
  for (const d of small) {
    const h = d.y2 - d.y1, cx = (d.x1 + d.x2) / 2, cy = (d.y1 + d.y2) / 2;
    x1 = Math.min(x1, cx - AROUND_W * h); x2 = Math.max(x2, cx + AROUND_W * h);
    y1 = Math.min(y1, cy - AROUND_H * h); y2 = Math.max(y2, cy + AROUND_H * h);
  }
  const s = img.scale;
  const left = Math.max(0, Math.floor(x1 * s) - 2), top = Math.max(0, Math.floor(y1 * s) - 2);
  const region: Region = {
    left, top,
    width: Math.min(img.originalWidth, Math.ceil(x2 * s) + 2) - left,
    height: Math.min(img.originalHeight, Math.ceil(y2 * s) + 2) - top,
  };
  if (region.width < 1 || region.height < 1) return () => whole;
  const full: View = { ...(await img.readFull(region)), left, top, zoom: s };
  const inFull = new Set(small);
  return (d) => (inFull.has(d) ? full : whole);
}
