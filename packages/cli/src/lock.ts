/**
 * One writer at a time per output folder: embedding (and pruning) take `<out>/.faceclust-lock`; a second
 * writer is refused at once with who holds it. A lock left by a process that is gone is taken over.
 * Clustering calls only read the store and may run beside a writer.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { partialName } from './output.js';
import { UsageError } from './options.js';

export const LOCK_FILE = '.faceclust-lock';

interface LockInfo {
  pid: number;
  host: string;
  /** Start time of the process in clock ticks since boot (Linux), so a reused pid is not mistaken for it. */
  startTicks?: number;
  started: string;
  command: string;
}

/** Field 22 of /proc/<pid>/stat (start time), or undefined where there is no /proc. */
function startTicks(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may hold spaces: count from the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(fields[19]);
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote `info` still runs (always assumed when it ran on another host). */
function holderAlive(info: LockInfo): boolean {
  if (info.host !== os.hostname()) return true;
  try {
    process.kill(info.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const ticks = startTicks(info.pid);
  return info.startTicks === undefined || ticks === undefined || ticks === info.startTicks;
}

function readLock(file: string): LockInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
    return Number.isInteger(info.pid) && typeof info.host === 'string' ? info : undefined;
  } catch {
    return undefined;
  }
}

/** The output folder's write lock is held by another live process (or another call of this one). */
export class LockBusyError extends UsageError {
  override name = 'LockBusyError';
}

/**
 * Takes the write lock of the output folder `dir` for this process, or throws a UsageError naming the
 * process that holds it. Returns the release function (also run if the process exits while holding it).
 */
export function acquireWriteLock(dir: string, command: string): () => void {
  const file = path.join(dir, LOCK_FILE);
  const mine: LockInfo = { pid: process.pid, host: os.hostname(), startTicks: startTicks(process.pid), started: new Date().toISOString(), command };
  // written whole under a private name, then linked: the lock never exists half-written
  const tmp = partialName(file);
  fs.writeFileSync(tmp, `${JSON.stringify(mine)}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.linkSync(tmp, file);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw err;
      }
      const held = readLock(file);
      if (held && holderAlive(held)) {
        throw new LockBusyError(
          `${dir} is in use by faceclust (pid ${held.pid}${held.host === os.hostname() ? '' : ` on ${held.host}`}, started ${held.started}: ${held.command}). ` +
            `Wait for it to finish; if that process is gone, delete ${file}`,
        );
      }
      // stale (its process is gone) or unreadable: move it aside under a private name (atomic: only one taker wins), then retry
      const stale = `${file}.${process.pid}.stale`;
      try {
        fs.renameSync(file, stale);
        const moved = readLock(stale);
        // between our read and the rename another process may have taken the stale lock over and written its own
        if (moved && (!held || moved.pid !== held.pid || moved.started !== held.started)) fs.linkSync(stale, file);
        fs.rmSync(stale, { force: true });
      } catch {
        /* another process took it over first: retry */
      }
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    const now = readLock(file);
    if (now && now.pid === process.pid && now.host === mine.host) fs.rmSync(file, { force: true });
  };
  process.on('exit', release);
  return release;
}
