import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import type { DetectorSessions } from './detect.js';
import { EmbedError, describe } from './errors.js';

/** File names of the default models, fetched by scripts/fetch-models.mjs. */
export const DEFAULT_MODEL_FILES = {
  detect: 'fr_detect.onnx',
  landmark: 'fr_landmark.onnx',
  feature: 'fr_feature.onnx',
} as const;

/**
 * Models derived from the npm ones when the models are fetched: from fr_feature.onnx (scripts/feature-models.mjs)
 * the same network as the default embedder runs it (same function, a graph onnxruntime runs faster) and its
 * static int8 quantisation (the `model: 'default-int8'` embedder); from fr_detect.onnx
 * (scripts/detector-models.mjs) the detector for any input size, which runs the passes over reduced photos.
 */
export const DERIVED_MODEL_FILES = {
  featureFp32: 'fr_feature_fp32.onnx',
  featureInt8: 'fr_feature_int8.onnx',
  detectAnySize: 'fr_detect_any.onnx',
} as const;

/** The npm model each derived model is built from. */
const DERIVED_FROM: Record<string, string> = {
  [DERIVED_MODEL_FILES.featureFp32]: DEFAULT_MODEL_FILES.feature,
  [DERIVED_MODEL_FILES.featureInt8]: DEFAULT_MODEL_FILES.feature,
  [DERIVED_MODEL_FILES.detectAnySize]: DEFAULT_MODEL_FILES.detect,
};

/** Name under which the default embedder's identity is recorded. */
export const DEFAULT_EMBEDDER_NAME = 'faceplugin-fr-feature';
/** Name of the int8 embedder's identity: its embeddings are never mixed with the fp32 ones. */
export const DEFAULT_INT8_EMBEDDER_NAME = 'faceplugin-fr-feature-int8';

/** The `model` values that name a built-in embedder (anything else is a path to an .onnx file). */
export type BuiltinModel = 'default' | 'default-int8';

/** Whether `model` names the built-in fp32 or int8 embedder (undefined = 'default'). */
export function isBuiltinModel(model: string | undefined): model is BuiltinModel | undefined {
  return model === undefined || model === 'default' || model === 'default-int8';
}

/** Where the models live: `$FACECLUST_MODELS_DIR`, else `<package>/models/`. */
export function modelsDir(): string {
  const env = process.env.FACECLUST_MODELS_DIR;
  if (env) return path.resolve(env);
  return fileURLToPath(new URL('../models/', import.meta.url));
}

export function defaultModelPath(kind: keyof typeof DEFAULT_MODEL_FILES | keyof typeof DERIVED_MODEL_FILES): string {
  const name = kind in DEFAULT_MODEL_FILES ? DEFAULT_MODEL_FILES[kind as keyof typeof DEFAULT_MODEL_FILES] : DERIVED_MODEL_FILES[kind as keyof typeof DERIVED_MODEL_FILES];
  const file = path.join(modelsDir(), name);
  if (!existsSync(file)) throw new EmbedError('ERR_MODEL_MISSING', missingModelMessage(name, path.dirname(file)));
  return file;
}

/**
 * Why a default model is missing and the command that fixes it where the user is (an installed package,
 * not this repository): the package's postinstall fetches the models, so no models folder at all means it
 * never ran, as when the package manager blocks install scripts (pnpm 10 by default, npm --ignore-scripts).
 */
export function missingModelMessage(file: string, dir: string, env: string | undefined = process.env.FACECLUST_MODELS_DIR): string {
  const fetch = `node ${JSON.stringify(fileURLToPath(new URL('../scripts/fetch-models.mjs', import.meta.url)))}`;
  const all = Object.values(DEFAULT_MODEL_FILES).join(', ');
  const where = `Model ${file} not found in ${dir}`;
  const source = DERIVED_FROM[file];
  if (source && existsSync(path.join(dir, source))) {
    // a folder filled before this derived model existed (or by hand): building it needs no network
    const dirArg = env ? ` --dir ${JSON.stringify(dir)}` : '';
    return `${where}: it is built from ${source}, offline, by \`${fetch} --if-missing${dirArg}\``;
  }
  if (env) return `${where} (FACECLUST_MODELS_DIR): put ${all} there (\`${fetch} --dir ${JSON.stringify(dir)}\` fetches them from the npm registry, then builds the embedders derived from them), or unset FACECLUST_MODELS_DIR`;
  if (!existsSync(dir)) {
    return `${where}: the install script of @faceclust/embed, which fetches the models from the npm registry, did not run ` +
      '(pnpm 10 runs no dependency install scripts until approved; npm skips them with ignore-scripts). ' +
      `Approve and run it: \`pnpm approve-builds\` then \`pnpm rebuild @faceclust/embed\`, or \`npm rebuild @faceclust/embed\` ` +
      `(if allowScripts denies it, first \`npm install-scripts approve @faceclust/embed\`); or fetch them yourself: \`${fetch}\`. ` +
      `FACECLUST_MODELS_DIR may point at a folder holding ${all} instead`;
  }
  return `${where}: fetch them again (from the npm registry, checksummed) with \`${fetch}\`, or \`npm rebuild @faceclust/embed\``;
}

