import { alignFace, landmarks68to5 } from './align.js';
import { type DecodedImage, decodeImage, encodePng } from './decode.js';
import { type RawDetection, detectCandidates, detectRaw, verifyCandidates } from './detect.js';
import { embedCrop, sharpness } from './embedder.js';
import { describe } from './errors.js';
import { type Normalization, type Sessions, embedderId, loadSessions, validateNormalization } from './models.js';
import { predictLandmarks } from './landmarks.js';
import { type ViewOf, boxInView, pointsFromView, viewsFor } from './view.js';

/** Defaults, tuned on ../shared/data/groups and lfw-dev. */
export const DEFAULTS = {
  minFaceSize: 20,
  detectionThreshold: 0.75,
  /** detect: false: the detector only locates the face in the crop, so a lower bar is enough. */
  cropDetectionThreshold: 0.3,
  maxDetectSide: 1600,
} as const;

export interface AnalyzeOptions {
  detect: boolean;
  minFaceSize: number;
  detectionThreshold: number;
  maxDetectSide: number;
}

/** One face, in original-image pixels (EXIF orientation applied). */
export interface DetectedFace {
  /** x, y, width, height. */
  box: [number, number, number, number];
  score: number;
  /** 5 points flat (left eye, right eye, nose, left mouth corner, right mouth corner), x,y each. */
  landmarks: number[];
}

export interface AnalyzedFace extends DetectedFace {
  /** Aligned 112×112 RGB crop, 3 bytes per pixel. */
  crop: Uint8Array;
  embedding?: Float32Array;
  quality: { sharpness: number; size: number };
}

export function validateAnalyzeOptions(o: {
  detect?: unknown; minFaceSize?: unknown; detectionThreshold?: unknown; maxDetectSide?: unknown;
}): AnalyzeOptions {
  const detect = o.detect ?? true;
  if (typeof detect !== 'boolean') throw new TypeError(`Expected a boolean for detect but received ${describe(o.detect)}`);
  const num = (name: string, v: unknown, def: number, lo: number, hi: number, loOpen = false): number => {
    if (v === undefined) return def;
    if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`Expected a number for ${name} but received ${describe(v)}`);
    if (v > hi || v < lo || (loOpen && v === lo)) {
      throw new RangeError(`Expected a number ${loOpen ? '>' : '>='} ${lo} and <= ${hi} for ${name} but received ${v}`);
    }
    return v;
  };
  return {
    detect,
    minFaceSize: num('minFaceSize', o.minFaceSize, DEFAULTS.minFaceSize, 1, 1e6),
    detectionThreshold: num('detectionThreshold', o.detectionThreshold, detect ? DEFAULTS.detectionThreshold : DEFAULTS.cropDetectionThreshold, 0, 1, true),
    maxDetectSide: num('maxDetectSide', o.maxDetectSide, DEFAULTS.maxDetectSide, 320, 1e6),
  };
}

/**
 * Detect (unless opts.detect is false), landmarks, align, and, when `embed`, embed every face of a decoded
 * image (decoded with this `opts`: see decodeImage). Faces small in a reduced image are verified, landmarked
 * and aligned from full-resolution pixels (viewsFor).
 */
