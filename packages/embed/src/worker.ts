// Worker thread: one set of ONNX sessions, images in, faces out. onnxruntime's run() blocks its thread,
// so all inference lives here; the main thread only coordinates and writes the store.
import { readFile, stat } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { contentHash } from './content-hash.js';
import { type DecodedImage, decodeImage, encodePng } from './decode.js';
import { EmbedError, errorMessage } from './errors.js';
import { type Sessions, denormalFlusher, loadSessions } from './models.js';
import { type AnalyzeOptions, analyzeImage } from './pipeline.js';
import type { StoredFace } from './store.js';

export interface WorkerInit {
  model?: string;
  normalization: { mean: number; std: number };
  analyze: AnalyzeOptions;
}

export type ToWorker = { type: 'job'; id: number; path: string };

/** A face as the worker sends it: exactly what the store keeps (a type-only import, so no SQLite here). */
export type WorkerFace = StoredFace;

export type FromWorker =
  | { type: 'ready'; dim: number }
  | { type: 'fatal'; message: string; code?: string }
  | {
      type: 'result'; id: number; path: string; size: number; mtimeMs: number; hash?: string;
      width?: number; height?: number; faces: WorkerFace[]; error?: string;
    };

interface Loaded {
  size: number;
  mtimeMs: number;
  hash?: string;
  image?: DecodedImage;
  error?: string;
}

/** Reads, hashes and decodes one file (reduced as `analyze` lets it be); never throws (the reason goes in `error`). */
async function load(file: string, analyze: AnalyzeOptions): Promise<Loaded> {
  let size = 0, mtimeMs = 0;
  try {
    const st = await stat(file);
    size = st.size;
    mtimeMs = st.mtimeMs;
    if (!st.isFile()) return { size, mtimeMs, error: `Not a regular file: ${file}` };
    const bytes = await readFile(file);
    const hash = contentHash(bytes);
    if (bytes.length === 0) return { size, mtimeMs, hash, error: `Could not decode image ${file}: empty file (0 bytes)` };
    try {
      return { size, mtimeMs, hash, image: await decodeImage(bytes, file, analyze) };
    } catch (err) {
      return { size, mtimeMs, hash, error: errorMessage(err) };
    }
  } catch (err) {
    return { size, mtimeMs, error: `Could not read ${file}: ${errorMessage(err)}` };
  }
}

async function main(): Promise<void> {
  const port = parentPort!;
  const init = workerData as WorkerInit;
  let sessions: Sessions;
  const flushDenormals = await denormalFlusher();
  try {
    sessions = await loadSessions(init.model, init.normalization, flushDenormals !== undefined);
    flushDenormals?.();
  } catch (err) {
    port.postMessage({ type: 'fatal', message: errorMessage(err), code: err instanceof EmbedError ? err.code : undefined } satisfies FromWorker);
    return;
  }
  port.postMessage({ type: 'ready', dim: sessions.featureDim } satisfies FromWorker);

  // decoding starts as soon as a job arrives (on libuv's pool), overlapping the inference of the job before it
  const queue: { id: number; path: string; loaded: Promise<Loaded> }[] = [];
  let busy = false;
  const pump = async () => {
    if (busy) return;
    busy = true;
    while (queue.length) {
      const job = queue.shift()!;
      const l = await job.loaded;
      const base = { type: 'result' as const, id: job.id, path: job.path, size: l.size, mtimeMs: l.mtimeMs, hash: l.hash };
      let msg: FromWorker;
      if (!l.image) {
        msg = { ...base, faces: [], error: l.error ?? 'unknown error' };
      } else {
        try {
          const faces = await analyzeImage(sessions, l.image, init.analyze, true);
          const out: WorkerFace[] = [];
          for (const f of faces) {
            const png = await encodePng({ data: f.crop, width: 112, height: 112 });
            out.push({ box: f.box, score: f.score, landmarks: f.landmarks, quality: f.quality, crop: new Uint8Array(png.buffer, png.byteOffset, png.length), embedding: f.embedding! });
          }
          msg = { ...base, width: l.image.originalWidth, height: l.image.originalHeight, faces: out };
        } catch (err) {
          msg = { ...base, faces: [], error: `Failed while analysing ${job.path}: ${errorMessage(err)}` };
        }
      }
      port.postMessage(msg);
    }
    busy = false;
  };
  port.on('message', (m: ToWorker) => {
    if (m.type !== 'job') return;
    queue.push({ id: m.id, path: m.path, loaded: load(m.path, init.analyze) });
    void pump();
  });
}

void main();
