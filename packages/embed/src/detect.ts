import * as ort from 'onnxruntime-node';
import { type Affine, warpAffine } from './align.js';
import { type RgbImage, resizeRgb } from './decode.js';
import { finestDetectionScale } from './resolution.js';
import { type View, type ViewOf, boxInView, wholeView } from './view.js';

/** Detector input size (Ultra-Light-Fast RFB-320 style: decoded, normalised corner boxes come out). */
export const DET_W = 320;
export const DET_H = 240;
/**
 * Largest window of a finer pass, in detector pixels: a reduced photo up to this size (the default
 * maxDetectSide 1600 gives at most 1600×1600) is one run; a larger one (a higher maxDetectSide) is tiled
 * so a run's activations stay within a few hundred MB.
 */
const PASS_WINDOW = 2048;
/** Overlap between such tiles, in detector pixels: a face up to this size is seen whole by some tile. */
const TILE_OVERLAP = 64;

/**
 * The detector as two sessions of one network: `detect`, the npm graph at its 320×240 input, runs the
 * whole-image pass and verification; `detectAnySize`, the same network built for any input size
 * (scripts/detector-models.mjs), runs the finer passes over a whole reduced photo at once.
 */
export interface DetectorSessions {
  detect: ort.InferenceSession;
  detectAnySize: ort.InferenceSession;
}

export interface DetectorOptions {
  /** Minimum face height in decoded-image pixels. */
  minFaceSize: number;
  /** Score threshold in [0, 1]. */
  threshold: number;
  /** Longest side, in decoded pixels, the finest tiled pass works at: caps the cost on large photos. */
  maxDetectSide: number;
  /** Re-check each candidate alone at a canonical scale (default true). */
  verify?: boolean;
}

export interface RawDetection {
  /** Corners x1, y1, x2, y2 in the image passed to detectRaw. */
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
}

/** (p − 127) / 128 for every byte: the detector's input normalisation, looked up (~40 tiles per 12 MP photo). */
const NORM = Float32Array.from({ length: 256 }, (_, p) => (p - 127) / 128);

/** Packs a RGB region of `img` (at `img` scale) into the detector's [1,3,240,320] tensor, padding with 0 ( = pixel 127). */
function toTensor(img: RgbImage, ox: number, oy: number, out: Float32Array): void {
  const plane = DET_W * DET_H;
  const w = Math.min(DET_W, img.width - ox), h = Math.min(DET_H, img.height - oy);
  if (w < DET_W || h < DET_H) out.fill(0);
  const src = img.data;
  for (let y = 0; y < h; y++) {
    let s = ((oy + y) * img.width + ox) * 3;
    let d = y * DET_W;
    for (let x = 0; x < w; x++, s += 3, d++) {
      out[d] = NORM[src[s]];
      out[plane + d] = NORM[src[s + 1]];
      out[2 * plane + d] = NORM[src[s + 2]];
    }
  }
}

async function runTile(session: ort.InferenceSession, input: Float32Array, threshold: number): Promise<RawDetection[]> {
  const out = await session.run({ input: new ort.Tensor('float32', input, [1, 3, DET_H, DET_W]) });
  const scores = out.scores.data as Float32Array;
  const boxes = out.boxes.data as Float32Array;
  const found: RawDetection[] = [];
  const n = scores.length / 2;
  for (let i = 0; i < n; i++) {
    const score = scores[2 * i + 1];
    if (score < threshold) continue;
    // the exported graph already decodes the priors: boxes are corners normalised to the 320×240 input
    found.push({
      x1: boxes[4 * i] * DET_W, y1: boxes[4 * i + 1] * DET_H,
      x2: boxes[4 * i + 2] * DET_W, y2: boxes[4 * i + 3] * DET_H, score,
    });
  }
  return found;
}

/** Each head of the network: its stride (detector pixels per cell) and anchor sizes: RFB-320's priors. */
const HEADS = [
  { output: 'loc8', stride: 8, sizes: [10, 16, 24] },
  { output: 'loc16', stride: 16, sizes: [32, 48] },
  { output: 'loc32', stride: 32, sizes: [64, 96] },
  { output: 'loc64', stride: 64, sizes: [128, 192, 256] },
] as const;
/** The prior-box variances the network was trained with (centre, size). */
const CENTER_VARIANCE = 0.1;
const SIZE_VARIANCE = 0.2;

