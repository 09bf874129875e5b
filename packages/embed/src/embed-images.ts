import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { contentHash } from './content-hash.js';
import { EmbedError, describe, errorMessage } from './errors.js';
import { embedderId, isBuiltinModel, resolveEmbedderPath, validateNormalization } from './models.js';
import { validateAnalyzeOptions } from './pipeline.js';
import { FaceStore, type ImageRow } from './store.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker.js';

export interface EmbedOptions {
  /** SQLite file, e.g. `<out>/faces.sqlite` (created if absent). */
  storePath: string;
  /**
   * 'default' (fp32), 'default-int8' (its static int8 quantisation: opt-in, slightly different embeddings,
   * a model id of its own) or a path to an ArcFace-style .onnx (one [1|N,3,112,112] input, any output size).
   */
  model?: string;
  /** Input normalisation (p − mean) / std for a custom model; default { mean: 127, std: 128 }. */
  modelNormalization?: { mean: number; std: number };
  /** Default true; false = inputs are ready face crops (one face each, aligned when landmarks are found). */
  detect?: boolean;
  /** Worker threads, default os.availableParallelism(). */
  threads?: number;
  /** Smallest face kept, in original pixels (box height); default 20. */
  minFaceSize?: number;
  /** Detector score threshold in (0, 1]; default 0.75 (tuned on groups/). */
  detectionThreshold?: number;
  /** Longest side (pixels) of the finest tiled detection pass; default 1600. */
  maxDetectSide?: number;
  /** Retry images recorded as errors even when unchanged; default false. */
  retryErrors?: boolean;
  /** Abort: images in flight are finished and stored, nothing new starts, the iterator then returns. */
  signal?: AbortSignal;
}

export type EmbedEvent = {
  type: 'image';
  path: string;
  status: 'done' | 'cached' | 'skipped';
  faces: number;
  error?: string;
  /** Set when the store already held this photo under another path: its row was moved there, or copied. */
  reused?: { from: string; how: 'moved' | 'copied' };
  done: number;
  total: number;
};

/** In flight per worker: the next images decode while the current one is in inference. */
const PER_WORKER = 3;
/** How long teardown waits for workers to finish loading or running a model before terminating them. */
const IDLE_WAIT_MS = 60_000;

/** A store error that ends the run: a damaged store keeps its own ERR_STORE_CORRUPT, anything else is ERR_STORE. */
function storeFailure(err: unknown, what: string): EmbedError {
  if (err instanceof EmbedError && err.code === 'ERR_STORE_CORRUPT') return err;
  return new EmbedError('ERR_STORE', `${what}: ${errorMessage(err)}`, { cause: err });
}

function workerUrl(): URL {
  const here = new URL('./worker.js', import.meta.url);
  if (!import.meta.url.endsWith('.ts')) return here;
  // running from sources (vitest): worker threads need the compiled worker
  const built = new URL('../dist/worker.js', import.meta.url);
  if (!existsSync(fileURLToPath(built))) {
    throw new Error(`embedImages needs the compiled worker ${fileURLToPath(built)}: run \`pnpm --filter @faceclust/embed build\``);
  }
  return built;
}

const gone = (file: string): Promise<boolean> =>
  stat(file).then(
    () => false,
    (err: NodeJS.ErrnoException) => err.code === 'ENOENT' || err.code === 'ENOTDIR',
  );

/**
 * A stored image with the same bytes as `file` (a path with no row yet, `size` bytes), found by size and
 * then SHA-1, so only size collisions cost a read. One whose file is gone comes first (`file` is where it
 * moved, and taking it leaves no stale row behind), else one whose file is still there (a copy); images
 * done come before recorded errors. Undefined when there is none.
 */
async function sameContent(store: FaceStore, file: string, model: string, size: number): Promise<{ row: ImageRow & { id: number }; how: 'moved' | 'copied' } | undefined> {
  const candidates = store.findByContent(model, size).filter((r) => r.hash !== undefined);
  if (candidates.length === 0) return undefined;
  let hash: string;
  try {
    hash = contentHash(await readFile(file));
  } catch {
    return undefined; // the worker records why it cannot be read
  }
  const same = candidates.filter((r) => r.hash === hash).sort((a, b) => Number(a.status !== 'done') - Number(b.status !== 'done'));
  for (const row of same) if (await gone(row.path)) return { row, how: 'moved' };
  return same.length ? { row: same[0], how: 'copied' } : undefined;
}

