/**
 * `--neighbors hnsw` end to end on photos-small (the real CLI, one embedding pass): same clusters as exact,
 * `<out>/hnsw/` reused by a later call, extended (not rebuilt) when photos are added, bad flags exit 1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNeighborFlags } from './commands/cluster-flags.js';
import { describeNeighbors, FacialClustering } from './facial-clustering.js';
import { hnswSearchParams } from '@faceclust/cluster';
import { neighborParams } from './options.js';
import { BLOCK_START, LOG_FILE } from './reports/log.js';
import { dataDir, hasBin, hasData, readXlsx, runCli, tempDir, type CliRun } from './test-helpers.js';

const e2e = describe.skipIf(!hasData || !hasBin);
const cleanups: string[] = [];
afterAll(() => {
  for (const d of cleanups) fs.rmSync(d, { recursive: true, force: true });
});

interface Json {
  params: Record<string, unknown> & { neighbors: string; hnsw?: Record<string, number> };
  faces: { file: string; face: number; cluster: number }[];
}

/** The last log block (one per call). */
function lastBlock(out: string): string {
  const text = fs.readFileSync(path.join(out, LOG_FILE), 'utf8');
  return text.slice(text.lastIndexOf(BLOCK_START));
}

/** A partition as sorted groups of `file#face`, so label numbering does not matter. */
function partition(j: Json): string[] {
  const groups = new Map<number, string[]>();
  j.faces.forEach((f, i) => {
    const key = f.cluster < 0 ? -1 - i : f.cluster; // no_class faces are singletons
    groups.set(key, [...(groups.get(key) ?? []), `${f.file}#${f.face}`]);
  });
  return [...groups.values()].map((g) => g.sort().join(' | ')).sort();
}

function json(r: CliRun): Json {
  expect(r.stderr).not.toMatch(/Error/);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Json;
}