/** The RGB bytes of the width×height window of `img` at (ox, oy), inside it: `img`'s own bytes when it is all of it. */
function windowBytes(img: RgbImage, ox: number, oy: number, width: number, height: number): Uint8Array {
  if (width === img.width && height === img.height) return img.data;
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((oy + y) * img.width + ox) * 3;
    out.set(img.data.subarray(from, from + width * 3), y * width * 3);
  }
  return out;
}

/**
 * Runs detectAnySize over width×height RGB bytes and decodes the boxes above `threshold` (corners in input
 * pixels) with the priors the network was trained with: cell (x, y) of a head centred at ((x, y) + 0.5) ·
 * stride, sized as the anchor (capped at the input's size). Where 320×240 is a whole number of cells (the
 * 8- and 16-px heads, and the width of all) this is the npm graph's own decoding, to 1e-4 px
 * (detector-models test); its 32- and 64-px heads spread 8 and 4 rows over 240 px (30 and 60 px apart),
 * which at any other size would drift from the cells by up to half a stride.
 */
export async function runAnySize(session: ort.InferenceSession, rgb: Uint8Array, width: number, height: number, threshold: number): Promise<RawDetection[]> {
  const out = await session.run({ rgb: new ort.Tensor('uint8', rgb, [1, height, width, 3]) });
  const scores = out.scores.data as Float32Array;
  const found: RawDetection[] = [];
  let k = 0;
  for (const head of HEADS) {
    const loc = out[head.output];
    const [, rows, cols] = loc.dims as number[];
    const d = loc.data as Float32Array;
    const a = head.sizes.length;
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        for (let j = 0; j < a; j++, k++) {
          const score = scores[2 * k + 1];
          if (score < threshold) continue;
          const o = ((y * cols + x) * a + j) * 4;
          const pw = Math.min(head.sizes[j], width), ph = Math.min(head.sizes[j], height);
          const cx = d[o] * CENTER_VARIANCE * pw + (x + 0.5) * head.stride;
          const cy = d[o + 1] * CENTER_VARIANCE * ph + (y + 0.5) * head.stride;
          const w = Math.exp(d[o + 2] * SIZE_VARIANCE) * pw, h = Math.exp(d[o + 3] * SIZE_VARIANCE) * ph;
          found.push({ x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, score });
        }
      }
    }
  }
  if (2 * k !== scores.length) throw new Error(`detector: ${scores.length / 2} scores for ${k} priors at ${width}×${height}`);
  return found;
}

/** Tile origins covering [0, size) with windows of `win` and at least `overlap` shared. */
function tileStarts(size: number, win: number, overlap: number): number[] {
  if (size <= win) return [0];
  const n = Math.ceil((size - overlap) / (win - overlap));
  const step = (size - win) / (n - 1);
  return Array.from({ length: n }, (_, i) => Math.round(i * step));
}

/**
 * Scales (image pixels per detector pixel) of the passes: the whole image at `s0`, and from the finest useful
 * scale `sMin` up in steps of 2 while clearly finer than `s0`. Each pass covers faces of about 20 to 50
 * detector pixels well; larger faces are the coarser passes' job.
 */
export function detectionScales(s0: number, sMin: number): number[] {
  const scales = [s0];
  for (let s = sMin; s < s0 / 1.5; s *= 2) scales.push(s);
  return scales;
}

/**
 * All faces in `img`: candidates (detectCandidates), then, with `verify`, each one checked again in `img`
 * (verifyCandidates).
 */
export async function detectRaw(sessions: DetectorSessions, img: RgbImage, opts: DetectorOptions): Promise<RawDetection[]> {
  const candidates = await detectCandidates(sessions, img, opts);
  if (!opts.verify) return candidates;
  const whole = wholeView(img);
  return verifyCandidates(sessions.detect, candidates, () => whole, opts.threshold);
}