/**
 * The file whose session embeds for `model`: the default embedder runs fr_feature_fp32.onnx, the same
 * function as fr_feature.onnx (whose hash names it: embedderId); anything else its own file.
 */
export function embedderSessionPath(model: string | undefined): string {
  return model === undefined || model === 'default' ? defaultModelPath('featureFp32') : resolveEmbedderPath(model);
}

/** Resolves the `model` option ('default', 'default-int8' or a path to an .onnx) to an absolute file path. */
export function resolveEmbedderPath(model: string | undefined): string {
  if (model === undefined || model === 'default') return defaultModelPath('feature');
  if (model === 'default-int8') return defaultModelPath('featureInt8');
  if (typeof model !== 'string' || model.length === 0) {
    throw new TypeError(`Expected 'default', 'default-int8' or a path to an .onnx file for model but received ${describe(model)}`);
  }
  const file = path.resolve(model);
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new EmbedError('ERR_MODEL_MISSING', `Embedding model file not found for model: ${file}`);
  }
  return file;
}

const hashCache = new Map<string, { mtimeMs: number; size: number; hash: string }>();

/** SHA-256 of a model file, cached by path + size + mtime. */
export function modelHash(file: string): string {
  const st = statSync(file);
  const hit = hashCache.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.hash;
  const hash = createHash('sha256').update(readFileSync(file)).digest('hex');
  hashCache.set(file, { mtimeMs: st.mtimeMs, size: st.size, hash });
  return hash;
}

/**
 * A model's identity: name + content hash, e.g. `faceplugin-fr-feature@sha256:87aacdfe5751` (the int8
 * embedder: `faceplugin-fr-feature-int8@sha256:…`, the hash of its own file). Embeddings of different ids
 * are never mixed. Custom models are named after their file name.
 */
export function embedderId(model?: string): string {
  const file = resolveEmbedderPath(model);
  const name = model === 'default-int8' ? DEFAULT_INT8_EMBEDDER_NAME
    : isBuiltinModel(model) ? DEFAULT_EMBEDDER_NAME : path.basename(file).replace(/\.onnx$/i, '');
  return `${name}@sha256:${modelHash(file).slice(0, 16)}`;
}

export interface Normalization {
  mean: number;
  std: number;
}

/** The default models were trained on (p - 127) / 128. */
export const DEFAULT_NORMALIZATION: Normalization = { mean: 127, std: 128 };

export function validateNormalization(value: unknown): Normalization {
  if (value === undefined) return DEFAULT_NORMALIZATION;
  const v = value as Partial<Normalization>;
  if (typeof value !== 'object' || value === null || typeof v.mean !== 'number' || typeof v.std !== 'number') {
    throw new TypeError(`Expected { mean: number, std: number } for modelNormalization but received ${describe(value)}`);
  }
  if (!Number.isFinite(v.mean)) throw new RangeError(`Expected a finite number for modelNormalization.mean but received ${v.mean}`);
  if (!Number.isFinite(v.std) || v.std <= 0) {
    throw new RangeError(`Expected a positive number for modelNormalization.std but received ${v.std}`);
  }
  return { mean: v.mean, std: v.std };
}

export interface Sessions extends DetectorSessions {
  landmark: ort.InferenceSession;
  feature: ort.InferenceSession;
  featureInput: string;
  featureOutput: string;
  featureDim: number;
  /**
   * Most faces per embedder call (embedCrops). 1 for every model: the built embedders take any batch, but
   * none measured faster per face with more than one (README, "Measured").
   */
  featureBatch: number;
  normalization: Normalization;
  /**
   * Faces whose raw embedding is shorter than this are dropped as not-a-face (0 = no gate). Only known for
   * the default embedder, whose real faces have longer raw embeddings than false detections and cut-off or
   * blurred background faces (README, "Pipeline").
   */
  minFaceNorm: number;
}

/** See Sessions.minFaceNorm. */
export const DEFAULT_MIN_FACE_NORM = 2.0;



/**
 * Returns a function that sets flush-to-zero and denormals-are-zero on the calling thread (through
 * @faceclust/core-native, an optional peer), or undefined when that is not available. Only inference
 * worker threads use it: JS arithmetic on the thread flushes subnormals too. Call it after the sessions are
 * created: onnxruntime's first session in a process resets the mode on the thread that creates it.
 * `FACECLUST_FLUSH_DENORMALS=0` turns it off (for comparisons).
 *
 * Why: onnxruntime runs a session inline on the thread that calls run(), its CPU kernels slow down badly on
 * subnormal floats, and the default models hold many subnormal weights (numbers: README, "Pipeline").
 * onnxruntime's own `session.set_denormal_as_zero` reaches only its pool threads and, once per process, the
 * thread that creates the first session, not every worker thread.
 */