e2e('--neighbors hnsw on photos-small', () => {
  let input: string;
  let out: string;
  let exact: Json;
  let hnsw: Json;
  let firstLog: string;
  beforeAll(async () => {
    const dir = tempDir();
    cleanups.push(dir);
    input = path.join(dir, 'фото');
    // alex_lacamoire (one photo) is held back to be "new photos" later: the store lists faces by path, so his
    // sort before the indexed ones and the index must map its row order (old rows, then added ones) to the store's
    for (const who of fs.readdirSync(path.join(dataDir, 'photos-small')).filter((d) => d !== 'alex_lacamoire')) {
      fs.cpSync(path.join(dataDir, 'photos-small', who), path.join(input, who), { recursive: true });
    }
    out = path.join(dir, 'out ü');
    exact = json(await runCli(['run', input, '--out', out, '--threads', '2', '--json', '-q']));
    hnsw = json(await runCli(['cluster', 'cw', '--out', out, '--neighbors', 'hnsw', '--json', '-q']));
    firstLog = lastBlock(out);
  }, 240_000);

  it('auto picks exact for a few faces; hnsw gives the same clusters and records its parameters', async () => {
    expect(exact.params.neighbors).toBe('exact');
    expect(exact.params.hnsw).toBeUndefined();
    expect(hnsw.params.neighbors).toBe('hnsw');
    expect(hnsw.params.hnsw).toEqual({ M: 16, efConstruction: 100, k: 32, ef: 64, maxNeighbors: 32 });
    expect(partition(hnsw)).toEqual(partition(exact));
    expect(partition(exact).length).toBeGreaterThan(1);
    expect(firstLog).toMatch(/neighbors: +hnsw: M=16 efConstruction=100 k=32 ef=64 maxNeighbors=32\n/);
    expect(firstLog).toMatch(/index built .*hnsw \(\d+ faces; no saved index\)/);
    for (const f of ['hnsw.json', 'hnsw.index', 'embeddings.f32', 'faces.json']) expect(fs.existsSync(path.join(out, 'hnsw', f))).toBe(true);
    const x = await readXlsx(path.join(out, 'clusters-002-cw-t1.xlsx'));
    expect(x.params.get('neighbors used')).toBe('hnsw');
    expect(x.params.get('hnsw k')).toBe(32);
    expect(x.params.get('hnsw maxNeighbors')).toBe(32);
    expect(String(x.params.get('hnsw index'))).toMatch(/^built /);
  });

  it('a later call reuses <out>/hnsw/ without rewriting it, for dbscan too', async () => {
    const file = path.join(out, 'hnsw', 'hnsw.index');
    const before = fs.statSync(file).mtimeMs;
    const cw = json(await runCli(['cluster', 'cw', '--out', out, '--neighbors', 'hnsw', '--json', '-q']));
    expect(lastBlock(out)).toMatch(/index reused .*hnsw \(\d+ faces\)/);
    expect(partition(cw)).toEqual(partition(exact));
    const dbExact = json(await runCli(['cluster', 'dbscan', '--out', out, '--neighbors', 'exact', '--json', '-q']));
    const dbHnsw = json(await runCli(['cluster', 'dbscan', '--out', out, '--neighbors', 'hnsw', '--hnsw-k', '8', '--hnsw-ef', '16', '--json', '-q']));
    expect(lastBlock(out)).toMatch(/index reused/);
    expect(dbHnsw.params.hnsw).toMatchObject({ k: 8, ef: 16, maxNeighbors: 8 });
    expect(partition(dbHnsw)).toEqual(partition(dbExact));
    // a wider graph (every row's neighbours up to 512): recorded in --json and the log, same clusters
    const dbWide = json(await runCli(['cluster', 'dbscan', '--out', out, '--neighbors', 'hnsw', '--hnsw-k', '8', '--hnsw-ef', '16', '--hnsw-max-neighbors', '512', '--json', '-q']));
    expect(dbWide.params.hnsw).toMatchObject({ k: 8, ef: 16, maxNeighbors: 512 });
    expect(lastBlock(out)).toMatch(/neighbors: +hnsw: M=16 efConstruction=100 k=8 ef=16 maxNeighbors=512\n/);
    expect(partition(dbWide)).toEqual(partition(dbExact));
    expect(fs.statSync(file).mtimeMs).toBe(before);
  }, 120_000);

  it('another M rebuilds; the quality gate builds in memory and leaves the saved index alone', async () => {
    const r = json(await runCli(['cluster', 'cw', '--out', out, '--neighbors', 'hnsw', '--hnsw-m', '8', '--json', '-q']));
    expect(lastBlock(out)).toMatch(/index built .*the saved one has M 16/);
    expect(partition(r)).toEqual(partition(exact));
    const meta = () => fs.readFileSync(path.join(out, 'hnsw', 'faces.json'), 'utf8');
    const saved = meta();
    // a gate that rejects some faces but not all: the smallest face's height
    const sizes = (await readXlsx(path.join(out, 'clusters-001-cw-t1.xlsx'))).faces.map((f) => f.box[3]).sort((a, b) => a - b);
    const gated = json(await runCli(['cluster', 'cw', '--out', out, '--neighbors', 'hnsw', '--hnsw-m', '8', '--min-face-size', String(sizes[0]! + 1), '--json', '-q']));
    expect(gated.faces.some((f) => f.cluster === -1)).toBe(true);
    expect(lastBlock(out)).toMatch(/index built in memory for the \d+ faces past the quality gate/);
    expect(meta()).toBe(saved);
  }, 120_000);

  it('new photos are added to the index, not rebuilt, and cluster as exact does', async () => {
    fs.cpSync(path.join(dataDir, 'photos-small', 'alex_lacamoire'), path.join(input, 'alex_lacamoire'), { recursive: true });
    // the index was last saved with M 8
    // --recluster: the folder has people, so a plain run would only assign the new faces (no graph, no index)
    const r = json(await runCli(['run', input, '--out', out, '--threads', '2', '--neighbors', 'hnsw', '--hnsw-m', '8', '--recluster', '--json', '-q']));
    const added = r.faces.filter((f) => f.file.includes(`${path.sep}alex_lacamoire${path.sep}`)).length;
    expect(added).toBeGreaterThanOrEqual(1);
    expect(lastBlock(out)).toMatch(new RegExp(`index added ${added} faces to .*hnsw \\(now ${r.faces.length}\\)`));
    const all = json(await runCli(['cluster', 'cw', '--out', out, '--neighbors', 'exact', '--json', '-q']));
    expect(partition(r)).toEqual(partition(all));
    // same faces in the same clusters, row by row (a label put on the wrong row would move its distance)
    const [a, b] = fs.readdirSync(out).filter((f) => f.endsWith('.xlsx')).sort().slice(-2);
    const [xh, xe] = [await readXlsx(path.join(out, a!)), await readXlsx(path.join(out, b!))];
    expect(xh.faces.map((f) => f.file)).toEqual(xe.faces.map((f) => f.file));
    xh.faces.forEach((f, i) => expect(f.distance ?? -1).toBeCloseTo(xe.faces[i]!.distance ?? -1, 5));
    // alex is seen once: his face is alone in its cluster
    const alex = new Set(r.faces.filter((f) => f.file.includes(`${path.sep}alex_lacamoire${path.sep}`)).map((f) => f.cluster));
    expect(alex.size).toBe(1);
    expect(r.faces.filter((f) => alex.has(f.cluster)).length).toBe(added);
    const ids = JSON.parse(fs.readFileSync(path.join(out, 'hnsw', 'faces.json'), 'utf8')).ids as number[];
    expect(ids.length).toBe(r.faces.length);
  }, 240_000);
});