export async function analyzeImage(sessions: Sessions, img: DecodedImage, opts: AnalyzeOptions, embed = true): Promise<AnalyzedFace[]> {
  let dets: RawDetection[];
  let viewOf: ViewOf;
  if (opts.detect) {
    const candidates = await detectCandidates(sessions, img, {
      minFaceSize: opts.minFaceSize / img.scale,
      threshold: opts.detectionThreshold,
      maxDetectSide: opts.maxDetectSide,
    });
    viewOf = await viewsFor(img, candidates);
    dets = await verifyCandidates(sessions.detect, candidates, viewOf, opts.detectionThreshold);
  } else {
    // a ready face crop: one face; the detector (one whole-image pass) only refines where it is
    const found = await detectRaw(sessions, img, { minFaceSize: 1, threshold: opts.detectionThreshold, maxDetectSide: 1 });
    const best = found.reduce<RawDetection | undefined>((b, d) => (!b || d.score > b.score ? d : b), undefined);
    dets = [best ?? { x1: 0, y1: 0, x2: img.width, y2: img.height, score: 0 }];
    viewOf = await viewsFor(img, dets);
  }
  const faces: AnalyzedFace[] = [];
  const eyes: { x: number; y: number; iod: number }[] = [];
  for (const d of [...dets].sort((a, b) => b.score - a.score)) {
    const view = viewOf(d);
    const inView = landmarks68to5(await predictLandmarks(sessions.landmark, view, boxInView(view, d)));
    const pts5 = pointsFromView(view, inView);
    // two boxes whose landmarks put the eyes in the same place are one face found twice
    const e = { x: (pts5[0] + pts5[2]) / 2, y: (pts5[1] + pts5[3]) / 2, iod: Math.hypot(pts5[2] - pts5[0], pts5[3] - pts5[1]) };
    if (opts.detect && eyes.some((o) => Math.hypot(o.x - e.x, o.y - e.y) < 0.5 * Math.max(o.iod, e.iod))) continue;
    const { crop } = alignFace(view.data, view.width, view.height, inView);
    // the embedding doubles as the last face check, so it runs even when only detecting
    let embedding: Float32Array | undefined;
    if (embed || sessions.minFaceNorm > 0) {
      const e = await embedCrop(sessions, crop);
      if (opts.detect && e.norm < sessions.minFaceNorm) continue;
      embedding = e.embedding;
    }
    eyes.push(e);
    const s = img.scale;
    const face: AnalyzedFace = {
      box: [d.x1 * s, d.y1 * s, (d.x2 - d.x1) * s, (d.y2 - d.y1) * s],
      score: d.score,
      landmarks: pts5.map((v) => v * s),
      crop,
      quality: { sharpness: sharpness(crop), size: (d.y2 - d.y1) * s },
    };
    if (embed) face.embedding = embedding;
    faces.push(face);
  }
  return faces;
}

// ---- single-image API (runs on the calling thread; embedImages uses worker threads) ----

const sessionCache = new Map<string, Promise<Sessions>>();

function cachedSessions(model: string | undefined, norm: Normalization): Promise<Sessions> {
  const key = `${model ?? 'default'}|${norm.mean}|${norm.std}`;
  let p = sessionCache.get(key);
  if (!p) {
    p = loadSessions(model, norm);
    p.catch(() => sessionCache.delete(key));
    sessionCache.set(key, p);
  }
  return p;
}

export interface DetectOptions {
  minFaceSize?: number;
  detectionThreshold?: number;
  /** Longest side (decoded pixels) of the finest tiled detection pass; default 1600. */
  maxDetectSide?: number;
}

export interface FaceRecord extends DetectedFace {
  faceIndex: number;
  /** Model id (name + hash) the embedding belongs to. */
  model: string;
  embedding: Float32Array;
  /** Aligned 112×112 crop as PNG bytes. */
  crop: Buffer;
  quality: { sharpness: number; size: number };
}

export interface EmbedFaceOptions extends DetectOptions {
  model?: string;
  modelNormalization?: { mean: number; std: number };
  detect?: boolean;
}

function checkImageArg(image: unknown): void {
  if (typeof image !== 'string' && !Buffer.isBuffer(image)) {
    throw new TypeError(`Expected a file path or a Buffer for image but received ${describe(image)}`);
  }
}

/** Faces in one image (path or encoded bytes), boxes and 5 landmarks in original pixels. */
export async function detectFaces(image: string | Buffer, opts: DetectOptions = {}): Promise<DetectedFace[]> {
  checkImageArg(image);
  const o = validateAnalyzeOptions({ ...opts, detect: true });
  const sessions = await cachedSessions(undefined, validateNormalization(undefined));
  const faces = await analyzeImage(sessions, await decodeImage(image, undefined, o), o, false);
  return faces.map(({ box, score, landmarks }) => ({ box, score, landmarks }));
}

/** Every face of one image, aligned and embedded (L2-normalised). */
export async function embedFace(image: string | Buffer, opts: EmbedFaceOptions = {}): Promise<FaceRecord[]> {
  checkImageArg(image);
  const o = validateAnalyzeOptions(opts);
  const norm = validateNormalization(opts.modelNormalization);
  const model = embedderId(opts.model);
  const sessions = await cachedSessions(opts.model, norm);
  const faces = await analyzeImage(sessions, await decodeImage(image, undefined, o), o, true);
  return Promise.all(
    faces.map(async (f, faceIndex) => ({
      box: f.box, score: f.score, landmarks: f.landmarks, faceIndex, model,
      embedding: f.embedding!,
      crop: await encodePng({ data: f.crop, width: 112, height: 112 }),
      quality: f.quality,
    })),
  );
}
