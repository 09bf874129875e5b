/**
 * hnswFolderStore on synthetic rows: an index kept in a folder is reused (holding the caller's rows once),
 * extended with new rows, mapped through `order` when rows come in another order, and rebuilt when its
 * rows differ; a clustering call with `hnsw.store` gives its labels in the caller's row order.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tryLoadNative } from '@faceclust/core-native';
import { chineseWhispers } from './chinese-whispers.js';
import type { HnswIndex } from './hnsw.js';
import { hnswFolderStore, type IndexRequest } from './hnsw-store.js';

const native = tryLoadNative().binding !== undefined;

describe.skipIf(!native)('hnswFolderStore: a reused index holds the embeddings once', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'faceclust-hnsw-store-'));
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));
  const store = hnswFolderStore(path.join(out, 'hnsw'), { tag: 'test-model' });
  const dim = 16;
  // 6 people of 30 faces: offset 10 on one axis each (≈ 14 apart), noise in [0, 1) (≈ 1.6 within a person)
  function faces(n: number, seed: number, firstId: number): { vectors: Float32Array; ids: number[] } {
    let s = seed;
    const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const vectors = new Float32Array(n * dim).map((_, i) => (i % dim === Math.floor(i / dim / 30) % 6 ? 10 : 0) + rnd());
    return { vectors, ids: Array.from({ length: n }, (_, i) => firstId + i) };
  }
  const base = faces(180, 7, 1000);
  const request = (vectors: Float32Array, ids: number[]): IndexRequest => ({ vectors, dim, ids, metric: 'euclidean', M: 16, efConstruction: 100 });
  const labels = async (index: HnswIndex) => (await chineseWhispers(index.vectors, dim, { threshold: 4, hnsw: { index } })).labels;
  let built: Int32Array;

  it('reuse with the same rows in the same order: index.vectors is a view of the request\'s array, same results', async () => {
    const first = await store.open(request(base.vectors, base.ids));
    expect(first.action).toMatch(/^built .*no saved index/);
    built = await labels(first.index);
    expect(new Set(built).size).toBe(6);
    // the store's rows at a byteOffset in a larger buffer, as a subarray
    const held = new Float32Array((180 + 2) * dim);
    held.set(base.vectors, 2 * dim);
    const rows = held.subarray(2 * dim);
    const again = await store.open(request(rows, base.ids));
    expect(again.action).toMatch(/^reused .*\(180 faces\)$/);
    expect(again.order).toBeUndefined();
    expect(again.index.vectors.buffer).toBe(held.buffer);
    expect(again.index.vectors.byteOffset).toBe(rows.byteOffset);
    expect(again.index.vectors.length).toBe(rows.length);
    expect(Array.from(await labels(again.index))).toEqual(Array.from(built));
  });

  it('new faces after the saved ones: loaded as a view, then add copies; the request\'s rows are not written', async () => {
    const more = faces(181, 7, 1000); // same 180 rows (same seed), one more face of person 0
    const before = more.vectors.slice();
    const opened = await store.open(request(more.vectors, more.ids));
    expect(opened.action).toMatch(/^added 1 faces to .*\(now 181\)$/);
    expect(opened.order).toBeUndefined();
    expect(opened.index.vectors.buffer).not.toBe(more.vectors.buffer);
    expect(Array.from(opened.index.vectors)).toEqual(Array.from(before));
    expect(Array.from(more.vectors)).toEqual(Array.from(before));
    const l = await labels(opened.index);
    expect(Array.from(l.subarray(0, 180))).toEqual(Array.from(built));
    expect(l[180]).toBe(l[0]);
  });

  it('saved rows not first in the request (a new face sorts before them): the file is read, rows map through order', async () => {
    const old = faces(181, 7, 1000);
    const extra = faces(1, 9, 1); // person 0, id 1: row 0 of the request
    const vectors = new Float32Array(182 * dim);
    vectors.set(extra.vectors);
    vectors.set(old.vectors, dim);
    const opened = await store.open(request(vectors, [1, ...old.ids]));
    expect(opened.action).toMatch(/^added 1 faces/);
    expect(opened.index.vectors.buffer).not.toBe(vectors.buffer);
    expect(Array.from(opened.order!.subarray(0, 3))).toEqual([1, 2, 3]);
    expect(opened.order![181]).toBe(0);
    opened.order!.forEach((row, r) => expect(Array.from(opened.index.vectors.subarray(r * dim, (r + 1) * dim))).toEqual(Array.from(vectors.subarray(row * dim, (row + 1) * dim))));
  });

  it("rows that differ from the saved embeddings (re-embedded faces): rebuilt from the request's rows, not reused", async () => {
    const old = faces(181, 7, 1000);
    const extra = faces(1, 9, 1);
    const vectors = new Float32Array(182 * dim);
    vectors.set(extra.vectors);
    vectors.set(old.vectors, dim);
    // same order as saved (the index now starts with the row of id 1), row 5 re-embedded
    const saved = JSON.parse(fs.readFileSync(path.join(out, 'hnsw', 'faces.json'), 'utf8')).ids as number[];
    const ids = [1, ...old.ids];
    const ordered = new Float32Array(182 * dim);
    saved.forEach((id, r) => ordered.set(vectors.subarray(ids.indexOf(id) * dim, (ids.indexOf(id) + 1) * dim), r * dim));
    ordered[5 * dim] += 0.5;
    const opened = await store.open(request(ordered, saved));
    expect(opened.action).toMatch(/^built .*the saved one does not hold the store's embeddings: Expected options\.vectors to equal the saved embeddings .* but row 5 differs\)$/);
    expect(opened.index.vectors).toBe(ordered);
  });
});

describe.skipIf(!native)('hnsw.store in a clustering call', () => {
  it('labels come back in the caller\'s row order, equal to the exact path, first built then reused', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceclust-hnsw-store-'));
    try {
      const dim = 8;
      const n = 120;
      // 4 people of 30, far apart; a new row order on the second call (a new face sorting first)
      const vectors = new Float32Array(n * dim).map((_, i) => (i % dim === Math.floor(i / dim / 30) ? 10 : 0) + ((i * 2654435761) % 1000) / 1000);
      const ids = Int32Array.from({ length: n }, (_, i) => 100 + i);
      const exact = await chineseWhispers(vectors, dim, { threshold: 4, neighbors: 'exact' });
      const store = hnswFolderStore(dir, { tag: 'm' });
      const first = await chineseWhispers(vectors, dim, { threshold: 4, neighbors: 'hnsw', hnsw: { store, ids } });
      expect(first.index?.action).toMatch(/^built /);
      expect(Array.from(first.labels)).toEqual(Array.from(exact.labels));
      const swapped = new Float32Array(vectors);
      swapped.set(vectors.subarray((n - 1) * dim), 0);
      swapped.set(vectors.subarray(0, dim), (n - 1) * dim);
      const swappedIds = Int32Array.from(ids);
      [swappedIds[0], swappedIds[n - 1]] = [ids[n - 1]!, ids[0]!];
      const again = await chineseWhispers(swapped, dim, { threshold: 4, neighbors: 'hnsw', hnsw: { store, ids: swappedIds } });
      expect(again.index?.action).toMatch(/^reused /);
      const exactSwapped = await chineseWhispers(swapped, dim, { threshold: 4, neighbors: 'exact' });
      expect(Array.from(again.labels)).toEqual(Array.from(exactSwapped.labels));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('BAD CALL – a store needs one id per row, and not an index too', async () => {
    const v = new Float32Array(8);
    const store = hnswFolderStore(fs.mkdtempSync(path.join(os.tmpdir(), 'faceclust-hnsw-store-')));
    await expect(chineseWhispers(v, 2, { threshold: 1, neighbors: 'hnsw', hnsw: { store } })).rejects.toThrow('Expected hnsw.ids to hold one id per row (4) with hnsw.store but received undefined');
    await expect(chineseWhispers(v, 2, { threshold: 1, neighbors: 'hnsw', hnsw: { store: {} as never, ids: [1, 2, 3, 4] } })).rejects.toThrow('Expected hnsw.store to be an index store (hnswFolderStore) but received an object');
  });
});