describe.skipIf(!hasBin)('bad neighbour flags exit 1 naming the flag', () => {
  const out = tempDir();
  cleanups.push(out);
  it.each([
    [['cluster', 'cw', '--hnsw-m', '1'], /Invalid value for --hnsw-m: expected an integer between 2 and 10000 but received "1"/],
    [['cluster', 'cw', '--hnsw-ef', '1', '--hnsw-k', '10'], /Expected --hnsw-ef to be an integer >= k \(10\) but received 1/],
    [['cluster', 'cw', '--hnsw-ef', '8'], /Expected --hnsw-ef to be an integer >= k \(32\) but received 8/],
    [['cluster', 'cw', '--neighbors', 'foo'], /Invalid value for --neighbors: expected one of 'exact', 'hnsw', 'auto' but received "foo"/],
    [['cluster', 'dbscan', '--min-samples', '5', '--hnsw-k', '3'], /Expected --hnsw-k to be an integer >= 4 \(minSamples − 1: DBSCAN needs that many neighbours to find core points\) but received 3/],
    [['cluster', 'cw', '--hnsw-k', '8', '--hnsw-max-neighbors', '4'], /Expected --hnsw-max-neighbors to be an integer >= k \(8\) but received 4/],
    [['cluster', 'cw', '--hnsw-max-neighbors', '16'], /Expected --hnsw-max-neighbors to be an integer >= k \(32\) but received 16/],
    [['cluster', 'cw', '--hnsw-max-neighbors', '40.5'], /Invalid value for --hnsw-max-neighbors: expected an integer >= 1 but received "40.5"/],
    [['run', 'nowhere', '--hnsw-ef-construction', '0'], /Invalid value for --hnsw-ef-construction: expected an integer >= 1 but received "0"/],
  ])('%j', async (args, message) => {
    const r = await runCli([...args, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
  });
});

describe('BAD CALL – FacialClustering neighbour options', () => {
  const out = tempDir();
  cleanups.push(out);
  const fc = new FacialClustering({ outPath: out });
  afterAll(() => fc.close());
  it.each([
    [{ neighbors: 'foo' }, RangeError, 'Expected neighbors to be one of \'exact\', \'hnsw\', \'auto\' but received "foo" of type string'],
    [{ neighbors: 1 }, TypeError, 'Expected neighbors to be one of \'exact\', \'hnsw\', \'auto\' but received 1'],
    [{ hnsw: 5 }, TypeError, 'Expected hnsw to be an object { M, efConstruction, k, ef, maxNeighbors } but received 5'],
    [{ hnsw: { M: 1 } }, RangeError, 'Expected hnsw.M to be an integer between 2 and 10000 but received 1'],
    [{ hnsw: { k: 10, ef: 5 } }, RangeError, 'Expected hnsw.ef to be an integer >= k (10) but received 5'],
    [{ hnsw: { k: 10, maxNeighbors: 5 } }, RangeError, 'Expected hnsw.maxNeighbors to be an integer >= k (10) but received 5'],
    [{ hnsw: { maxNeighbors: 16 } }, RangeError, 'Expected hnsw.maxNeighbors to be an integer >= k (32) but received 16'],
    [{ hnsw: { maxNeighbors: '64' } }, TypeError, 'Expected hnsw.maxNeighbors to be an integer >= 1 but received "64" of type string'],
    [{ hnsw: { maxneighbors: 64 } }, RangeError, 'Unknown option hnsw.maxneighbors: expected M, efConstruction, k, ef or maxNeighbors'],
    [{ neighbors: 'hnsw', backend: 'ts' }, RangeError, "neighbors 'hnsw' needs the native backend (there is no pure-TypeScript HNSW) but backend is 'ts'"],
  ])('chineseWhispers(%j)', async (opts, cls, message) => {
    const p = fc.chineseWhispers(opts as never);
    await expect(p).rejects.toThrow(cls);
    await expect(p).rejects.toThrow(message);
  });
  it('dbscan: k below minSamples − 1', async () => {
    await expect(fc.dbscan({ minSamples: 5, hnsw: { k: 3 } })).rejects.toThrow('Expected hnsw.k to be an integer >= 4 (minSamples − 1: DBSCAN needs that many neighbours to find core points) but received 3');
  });
  it('dbscan: maxNeighbors below the default k for its minSamples', async () => {
    await expect(fc.dbscan({ minSamples: 41, hnsw: { maxNeighbors: 32 } })).rejects.toThrow('Expected hnsw.maxNeighbors to be an integer >= k (40) but received 32');
  });
});

describe('hnsw maxNeighbors: flag → call options → parameters used → log', () => {
  it('defaults to k; a given value is kept', () => {
    expect(hnswSearchParams(neighborParams({}))).toEqual({ k: 32, ef: 64, maxNeighbors: 32 });
    expect(hnswSearchParams(neighborParams({}, 49), 49)).toEqual({ k: 49, ef: 64, maxNeighbors: 49 });
    const flags = parseNeighborFlags({ neighbors: 'hnsw', hnswK: '8', hnswMaxNeighbors: '4096' });
    expect(flags).toEqual({ neighbors: 'hnsw', hnsw: { k: 8, maxNeighbors: 4096 } });
    const used = hnswSearchParams(neighborParams(flags));
    expect(used).toEqual({ k: 8, ef: 64, maxNeighbors: 4096 });
    expect(describeNeighbors({ requested: 'hnsw', used: 'hnsw', hnsw: { M: 16, efConstruction: 100, ...used } })).toBe(
      'hnsw: M=16 efConstruction=100 k=8 ef=64 maxNeighbors=4096',
    );
  });
});
