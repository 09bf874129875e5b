/**
 * Ctrl-C during `faceclust cluster` on a large store: the call stops within a second, keeps none of its
 * outputs, logs itself as interrupted, exits 130, and the store holds the same photos and faces as before.
 * The store is filled with synthetic faces (speed test data; quality is proven on real photos elsewhere).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { FaceStore, modelId } from '@faceclust/embed';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binJs, hasBin, storeImages, tempDir } from './test-helpers.js';

const N = 40_000;
const DIM = 512;
const dir = tempDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** n unit vectors around n/20 seeded centres (mulberry32), row-major. */
function clustered(n: number, dim: number, seed = 7): Float32Array {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const centres = new Float32Array(Math.ceil(n / 20) * dim).map(() => rand() - 0.5);
  const v = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = (i % (centres.length / dim)) * dim;
    let norm = 0;
    for (let k = 0; k < dim; k++) {
      const x = centres[c + k]! + (rand() - 0.5) * 0.05;
      v[i * dim + k] = x;
      norm += x * x;
    }
    const s = 1 / Math.sqrt(norm);
    for (let k = 0; k < dim; k++) v[i * dim + k]! *= s;
  }
  return v;
}

describe.skipIf(!hasBin)('Ctrl-C during faceclust cluster', () => {
  const out = path.join(dir, 'out');
  beforeAll(async () => {
    fs.mkdirSync(out);
    const crop = await sharp({ create: { width: 112, height: 112, channels: 3, background: { r: 128, g: 128, b: 128 } } }).png().toBuffer();
    const vectors = clustered(N, DIM);
    const store = FaceStore.open(path.join(out, 'faces.sqlite'));
    try {
      const model = modelId();
      store.registerModel(model, 'synthetic', DIM, { mean: 127, std: 128 });
      store.setMeta('detect_mode', 'detect');
      // the photos must exist: faces of photos that are gone are left out of every clustering
      const photos = path.join(dir, 'photos');
      fs.mkdirSync(photos);
      store.transaction(() => {
        for (let i = 0; i < N; i++) {
          const file = path.join(photos, `${i}.jpg`);
          fs.writeFileSync(file, '');
          store.writeImage({
            path: file, model, size: 0, mtimeMs: 0,
            faces: [{ box: [0, 0, 100, 100], score: 0.99, landmarks: [30, 40, 70, 40, 50, 60, 35, 80, 65, 80], quality: { sharpness: 100, size: 100 }, crop, embedding: vectors.subarray(i * DIM, (i + 1) * DIM) }],
          });
        }
      });
    } finally {
      store.close();
    }
  }, 300_000);

  it('stops within a second of SIGINT, keeps no outputs, logs the call as interrupted, exits 130; the store is as it was', async () => {
    const before = storeImages(out).length;
    const child = spawn(process.execPath, [binJs, 'cluster', 'cw', '--out', out, '-v'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let sentAt = 0;
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      // once the clustering step has started, as a person pressing Ctrl-C would
      if (!sentAt && /clustering \d+ faces/.test(stderr)) {
        setTimeout(() => {
          sentAt = performance.now();
          child.kill('SIGINT');
        }, 300);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const stoppedMs = performance.now() - sentAt;
    expect(sentAt, stderr).toBeGreaterThan(0);
    expect(code, stderr).toBe(130);
    expect(stoppedMs).toBeLessThan(1500); // a second, plus the process's own exit on a shared machine
    expect(stderr).toContain('Call 001 was interrupted: its incomplete outputs were removed');
    expect(stderr).not.toMatch(/\n\s+at /);
    const names = fs.readdirSync(out);
    expect(names.filter((f) => /^(clusters|report|saveas)-001/.test(f))).toEqual([]);
    expect(fs.readFileSync(path.join(out, 'log.txt'), 'utf8')).toMatch(/=== faceclust call 001: chinese whispers \(interrupted\)/);
    expect(storeImages(out).length).toBe(before);
    const store = FaceStore.open(path.join(out, 'faces.sqlite'));
    try {
      expect(store.listCalls()).toMatchObject([{ id: 1, status: 'failed', error: 'interrupted (the signal was aborted, e.g. Ctrl-C)' }]);
    } finally {
      store.close();
    }
  }, 300_000);
});
