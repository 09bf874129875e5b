/** Every store operation's error handling: damage found by SQLite surfaces as one clear error naming the file. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { EmbedError } from './errors.js';

/** SQLite result codes that mean the file itself is damaged, not that a statement was wrong. */
const DAMAGED = /^SQLITE_(CORRUPT|NOTADB|IOERR_SHORT_READ)/;

/**
 * Every store operation runs through here, so SQLite finding the file damaged (garbage, cut short, pages
 * overwritten) surfaces as one EmbedError ERR_STORE_CORRUPT naming the file, whichever call met it first.
 * The constructor wraps its own errors, hence the look at `cause`. Other errors pass unchanged.
 */
export function storeCall<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    for (let e: unknown = err, depth = 0; e instanceof Error && depth < 3; e = e.cause, depth++) {
      if (e instanceof EmbedError && e.code === 'ERR_STORE_CORRUPT') throw e;
      const code = (e as { code?: unknown }).code;
      if (typeof code === 'string' && DAMAGED.test(code)) {
        const cut = cutShort(file);
        throw new EmbedError('ERR_STORE_CORRUPT', `Face store ${file} is damaged${cut ? `: ${cut}` : ''} (SQLite: ${e.message}).`, { cause: e });
      }
    }
    throw err;
  }
}

/** "it is cut short at N of M bytes" when the file is smaller than its header says; read only once damage is known. */
function cutShort(file: string): string | undefined {
  try {
    const fd = openSync(file, 'r');
    try {
      const h = Buffer.alloc(100);
      if (readSync(fd, h, 0, 100, 0) < 100 || h.toString('latin1', 0, 16) !== 'SQLite format 3\0') return undefined;
      const pageSize = h.readUInt16BE(16) === 1 ? 65536 : h.readUInt16BE(16);
      // the header's page count holds only when written with the current change counter
      if (h.readUInt32BE(92) !== h.readUInt32BE(24)) return undefined;
      const expected = h.readUInt32BE(28) * pageSize;
      const size = fstatSync(fd).size;
      return size < expected ? `it is cut short at ${size} of ${expected} bytes` : undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

