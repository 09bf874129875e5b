import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { loadNative } from './native.js';

const loader = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'native.js');

// In a worker thread, as in @faceclust/embed: the mode is per thread and must not leak into this one.
function inWorker(): Promise<{ before: boolean; flushedQuotient: number; after: boolean; restoredQuotient: number }> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.loader).then(({ loadNative }) => {
      const native = loadNative();
      const smallestNormal = Number(workerData.smallestNormal);
      const before = native.setFlushDenormals(true);
      const flushedQuotient = smallestNormal / 4;
      const after = native.setFlushDenormals(false);
      const restoredQuotient = smallestNormal / 4;
      parentPort.postMessage({ before, flushedQuotient, after, restoredQuotient });
    });`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: { loader, smallestNormal: '2.2250738585072014e-308' } });
    worker.once('message', (message) => {
      resolve(message);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

describe.runIf(process.arch === 'x64' || process.arch === 'arm64')('setFlushDenormals', () => {
  it('flushes subnormal results on the calling worker thread only, and restores', async () => {
    const r = await inWorker();
    expect(r.before).toBe(false);
    expect(r.flushedQuotient).toBe(0);
    expect(r.after).toBe(true);
    expect(r.restoredQuotient).toBeGreaterThan(0);
    const smallestNormal = Number('2.2250738585072014e-308');
    expect(smallestNormal / 4).toBeGreaterThan(0); // this thread untouched
  });

  it('rejects a non-boolean', () => {
    expect(() => (loadNative().setFlushDenormals as (v: unknown) => boolean)(1)).toThrow(/boolean for on/);
  });
});
