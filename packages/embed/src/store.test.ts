import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { type EmbedEvent, embedImages } from './embed-images.js';
import { FaceStore } from './store.js';
import { dataDir, distIndex, hasData, hasDist, lfwPeople } from './test-data.js';

async function collect(paths: string[], opts: Parameters<typeof embedImages>[1]): Promise<EmbedEvent[]> {
  const out: EmbedEvent[] = [];
  for await (const ev of embedImages(paths, opts)) out.push(ev);
  return out;
}

describe.skipIf(!hasData || !hasDist)('FaceStore and resumable runs', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'faceclust-store-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const files = lfwPeople(2, 40, 3).flatMap((p) => p.files).slice(0, 40);

  it('a run killed with SIGKILL loses only images in flight; the rerun redoes nothing that was done', async () => {
    const storePath = path.join(dir, 'killed.sqlite');
    const script = path.join(dir, 'child.mjs');
    writeFileSync(
      script,
      `import { embedImages } from ${JSON.stringify(pathToFileURL(distIndex).href)};
const files = JSON.parse(process.argv[2]);
for await (const ev of embedImages(files, { storePath: process.argv[3], threads: 1 })) console.log(JSON.stringify(ev));`,
    );
    const seen: EmbedEvent[] = [];
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [script, JSON.stringify(files), storePath], { stdio: ['ignore', 'pipe', 'inherit'] });
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          seen.push(JSON.parse(buf.slice(0, nl)));
          buf = buf.slice(nl + 1);
          if (seen.length === 8) child.kill('SIGKILL');
        }
      });
      child.on('exit', (code, sig) => (sig === 'SIGKILL' ? resolve() : reject(new Error(`child ended by itself (code ${code}) before being killed`))));
    });
    expect(seen.length).toBeGreaterThanOrEqual(8);
    expect(seen.length).toBeLessThan(files.length);
    // every image reported done before the kill is committed
    const store = FaceStore.open(storePath);
    const rows = new Map(store.listImages().map((r) => [r.path, r]));
    for (const ev of seen) expect(rows.get(ev.path)).toMatchObject({ status: 'done', faces: ev.faces });
    store.close();

    const rerun = await collect(files, { storePath, threads: 2 });
    const before = new Set(seen.map((e) => e.path));
    for (const ev of rerun) expect(ev.status).toBe(before.has(ev.path) ? 'cached' : 'done');
    expect(rerun.filter((e) => e.status === 'done').length).toBe(files.length - seen.length);

    const after = FaceStore.open(storePath);
    const list = after.listImages();
    expect(list).toHaveLength(files.length);
    expect(list.every((r) => r.status === 'done')).toBe(true);
    const set = after.loadFaces('default');
    expect(set.faces.length).toBe(list.reduce((s, r) => s + r.faces, 0)); // no duplicate or orphan faces
    after.close();
  });

  it('loadFaces gives all embeddings in one Float32Array, unit length, filtered by file; crops are 112×112 PNGs', async () => {
    const store = FaceStore.open(path.join(dir, 'killed.sqlite'));
    const set = store.loadFaces(store.modelId());
    expect(set.model).toBe('faceplugin-fr-feature@sha256:87aacdfe57510db2');
    expect(set.dim).toBe(512);
    expect(set.vectors).toBeInstanceOf(Float32Array);
    expect(set.vectors.length).toBe(set.faces.length * 512);
    for (let i = 0; i < set.faces.length; i++) {
      let s = 0;
      for (let k = 0; k < 512; k++) s += set.vectors[i * 512 + k] ** 2;
      expect(Math.sqrt(s)).toBeCloseTo(1, 5);
    }
    const sorted = [...set.faces].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.faceIndex - b.faceIndex));
    expect(set.faces).toEqual(sorted);
    const one = store.loadFaces('default', { files: [files[3]] });
    expect(one.faces.every((f) => f.file === files[3])).toBe(true);
    const k = set.faces.findIndex((f) => f.id === one.faces[0].id);
    expect(one.vectors.subarray(0, 512)).toEqual(set.vectors.subarray(k * 512, k * 512 + 512));
    expect(one.vectors.buffer.byteLength).toBe(one.faces.length * 512 * 4); // holds its rows only, not the store's
    const png = store.getCrop(one.faces[0].id);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 112, 112]);
    expect(store.loadFaces('other-model@sha256:0000000000000000').faces).toEqual([]); // models never mixed
    expect(set.faces.every((f) => Array.isArray(f.landmarks) && f.landmarks.length === 10)).toBe(true);
    const lean = store.loadFaces('default', { landmarks: false });
    expect(lean.faces).toEqual(set.faces.map(({ landmarks: _, ...f }) => f)); // only the landmarks left out
    expect(lean.faces.some((f) => 'landmarks' in f)).toBe(false);
    expect(lean.vectors).toEqual(set.vectors);
    expect(() => store.loadFaces('default', { landmarks: 'no' as unknown as boolean })).toThrow(new TypeError('Expected a boolean for landmarks but received "no" of type string'));
    expect(() => store.getCrop(1e9)).toThrow(RangeError);
    store.close();
  });

  it('a changed file is redone; an unchanged one is cached', async () => {
    const a = path.join(dir, 'a.jpg'), b = path.join(dir, 'b.jpg');
    copyFileSync(files[0], a);
    copyFileSync(files[1], b);
    const storePath = path.join(dir, 'changed.sqlite');
    expect((await collect([a, b], { storePath, threads: 1 })).map((e) => e.status)).toEqual(['done', 'done']);
    copyFileSync(path.join(dataDir, 'lfw-dev/George_W_Bush/George_W_Bush_0010.jpg'), b);
    utimesSync(b, new Date(), new Date(Date.now() + 5000));
    const second = await collect([a, b], { storePath, threads: 1 });
    expect(second.find((e) => e.path === a)!.status).toBe('cached');
    expect(second.find((e) => e.path === b)!.status).toBe('done');
  });

  it('abort: in-flight images are finished and stored, nothing new starts, the rerun completes', async () => {
    const storePath = path.join(dir, 'aborted.sqlite');
    const ac = new AbortController();
    const seen: EmbedEvent[] = [];
    for await (const ev of embedImages(files.slice(0, 20), { storePath, threads: 1, signal: ac.signal })) {
      seen.push(ev);
      if (seen.length === 2) ac.abort();
    }
    expect(seen.length).toBeLessThan(20);
    const rest = await collect(files.slice(0, 20), { storePath, threads: 2 });
    expect(rest.filter((e) => e.status === 'cached').length).toBe(seen.length);
    expect(rest.every((e) => e.status !== 'skipped')).toBe(true);
  });
});