export async function denormalFlusher(): Promise<(() => void) | undefined> {
  if (process.env.FACECLUST_FLUSH_DENORMALS === '0') return undefined;
  try {
    const { tryLoadNative } = await import('@faceclust/core-native');
    const { binding } = tryLoadNative();
    if (typeof binding?.setFlushDenormals !== 'function') return undefined;
    return () => void binding.setFlushDenormals(true);
  } catch {
    return undefined; // not installed (an optional peer): the models still run, more slowly
  }
}

/**
 * Graph optimisation level per model. With subnormals flushed, 'all' (NCHWc layouts, fusions) is fastest for
 * all three; without, the embedder's NCHWc convolutions crawl on its subnormal weights and 'basic' is faster
 * for it alone (README, "Pipeline").
 */
type OptLevel = 'basic' | 'all';

/**
 * `shapesVary`: the session's input size changes from run to run (the any-size detector): onnxruntime's
 * memory pattern, planned for one shape, then costs more than it saves (a 1600×1200 run ~1.2× slower
 * after runs at other sizes; README, "Measured").
 */
async function createSession(file: string, graphOptimizationLevel: OptLevel, shapesVary = false): Promise<ort.InferenceSession> {
  try {
    // one thread per session: parallelism comes from worker threads, one image each
    return await ort.InferenceSession.create(file, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel,
      executionMode: 'sequential',
      enableMemPattern: !shapesVary,
    });
  } catch (err) {
    throw new EmbedError('ERR_MODEL_LOAD', `Could not load ONNX model ${file}: ${(err as Error).message}`, { cause: err });
  }
}

function inputShape(session: ort.InferenceSession, index = 0): readonly (number | string)[] | undefined {
  const meta = session.inputMetadata?.[index] as { isTensor?: boolean; shape?: readonly (number | string)[] } | undefined;
  return meta?.isTensor ? meta.shape : undefined;
}

/** Checks that an embedder takes one [1|N, 3, 112, 112] float tensor; throws naming the file otherwise. */
export function checkEmbedderShape(session: ort.InferenceSession, file: string): void {
  const shape = inputShape(session);
  const fixed = (d: number | string | undefined, want: number) => typeof d !== 'number' || d === want || d < 0;
  const ok =
    session.inputNames.length === 1 &&
    shape !== undefined &&
    shape.length === 4 &&
    fixed(shape[1], 3) &&
    fixed(shape[2], 112) &&
    fixed(shape[3], 112) &&
    (typeof shape[0] !== 'number' || shape[0] === 1 || shape[0] < 0);
  if (!ok) {
    throw new EmbedError(
      'ERR_MODEL_SHAPE',
      `Embedding model ${file} has input shape [${shape?.join(', ') ?? '?'}] (${session.inputNames.length} input(s)); expected one input of shape [1, 3, 112, 112] (an ArcFace-style embedder)`,
    );
  }
}

/**
 * Loads detector, landmark model and embedder; one set per worker thread. `denormalsFlushed`: whether
 * the thread's subnormals will be flushed (see denormalFlusher; it picks the embedder's graph level).
 */
export async function loadSessions(model?: string, normalization?: Normalization, denormalsFlushed = false): Promise<Sessions> {
  const featureFile = embedderSessionPath(model);
  const [detect, detectAnySize, landmark, feature] = await Promise.all([
    createSession(defaultModelPath('detect'), 'all'),
    createSession(defaultModelPath('detectAnySize'), 'all', true),
    createSession(defaultModelPath('landmark'), 'all'),
    // the int8 embedder always at 'all': below 'extended' onnxruntime does not fuse its QDQ nodes into
    // integer kernels, and runs (and rounds) it as float arithmetic on dequantised values
    createSession(featureFile, denormalsFlushed || model === 'default-int8' ? 'all' : 'basic'),
  ]);
  checkEmbedderShape(feature, featureFile);
  const featureInput = feature.inputNames[0];
  const featureOutput = feature.outputNames[0];
  // probe once: gives the output size for any embedder and fails early on a model that cannot run
  const probe = await feature.run({ [featureInput]: new ort.Tensor('float32', new Float32Array(3 * 112 * 112), [1, 3, 112, 112]) });
  const featureDim = (probe[featureOutput].data as Float32Array).length;
  return {
    detect, detectAnySize, landmark, feature, featureInput, featureOutput, featureDim,
    featureBatch: 1,
    normalization: normalization ?? DEFAULT_NORMALIZATION,
    // the int8 embedder's raw lengths follow the fp32 one's (README, "int8 embedder")
    minFaceNorm: isBuiltinModel(model) ? DEFAULT_MIN_FACE_NORM : 0,
  };
}