/**
 * Face candidates in `img`: one whole-image pass (aspect kept, padded to 320×240), then passes at finer
 * scales (see detectionScales), the finest from finestDetectionScale (where faces of `minFaceSize` reach the
 * detector's reliable size, capped by `maxDetectSide`), each over the whole reduced image in one run (tiled
 * only beyond PASS_WINDOW); NMS. Detections that touch a tile's inner edge are dropped (a neighbouring tile
 * sees that face whole).
 */
export async function detectCandidates(sessions: DetectorSessions, img: RgbImage, opts: Omit<DetectorOptions, 'verify'>): Promise<RawDetection[]> {
  const input = new Float32Array(3 * DET_W * DET_H);
  const all: RawDetection[] = [];
  const s0 = Math.max(img.width / DET_W, img.height / DET_H);
  const sMin = finestDetectionScale(img.width, img.height, opts.minFaceSize, opts.maxDetectSide);
  for (const s of detectionScales(s0, sMin)) {
    // a finer pass keeps only faces of the size it is there for (up to TILE_OVERLAP, so a tile sees them
    // whole); bigger ones are the coarser passes' job, and a big face cut by a tile edge would come back as a
    // false "face"
    const whole = s === s0;
    const maxH = whole ? Infinity : TILE_OVERLAP;
    const lw = Math.max(1, Math.round(img.width / s)), lh = Math.max(1, Math.round(img.height / s));
    const scaled = lw === img.width && lh === img.height ? img : await resizeRgb(img, lw, lh);
    const sx = img.width / lw, sy = img.height / lh;
    // the whole-image pass fits the 320×240 input (s0); a finer one is one window of its own size
    const winW = whole ? DET_W : Math.min(lw, PASS_WINDOW), winH = whole ? DET_H : Math.min(lh, PASS_WINDOW);
    for (const oy of tileStarts(lh, winH, TILE_OVERLAP)) {
      for (const ox of tileStarts(lw, winW, TILE_OVERLAP)) {
        let found: RawDetection[];
        if (whole) {
          toTensor(scaled, ox, oy, input);
          found = await runTile(sessions.detect, input, opts.threshold);
        } else {
          found = await runAnySize(sessions.detectAnySize, windowBytes(scaled, ox, oy, winW, winH), winW, winH, opts.threshold);
        }
        for (const d of found) {
          const m = 2;
          const cut =
            (ox > 0 && d.x1 < m) || (oy > 0 && d.y1 < m) ||
            (ox + winW < lw && d.x2 > winW - m) || (oy + winH < lh && d.y2 > winH - m);
          if (cut || d.y2 - d.y1 > maxH) continue;
          all.push({
            x1: Math.max(0, (d.x1 + ox) * sx), y1: Math.max(0, (d.y1 + oy) * sy),
            x2: Math.min(img.width, (d.x2 + ox) * sx), y2: Math.min(img.height, (d.y2 + oy) * sy),
            score: d.score,
          });
        }
      }
    }
  }
  return nms(all.filter((d) => d.y2 - d.y1 >= opts.minFaceSize && d.x2 - d.x1 > 0), 0.4);
}

/**
 * The candidates that are faces: each one not sure already is re-detected alone (verify) in the pixels
 * `viewOf` gives it, and boxes of a shape no face has go.
 */
export async function verifyCandidates(
  session: ort.InferenceSession, candidates: readonly RawDetection[], viewOf: ViewOf, threshold: number,
): Promise<RawDetection[]> {
  const input = new Float32Array(3 * DET_W * DET_H);
  const verified: RawDetection[] = [];
  for (const c of candidates) {
    // every false face seen on groups/ scored < 0.97 and nearly all real ones >= 0.995: spare those the second look
    const v = c.score >= SURE_SCORE ? c.score : await verify(session, viewOf(c), c, input, threshold);
    if (process.env.FACECLUST_DEBUG_DETECT) console.error(`candidate ${c.score.toFixed(3)} h ${(c.y2 - c.y1).toFixed(0)} h/w ${((c.y2 - c.y1) / (c.x2 - c.x1)).toFixed(2)} verify ${v.toFixed(3)}`);
    if (process.env.DBG) console.log('  cand', c.score.toFixed(3), 'h', (c.y2 - c.y1).toFixed(0), 'h/w', ((c.y2 - c.y1) / (c.x2 - c.x1)).toFixed(2), 'verify', v.toFixed(3));
    const aspect = (c.y2 - c.y1) / (c.x2 - c.x1);
    // this detector's face boxes are taller than wide; flat or very tall boxes were hands and sleeves on groups/
    if (v >= threshold && aspect >= MIN_ASPECT && aspect <= MAX_ASPECT) verified.push(c);
  }
  return verified;
}

