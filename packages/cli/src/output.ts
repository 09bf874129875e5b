/**
 * The output folder is faceclust's alone: it is created (or recognised as one faceclust made) up front,
 * call numbers come from its store, and every file a call writes is created exclusively, so nothing in
 * the folder is ever overwritten and nothing outside it is touched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FaceStore } from '@faceclust/embed';
import { UsageError } from './options.js';
import { BLOCK_START, LOG_FILE } from './reports/log.js';

/** Where the embedding store lives inside an output folder. */
export const STORE_FILE = 'faces.sqlite';
/** The HNSW index kept for later calls (@faceclust/cluster's hnswFolderStore), inside an output folder. */
export const HNSW_DIR = 'hnsw';
/** Call numbers taken before they were recorded in the store: one empty folder per number (read, never written now). */
const LEGACY_CALLS_DIR = '.faceclust-calls';
/** Output names that carry a call number: `clusters-007-…xlsx`, `report-007-…/`, `saveas-007-…/`, `tune-007-…`. */
const NUMBERED_OUTPUT = /^(?:clusters|report|saveas|tune)-(\d+)-/;

/** A file or folder a call must create already exists, or cannot be written: the call fails with this. */
export class OutputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OutputError';
  }
}

/**
 * Creates `dir` and its missing parents one level at a time. Node's `mkdirSync(…, { recursive: true })`
 * spins forever on some virtual file systems (`/proc/nope`), so the recursion is ours.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let cur = path.resolve(dir);
  while (!fs.existsSync(cur)) {
    missing.push(cur);
    const parent = path.dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  for (const d of missing.reverse()) fs.mkdirSync(d);
}

/** Why `dir` is a faceclust output folder (its store, or a log.txt of ours), or undefined when it is not one. */
export function outputFolderMark(dir: string): string | undefined {
  if (fs.existsSync(path.join(dir, STORE_FILE))) return `it holds ${STORE_FILE}`;
  try {
    const fd = fs.openSync(path.join(dir, LOG_FILE), 'r');
    try {
      const head = Buffer.alloc(BLOCK_START.length);
      fs.readSync(fd, head, 0, head.length, 0);
      if (head.toString('utf8') === BLOCK_START) return `it holds a faceclust ${LOG_FILE}`;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    /* no log.txt */
  }
  return undefined;
}

/**
 * Creates `out` (with its parents) or accepts it when it is empty or a faceclust output folder, and proves
 * it is writable. A folder holding anything else is refused: faceclust never writes among a user's files.
 */
export function prepareOutDir(out: string): string {
  if (typeof out !== 'string' || out === '') throw new TypeError(`Expected a folder path for outPath but received ${JSON.stringify(out)}`);
  const dir = path.resolve(out);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(dir);
  } catch {
    st = undefined;
  }
  if (st && !st.isDirectory()) throw new UsageError(`Output folder ${dir} is a file, not a folder: choose another --out`);
  if (st) {
    const store = path.join(dir, STORE_FILE);
    if (fs.existsSync(store)) {
      try {
        FaceStore.open(store).close(); // refuses, untouched, a SQLite file of another program
      } catch (err) {
        if ((err as { code?: string }).code === 'ERR_STORE_FOREIGN') throw new UsageError(`${(err as Error).message}: choose another --out`);
        // a damaged store is ours: the call that reads it says so, with what to do
      }
    }
    // faceclust's own dot-files (a lock, a write probe) left by a process that died before its store existed
    const entries = fs.readdirSync(dir).filter((e) => !/^\.(faceclust-|write-test-)/.test(e));
    if (entries.length > 0 && !outputFolderMark(dir)) {
      const shown = entries.sort().slice(0, 3).join(', ');
      throw new UsageError(
        `Output folder ${dir} is not empty and is not a faceclust output folder (it holds ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}: ${shown}${entries.length > 3 ? ', …' : ''}). ` +
          'faceclust writes only into a new or empty folder, or one it made: choose another --out',
      );
    }
  }
  try {
    makeDirs(dir);
    const probe = path.join(dir, `.write-test-${process.pid}`);
    fs.writeFileSync(probe, '', { flag: 'wx' });
    fs.rmSync(probe);
  } catch (err) {
    throw new UsageError(`Output folder ${dir} cannot be created or written: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return dir;
}

/** The largest call number the folder's file names (and a pre-store call counter) already use; 0 if none. */
export function highestNumberedOutput(dir: string): number {
  let max = 0;
  const names = [...fs.readdirSync(dir), ...(fs.existsSync(path.join(dir, LEGACY_CALLS_DIR)) ? fs.readdirSync(path.join(dir, LEGACY_CALLS_DIR)).map((n) => `report-${n}-`) : [])];
  for (const name of names) {
    const m = NUMBERED_OUTPUT.exec(name);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max;
}

/**
 * Takes the next call number of the output folder `dir`: recorded in its store (opened here unless given),
 * above every number its file names already use, so a folder copied without its dot-files, or outputs
 * from before calls were recorded, never get a number twice.
 */
export function reserveCall(dir: string, call: { kind: string; command: string; store?: FaceStore } = { kind: 'call', command: '' }): number {
  const store = call.store ?? FaceStore.open(path.join(dir, STORE_FILE));
  try {
    return store.beginCall({ kind: call.kind, command: call.command, floor: highestNumberedOutput(dir) + 1 });
  } finally {
    if (!call.store) store.close();
  }
}

/** Names of one clustering call's outputs, relative to the output folder. */
export interface CallPaths {
  xlsx: string;
  report: string;
  saveas: string;
}

export function callPaths(call: number, tag: string): CallPaths {
  const id = String(call).padStart(3, '0');
  return {
    xlsx: `clusters-${id}-${tag}.xlsx`,
    report: `report-${id}-${tag}`,
    saveas: `saveas-${id}-${tag}`,
  };
}

/** Turns a failed exclusive create (or any write error) into an OutputError naming the path. */
export function outputError(file: string, err: unknown): OutputError {
  if (err instanceof OutputError) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EEXIST') {
    return new OutputError(`Could not write ${file}: it already exists, and faceclust never overwrites a file (two calls got the same name: please report this)`, { cause: err });
  }
  return new OutputError(`Could not write ${file}: ${code ?? (err as Error)?.message ?? String(err)}`, { cause: err });
}

/** Creates the folder `dir`, which must not exist yet. */
export function createFolder(dir: string): void {
  try {
    fs.mkdirSync(dir);
  } catch (err) {
    throw outputError(dir, err);
  }
}

/**
 * Gives the finished file `tmp` its final name `file`, which must not exist yet: a hard link fails when
 * the name is taken (a rename would silently replace it), then the temporary name goes.
 */
export function publishFile(tmp: string, file: string): void {
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw outputError(file, err);
  }
  fs.rmSync(tmp);
}

/** Creates `file`, which must not exist yet (an OutputError names it otherwise). */
export async function writeNewFile(file: string, bytes: Uint8Array | string): Promise<void> {
  try {
    await fs.promises.writeFile(file, bytes, { flag: 'wx' });
  } catch (err) {
    throw outputError(file, err);
  }
}

/** A temporary name beside `file` that no other process uses. */
export function partialName(file: string): string {
  return `${file}.${process.pid}.partial`;
}

/** Replaces a file faceclust owns and rebuilds on every call (the report index) in one step: written beside, renamed. */
export function replaceOwnFile(file: string, content: string): void {
  const tmp = partialName(file);
  fs.writeFileSync(tmp, content, { flag: 'wx' });
  fs.renameSync(tmp, file);
}
