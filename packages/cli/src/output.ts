/**
 * The output folder: created and checked for writing up front, and a call counter kept inside it so
 * the outputs of successive calls (even from separate processes) never collide.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from './options.js';

/** Where the embedding store lives inside an output folder. */
export const STORE_FILE = 'faces.sqlite';
/** One empty folder per call number taken: `mkdir` is atomic, so two processes never get the same number. */
const CALLS_DIR = '.faceclust-calls';

/** Creates `out` (recursively) and proves it is writable; throws a UsageError naming it otherwise. */
export function prepareOutDir(out: string): string {
  if (typeof out !== 'string' || out === '') throw new TypeError(`Expected a folder path for outPath but received ${JSON.stringify(out)}`);
  const dir = path.resolve(out);
  try {
    fs.mkdirSync(dir, { recursive: true });
    const probe = path.join(dir, `.write-test-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
  } catch (err) {
    throw new UsageError(`Output folder ${dir} is not writable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return dir;
}

/** Takes the next call number in `dir` (1, 2, …). */
export function reserveCall(dir: string): number {
  const calls = path.join(dir, CALLS_DIR);
  fs.mkdirSync(calls, { recursive: true });
  let n = 1;
  for (const name of fs.readdirSync(calls)) {
    const k = Number(name);
    if (Number.isInteger(k) && k >= n) n = k + 1;
  }
  for (;; n++) {
    try {
      fs.mkdirSync(path.join(calls, String(n).padStart(3, '0')));
      return n;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
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