/** Candidates scoring at least this skip verification. */
const SURE_SCORE = 0.995;

/** Accepted height / width of a face box. */
const MIN_ASPECT = 0.8;
const MAX_ASPECT = 2.0;

/** Context the verification pass gives a candidate: the face fills 1 / VERIFY_CONTEXT of the input height. */
const VERIFY_CONTEXT = 3;

/**
 * Re-detects a candidate (decoded-image pixels) alone at the detector's most reliable scale (face ≈ 80 px,
 * centred, with context) from the pixels of `img`: hands, fabric and texture that fire inside a tile rarely
 * survive this second look. Returns the best score among re-detections overlapping the candidate.
 */
async function verify(session: ort.InferenceSession, img: View, candidate: RawDetection, input: Float32Array, threshold: number): Promise<number> {
  const c = boxInView(img, candidate);
  const h = c.y2 - c.y1;
  const s = (h * VERIFY_CONTEXT) / DET_H; // image px per detector px
  const cx = (c.x1 + c.x2) / 2, cy = (c.y1 + c.y2) / 2;
  const ox = cx - (DET_W / 2) * s, oy = cy - (DET_H / 2) * s;
  const inv: Affine = [s, 0, ox + 0.5 * s - 0.5, 0, s, oy + 0.5 * s - 0.5];
  const patch = { data: warpAffine(img.data, img.width, img.height, 3, inv, DET_W, DET_H), width: DET_W, height: DET_H };
  toTensor(patch, 0, 0, input);
  let best = 0;
  const m = { x1: (c.x1 - ox) / s, y1: (c.y1 - oy) / s, x2: (c.x2 - ox) / s, y2: (c.y2 - oy) / s };
  for (const d of await runTile(session, input, Math.min(threshold, 0.3))) {
    const iw = Math.min(d.x2, m.x2) - Math.max(d.x1, m.x1), ih = Math.min(d.y2, m.y2) - Math.max(d.y1, m.y1);
    if (iw <= 0 || ih <= 0) continue;
    const inter = iw * ih;
    const iou = inter / ((d.x2 - d.x1) * (d.y2 - d.y1) + (m.x2 - m.x1) * (m.y2 - m.y1) - inter);
    if (iou > 0.3) best = Math.max(best, d.score);
  }
  return best;
}

/**
 * Greedy NMS by score: drops a box overlapping a kept one by IoU > `iou` or with each centre inside the
 * other box; then drops any box lying mostly
 * (> 70 %) inside a larger kept one, whatever its score (an eye or mouth firing on its own; faces do not
 * contain faces).
 */
export function nms(dets: RawDetection[], iou: number): RawDetection[] {
  const area = (d: RawDetection) => (d.x2 - d.x1) * (d.y2 - d.y1);
  const inter = (a: RawDetection, b: RawDetection) => {
    const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
    const ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
    return iw > 0 && ih > 0 ? iw * ih : 0;
  };
  const inside = (a: RawDetection, b: RawDetection) => {
    const cx = (a.x1 + a.x2) / 2, cy = (a.y1 + a.y2) / 2;
    return cx > b.x1 && cx < b.x2 && cy > b.y1 && cy < b.y2;
  };
  const kept: RawDetection[] = [];
  for (const d of [...dets].sort((a, b) => b.score - a.score)) {
    const same = (k: RawDetection) => {
      const i = inter(d, k);
      // or each box's centre inside the other: one face boxed twice at two scales, never two faces
      return i / (area(d) + area(k) - i) > iou || (inside(d, k) && inside(k, d));
    };
    if (!kept.some(same)) kept.push(d);
  }
  return kept.filter((d) => !kept.some((k) => k !== d && area(k) > area(d) && inter(d, k) / area(d) > 0.7));
}
