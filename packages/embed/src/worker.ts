// Worker thread: one set of ONNX sessions, images in, faces out. onnxruntime's run() blocks its thread,
// so all inference lives here; the main thread only coordinates and writes the store.
import { readFile, stat } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { contentHash } from './content-hash.js';
import { type DecodedImage, decodeImage, encodePng } from './decode.js';
import { EmbedError, errorMessage } from './errors.js';
import { type Sessions, denormalFlusher, loadSessions } from './models.js';
import { embedCrops, type Embedded } from './embedder.js';
import { type AnalyzeOptions, type LocatedFace, finishFaces, locateFaces, needsEmbedding } from './pipeline.js';
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
  | { type: 'ready'; dim: number; batch: number }
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
  port.postMessage({ type: 'ready', dim: sessions.featureDim, batch: sessions.featureBatch } satisfies FromWorker);

  // decoding starts as soon as a job arrives (on libuv's pool), overlapping the inference of the jobs before
  // it. With an embedder that takes a batch, the faces of every image already decoded go to it in one call.
  type Job = { id: number; path: string; loaded: Promise<Loaded>; ready?: Loaded };
  const queue: Job[] = [];
  let busy = false;
  const pump = async () => {
    if (busy) return;
    busy = true;
    while (queue.length) {
      const group = [queue.shift()!];
      await group[0].loaded;
      if (sessions.featureBatch > 1) while (queue.length && queue[0].ready) group.push(queue.shift()!);
      const located: { located?: LocatedFace[]; error?: string }[] = [];
      for (const job of group) {
        const l = job.ready ?? (await job.loaded);
        if (!l.image) continue;
        try {
          located.push({ located: await locateFaces(sessions, l.image, init.analyze) });
        } catch (err) {
          located.push({ error: `Failed while analysing ${job.path}: ${errorMessage(err)}` });
        }
      }
      let embedded: Embedded[] = [];
      let embedError: string | undefined;
      if (needsEmbedding(sessions, true)) {
        try {
          embedded = await embedCrops(sessions, located.flatMap((x) => x.located?.map((f) => f.crop) ?? []));
        } catch (err) {
          embedError = errorMessage(err);
        }
      }
      let at = 0, k = 0;
      for (const job of group) {
        const l = job.ready ?? (await job.loaded);
        const base = { type: 'result' as const, id: job.id, path: job.path, size: l.size, mtimeMs: l.mtimeMs, hash: l.hash };
        let msg: FromWorker;
        if (!l.image) {
          msg = { ...base, faces: [], error: l.error ?? 'unknown error' };
        } else {
          const { located: faces, error } = located[k++];
          const mine = embedded.slice(at, at + (faces?.length ?? 0));
          at += faces?.length ?? 0;
          if (!faces || embedError) {
            msg = { ...base, faces: [], error: error ?? `Failed while analysing ${job.path}: ${embedError}` };
          } else {
            try {
              const out: WorkerFace[] = [];
              for (const f of finishFaces(sessions, l.image, init.analyze, faces, mine, true)) {
                const png = await encodePng({ data: f.crop, width: 112, height: 112 });
                out.push({ box: f.box, score: f.score, landmarks: f.landmarks, quality: f.quality, crop: new Uint8Array(png.buffer, png.byteOffset, png.length), embedding: f.embedding! });
              }
              msg = { ...base, width: l.image.originalWidth, height: l.image.originalHeight, faces: out };
            } catch (err) {
              msg = { ...base, faces: [], error: `Failed while analysing ${job.path}: ${errorMessage(err)}` };
            }
          }
        }
        port.postMessage(msg);
      }
    }
    busy = false;
  };
  port.on('message', (m: ToWorker) => {
    if (m.type !== 'job') return;
    const job: Job = { id: m.id, path: m.path, loaded: load(m.path, init.analyze) };
    void job.loaded.then((l) => (job.ready = l));
    queue.push(job);
    void pump();
  });
}

void main();