/**
 * Embeds every face of every image into the store at `options.storePath`, yielding one event per image
 * as it completes. Unchanged images already done are `cached`; a photo the store knows under another path
 * (same model, same bytes) is `cached` too, with `reused`: its row follows it when the old file is gone
 * (moved or renamed: face ids kept) or is copied when it is still there. Unreadable or undecodable images
 * are recorded with their reason and yielded as `skipped`. Errors that concern the whole run (bad model,
 * bad options, store not writable, store damaged: EmbedError ERR_STORE_CORRUPT) are thrown.
 */
export async function* embedImages(paths: string[], options: EmbedOptions): AsyncGenerator<EmbedEvent, void, undefined> {
  if (!Array.isArray(paths)) throw new TypeError(`Expected an array of file paths for paths but received ${describe(paths)}`);
  paths.forEach((p, i) => {
    if (typeof p !== 'string' || !p) throw new TypeError(`Expected a file path for paths[${i}] but received ${describe(p)}`);
  });
  if (typeof options !== 'object' || options === null) throw new TypeError(`Expected an options object for options but received ${describe(options)}`);
  const analyze = validateAnalyzeOptions(options);
  const normalization = validateNormalization(options.modelNormalization);
  const threads = options.threads ?? os.availableParallelism();
  if (typeof threads !== 'number' || !Number.isInteger(threads)) throw new TypeError(`Expected an integer for threads but received ${describe(threads)}`);
  if (threads < 1 || threads > 256) throw new RangeError(`Expected an integer between 1 and 256 for threads but received ${threads}`);
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError(`Expected an AbortSignal for signal but received ${describe(signal)}`);
  const modelFile = resolveEmbedderPath(options.model);
  const modelId = embedderId(options.model);
  const modelArg = isBuiltinModel(options.model) ? options.model : modelFile;

  const files = [...new Set(paths.map((p) => path.resolve(p)))];
  const total = files.length;
  const store = FaceStore.open(options.storePath);
  let done = 0;
  const workers: Worker[] = [];
  const states: { loading: boolean; mine: Map<number, string>; exited: boolean }[] = [];
  try {
    // 1. what is already done needs no worker
    const todo: string[] = [];
    for (const file of files) {
      if (signal?.aborted) return;
      let st: { size: number; mtimeMs: number; isFile(): boolean } | undefined;
      try {
        st = await stat(file);
      } catch {
        st = undefined; // the worker records the precise reason
      }
      const row = st && store.lookup(file, modelId);
      if (row && st && row.size === st.size && row.mtimeMs === st.mtimeMs && (row.status === 'done' || !options.retryErrors)) {
        done++;
        yield row.status === 'done'
          ? { type: 'image', path: file, status: 'cached', faces: row.faces, done, total }
          : { type: 'image', path: file, status: 'skipped', faces: 0, error: row.error, done, total };
        continue;
      }
      const same = !row && st?.isFile() ? await sameContent(store, file, modelId, st.size) : undefined;
      if (!same || !st) {
        todo.push(file);
        continue;
      }
      const retry = same.row.status === 'error' && options.retryErrors;
      if (same.how === 'moved') store.moveImage(same.row.id, file, st.size, st.mtimeMs);
      else if (!retry) store.copyImage(same.row.id, file, st.size, st.mtimeMs);
      if (retry) {
        todo.push(file); // a moved error row is still retried, now under its new path
        continue;
      }
      done++;
      const reused = { from: same.row.path, how: same.how };
      // a recorded error stays an error under its new path, as it would if the photo had not moved
      yield same.row.status === 'done'
        ? { type: 'image', path: file, status: 'cached', faces: same.row.faces, reused, done, total }
        : { type: 'image', path: file, status: 'skipped', faces: 0, error: same.row.error, reused, done, total };
    }
    if (todo.length === 0 || signal?.aborted) return;

    // 2. a pool of workers, each with its own sessions
    const events: EmbedEvent[] = [];
    let wake: (() => void) | undefined;
    let fatal: Error | undefined;
    const notify = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const onAbort = () => notify();
    signal?.addEventListener('abort', onAbort);
    let next = 0;
    let nextId = 0;
    let inFlight = 0;
    let dimRegistered = false;
    const init: WorkerInit = { model: modelArg, normalization, analyze };
    const url = workerUrl();
    let respawns = 0;

    const spawn = (): void => {
      const w = new Worker(url, { workerData: init });
      const mine = new Map<number, string>();
      let ready = false;
      const state = { loading: true, mine, exited: false };
      states.push(state);
      const feed = () => {
        while (ready && mine.size < PER_WORKER && next < todo.length && !signal?.aborted && !fatal) {
          const id = nextId++;
          mine.set(id, todo[next]);
          w.postMessage({ type: 'job', id, path: todo[next++] } satisfies ToWorker);
          inFlight++;
        }
      };
      w.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          ready = true;
          state.loading = false;
          if (!dimRegistered) {
            dimRegistered = true;
            try {
              store.registerModel(modelId, modelFile, m.dim, normalization);
            } catch (err) {
              // thrown here it would be an uncaught exception in an event handler: end the run instead
              fatal ??= storeFailure(err, `Could not register model ${modelId} in ${store.path}`);
              notify();
              return;
            }
          }
          feed();
        } else if (m.type === 'fatal') {
          state.loading = false;
          fatal ??= new EmbedError((m.code as never) ?? 'ERR_MODEL_LOAD', m.message);
          notify();
        } else {
          mine.delete(m.id);
          inFlight--;
          try {
            store.writeImage({ ...m, model: modelId });
          } catch (err) {
            fatal ??= storeFailure(err, `Could not write ${m.path} to ${store.path}`);
            notify();
            return; // not stored, so not reported as done
          }
          done++;
          events.push(
            m.error === undefined
              ? { type: 'image', path: m.path, status: 'done', faces: m.faces.length, done, total }
              : { type: 'image', path: m.path, status: 'skipped', faces: 0, error: m.error, done, total },
          );
          feed();
          notify();
        }
      });
      const lost = (reason: string) => {
        state.exited = true;
        const idx = workers.indexOf(w);
        if (idx < 0) return; // terminated by us
        workers.splice(idx, 1);
        // a crash takes the images in flight with it: record them so a rerun does not loop on them forever
        for (const file of mine.values()) {
          inFlight--;
          done++;
          const error = `Worker thread died while processing this image: ${reason}`;
          try {
            store.writeImage({ path: file, model: modelId, size: -1, mtimeMs: -1, faces: [], error });
          } catch {
            /* store errors surface on the next write */
          }
          events.push({ type: 'image', path: file, status: 'skipped', faces: 0, error, done, total });
        }
        mine.clear();
        if (!fatal && respawns++ < 2 * threads && next < todo.length) spawn();
        else if (!fatal && workers.length === 0 && next < todo.length) fatal = new Error(`Worker threads keep dying (${reason}); giving up`);
        notify();
      };
      w.on('error', (err) => lost(errorMessage(err)));
      w.on('exit', (code) => lost(`exit code ${code}`));
      workers.push(w);
    };
    for (let i = 0; i < Math.min(threads, todo.length); i++) spawn();

    while (true) {
      while (events.length) yield events.shift()!;
      if (fatal) throw fatal;
      const finished = next >= todo.length || signal?.aborted;
      if (finished && inFlight === 0) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (events.length || fatal) notify();
      });
    }
    signal?.removeEventListener('abort', onAbort);
  } finally {
    // Terminating a worker while onnxruntime is loading a model or running one aborts the whole process
    // (a native exception during teardown), so let each worker finish what it holds first; results that
    // arrive meanwhile are still written to the store.
    const deadline = Date.now() + IDLE_WAIT_MS;
    while (states.some((st) => !st.exited && (st.loading || st.mine.size > 0)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const ws = workers.splice(0);
    await Promise.all(ws.map((w) => w.terminate()));
    store.close();
  }
}
