/**
 * The programmatic API on ../shared/data/bbt-crops (8 people × 5 face crops, `preprocess: false`): one
 * embedding, several clusterings, each with its own log block, xlsx and folders; quality against truth.
 */
import fs from 'node:fs';
import path from 'node:path';
import { evaluate } from '@faceclust/cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FacialClustering } from './facial-clustering.js';
import { UsageError } from './options.js';
import { toJson, type ClusteringResult } from './result.js';
import { dataDir, hasData, listFiles, logBlocks, readXlsx, tempDir } from './test-helpers.js';

describe.skipIf(!hasData)('FacialClustering on bbt-crops (preprocess: false)', () => {
  let dir: string;
  let fc: FacialClustering;
  let cw: ClusteringResult;
  beforeAll(async () => {
    dir = tempDir();
    fc = new FacialClustering({ pathlist: [path.join(dataDir, 'bbt-crops')], outPath: path.join(dir, 'out'), preprocess: false, threads: 2 });
    cw = await fc.chineseWhispers({ saveas: true });
  }, 240_000);
  afterAll(() => {
    fc?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const truthOf = (r: ClusteringResult) => {
    const names = [...new Set(r.faces.map((f) => path.basename(path.dirname(f.file))))];
    return Int32Array.from(r.faces, (f) => names.indexOf(path.basename(path.dirname(f.file))));
  };

  it('finds one face per crop and clusters the 8 people well with the defaults', () => {
    expect(cw.faces.length).toBe(40);
    expect(cw.images).toBe(40);
    expect(cw.faces.every((f) => f.face === 0)).toBe(true);
    const q = evaluate(cw.labels, truthOf(cw));
    expect(q.pairwise.precision).toBeGreaterThan(0.95);
    expect(q.bcubed.f).toBeGreaterThan(0.85);
  });

  it('returns labels, faces and summaries that agree with each other', () => {
    expect(Array.from(cw.labels)).toEqual(cw.faces.map((f) => f.cluster));
    expect(cw.summaries.filter((s) => s.cluster >= 0).length).toBe(cw.clusters);
    expect(cw.summaries.reduce((s, c) => s + c.size, 0)).toBe(40);
    for (const s of cw.summaries) {
      expect(s.members.every((i) => cw.faces[i].cluster === s.cluster)).toBe(true);
      expect(s.members).toContain(s.representative);
      const d = s.members.map((i) => cw.faces[i].distance!);
      expect(cw.faces[s.representative].distance).toBe(Math.min(...d)); // the face nearest the centre
    }
    expect(toJson(cw).faces[3]).toEqual({ file: cw.faces[3].file, face: 0, box: cw.faces[3].box, score: cw.faces[3].score, cluster: cw.faces[3].cluster, person: cw.faces[3].person!.id, name: null, faceId: cw.faces[3].faceId });
    // the first run made its clusters the folder's people: one person per cluster
    expect(new Set(cw.faces.filter((f) => f.cluster >= 0).map((f) => f.person!.id)).size).toBe(cw.clusters);
  });

  it('writes the xlsx rows of exactly the faces returned, and the saveas folders hold each face once', async () => {
    const x = await readXlsx(cw.outputs.xlsx);
    expect(x.faces.map((f) => [f.file, f.cluster])).toEqual(cw.faces.map((f) => [f.file, f.cluster < 0 ? 'no_class' : f.cluster]));
    const files = listFiles(cw.outputs.saveas!);
    expect(files.length).toBe(40);
    expect(new Set(files.map((f) => path.basename(f))).size).toBe(40); // 8 folders of 1.png..5.png, no collision
  });

  it('each call appends one block and writes new files; nothing is overwritten', async () => {
    const before = logBlocks(fc.outPath);
    const log0 = fs.readFileSync(cw.outputs.log, 'utf8');
    const a = await fc.dbscan({ eps: 0.95, minSamples: 2 });
    const b = await fc.dbscan({ eps: 0.95, minSamples: 2 });
    expect(logBlocks(fc.outPath)).toBe(before + 2);
    expect(fs.readFileSync(cw.outputs.log, 'utf8').startsWith(log0)).toBe(true);
    expect([a.call, b.call]).toEqual([cw.call + 1, cw.call + 2]);
    expect(a.outputs.xlsx).not.toBe(b.outputs.xlsx);
    expect(fs.existsSync(a.outputs.xlsx) && fs.existsSync(b.outputs.xlsx) && fs.existsSync(cw.outputs.xlsx)).toBe(true);
    expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
    const q = evaluate(a.labels, truthOf(a));
    expect(q.pairwise.precision).toBeGreaterThan(0.95);
  });

  it('reruns with a new instance reuse the store (no embedding)', async () => {
    const again = new FacialClustering({ pathlist: [path.join(dataDir, 'bbt-crops')], outPath: fc.outPath, preprocess: false });
    try {
      const s = await again.embed();
      expect([s.embedded, s.cached, s.faces]).toEqual([0, 40, 40]);
    } finally {
      again.close();
    }
  });

  it('refuses to mix detected faces and ready crops in one output folder', async () => {
    const other = new FacialClustering({ pathlist: [path.join(dataDir, 'bbt-crops')], outPath: fc.outPath, preprocess: true });
    await expect(other.embed()).rejects.toThrow(`${fc.outPath} holds faces embedded as ready crops (--no-detect / preprocess: false); pass --no-detect (preprocess: false) or use another output folder`);
    other.close();
  });

  it.each([
    [{ threshold: -1 }, RangeError, 'Expected threshold to be a finite number > 0 and <= 2 (the largest euclidean distance between two face embeddings) but received -1'],
    [{ threshold: '1' }, TypeError, 'Expected threshold to be a finite number > 0 and <= 2 (the largest euclidean distance between two face embeddings) but received "1" of type string'],
    [{ iterations: 2.5 }, RangeError, 'Expected iterations to be an integer >= 1 but received 2.5'],
    [{ metric: 'foo' }, RangeError, "Expected metric to be one of 'euclidean', 'sqeuclidean', 'cosine', 'manhattan', 'chebyshev', 'minkowski', 'correlation', 'braycurtis', 'canberra', 'seuclidean', 'mahalanobis' but received \"foo\" of type string"],
    [{ saveas: 'crops' }, RangeError, "Expected saveas to be true, false, 'faces' or 'photos' but received \"crops\" of type string"],
  ])('BAD CALL – chineseWhispers(%j) throws %s', async (opts, cls, msg) => {
    const n = logBlocks(fc.outPath);
    const err = await fc.chineseWhispers(opts as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(cls);
    expect((err as Error).message).toBe(msg);
    expect(logBlocks(fc.outPath)).toBe(n);
  });

  it.each([
    [{ eps: 0 }, RangeError, 'Expected eps to be a finite number > 0 and <= 2 (the largest euclidean distance between two face embeddings) but received 0'],
    [{ minSamples: 0 }, RangeError, 'Expected minSamples to be an integer >= 1 but received 0'],
    [{ backend: 'gpu' }, RangeError, "Expected backend to be one of 'auto', 'native', 'ts' but received \"gpu\" of type string"],
  ])('BAD CALL – dbscan(%j) throws %s', async (opts, cls, msg) => {
    const err = await fc.dbscan(opts as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(cls);
    expect((err as Error).message).toBe(msg);
  });
});

describe('FacialClustering constructor', () => {
  const dir = tempDir();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    [{ pathlist: 5 }, TypeError, /pathlist/],
    [{ pathlist: [] }, RangeError, /Expected at least one path in pathlist but received an empty array/],
    [{ preprocess: 'no' }, TypeError, /Expected a boolean for preprocess but received string/],
    [{ model: 3 }, TypeError, /for model but received 3/],
    [{ threads: 0 }, RangeError, /Expected threads to be an integer between 1 and 256 but received 0/],
  ])('BAD CALL – new FacialClustering(%j) throws %s', (opts, cls, msg) => {
    expect(() => new FacialClustering({ outPath: dir, ...(opts as object) })).toThrow(cls);
    expect(() => new FacialClustering({ outPath: dir, ...(opts as object) })).toThrow(msg);
  });

  it('creates the output folder; accepts it again once faceclust wrote there, and refuses a folder of other files', () => {
    const out = path.join(dir, 'new', 'out');
    new FacialClustering({ pathlist: dir, outPath: out });
    expect(fs.readdirSync(out)).toEqual([]);
    new FacialClustering({ pathlist: dir, outPath: out }); // empty: still fine
    fs.writeFileSync(path.join(out, 'log.txt'), '=== faceclust embed — 2026-01-01T00:00:00.000Z ===\n');
    new FacialClustering({ pathlist: dir, outPath: out });
    fs.writeFileSync(path.join(out, 'log.txt'), 'earlier\n');
    expect(() => new FacialClustering({ pathlist: dir, outPath: out })).toThrow(`Output folder ${out} is not empty and is not a faceclust output folder (it holds 1 entry: log.txt)`);
    expect(fs.readFileSync(path.join(out, 'log.txt'), 'utf8')).toBe('earlier\n');
  });

  it('rejects an output path under a regular file with a UsageError naming it', () => {
    const file = path.join(dir, 'plain file');
    fs.writeFileSync(file, 'x');
    expect(() => new FacialClustering({ outPath: path.join(file, 'out') })).toThrow(UsageError);
    expect(() => new FacialClustering({ outPath: path.join(file, 'out') })).toThrow(`Output folder ${path.join(file, 'out')} cannot be created or written: ENOTDIR`);
  });

  it('embed() on a missing input rejects with a UsageError naming it', async () => {
    const fc = new FacialClustering({ pathlist: path.join(dir, 'missing ü'), outPath: path.join(dir, 'o') });
    await expect(fc.embed()).rejects.toThrow(`Input not found: ${path.join(dir, 'missing ü')}`);
  });
});
