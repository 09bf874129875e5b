/**
 * Every metric of the clustering calls in the CLI: the one table of defaults, the checks of --metric, --p
 * and --metric-params with messages naming the flag, the metric recorded with the call's parameters, and
 * on real labelled faces (../shared/data/lfw-dev, skipped when absent) clustering, new-photo assignment,
 * suggest, tune and HNSW in each metric's space, through the real CLI.
 */
import fs from 'node:fs';
import path from 'node:path';
import { metricSpace, nearestNeighbors } from '@faceclust/cluster';
import { beforeAll, describe, expect, it } from 'vitest';
import { clusterStats } from './cluster-stats.js';
import { parseMetricFlags } from './commands/cluster-flags.js';
import { FacialClustering } from './facial-clustering.js';
import { metricChoice, nearestByDistance, parsePFlag } from './metric.js';
import { cwParams, dbscanParams, metricDefault, metricDefaultsText, UsageError } from './options.js';
import { defaultRange } from './tune.js';
import { dataDir, hasBin, readXlsx, runCli, scratchDir } from './test-helpers.js';

describe('metric options', () => {
  it.each([
    ['minkowski', { p: 3 }, 0.414, 0.3818],
    ['minkowski', { p: 1 }, 17.5, 16.25], // manhattan's
    ['minkowski', { p: 2 }, 1, 0.925], // euclidean's
    ['minkowski', { p: Infinity }, 0.1235, 0.1195], // chebyshev's
    ['correlation', {}, 0.5025, 0.4322],
    ['seuclidean', {}, 22.77, 21.21],
    ['braycurtis', {}, 0.5586, 0.5039],
    ['canberra', {}, 288.1, 276.3],
  ] as const)('%s %j: the measured defaults (cluster README, metric table)', (metric, metricParams, cw, db) => {
    expect(cwParams({ metric, metricParams }).threshold).toBe(cw);
    expect(dbscanParams({ metric, metricParams }).eps).toBe(db);
    expect(metricDefault('cw', metric, 1, metricParams)).toBe(cw);
  });

  it('records the metric and every parameter it takes, as flat values (log, xlsx, --json and the store print them as they are)', () => {
    expect(cwParams({ metric: 'minkowski', metricParams: { p: 3 } })).toMatchObject({ metric: 'minkowski', p: 3, w: 'none', mergeRadius: 0.3726 });
    expect(cwParams({ metric: 'minkowski', metricParams: { p: Infinity } })).toMatchObject({ p: 'Infinity' });
    expect(dbscanParams({ metric: 'seuclidean' })).toMatchObject({ metric: 'seuclidean', V: "the faces' variance (ddof 1)" });
    expect(dbscanParams({ metric: 'mahalanobis', eps: 20, metricParams: { VI: [1, 0, 0, 1] } })).toMatchObject({ VI: 'given (4 values)' });
    expect(Object.keys(cwParams({ metric: 'correlation' }))).not.toContain('p');
    // correlation's merge radius follows cosine's units (its kernel): 0.81 × the threshold
    expect(cwParams({ metric: 'correlation' }).mergeRadius).toBe(Number((0.5025 * 0.81).toPrecision(6)));
  });

  it('help texts list every default from the one table', () => {
    expect(metricDefaultsText('cw')).toContain('minkowski p=3 0.414');
    expect(metricDefaultsText('cw')).toContain('mahalanobis none');
    expect(metricDefaultsText('dbscan')).toContain('seuclidean 21.21');
    expect(defaultRange('cw', 'correlation')).toEqual([0.3517, 0.5779]);
    expect(defaultRange('cw', 'mahalanobis')).toBeUndefined();
  });

  it.each([
    [() => cwParams({ metric: 'mahalanobis' }), RangeError, /Expected threshold \(--threshold\) to be given: metric mahalanobis has no default: on lfw-dev no threshold kept pairwise precision >= 0.997/],
    [() => dbscanParams({ metric: 'mahalanobis' }), RangeError, /Expected eps \(--eps\) to be given: metric mahalanobis has no default/],
    [() => cwParams({ metric: 'minkowski', metricParams: { p: 2.5 } }), RangeError, /no default was measured for minkowski p=2.5 \(only for p = 1, 2, 3 and Infinity\)/],
    [() => cwParams({ metric: 'minkowski', metricParams: { p: 3, w: [1, 2] } }), RangeError, /weights change the scale of minkowski distances/],
    [() => cwParams({ metric: 'minkowski', metricParams: { p: 0.5 } }), RangeError, /Expected metricParams.p to be a number >= 1 \(or Infinity\) but received 0.5/],
    [() => cwParams({ metric: 'seuclidean', metricParams: { p: 3 } }), RangeError, /metricParams.p does not apply to metric 'seuclidean' \(it takes V\)/],
    [() => cwParams({ metric: 'cosine', threshold: 2.5 }), RangeError, /Expected threshold to be a finite number > 0 and <= 2 \(the largest cosine distance/],
    [() => cwParams({ metric: 'correlation', threshold: 3 }), RangeError, /<= 2 \(the largest correlation distance/],
    [() => metricChoice({ metric: 'minkowsky' }), RangeError, /Expected metric to be one of 'euclidean', .*'mahalanobis' but received "minkowsky"/],
  ] as const)('BAD CALL – %s', (call, kind, message) => {
    expect(call).toThrow(kind);
    expect(call).toThrow(message);
  });

  it.each([
    [{ p: '0.5', metric: 'minkowski' }, 'Invalid value for --p: expected a number >= 1 (or inf) but received "0.5"'],
    [{ p: 'three', metric: 'minkowski' }, 'Invalid value for --p: expected a number >= 1 (or inf) but received "three"'],
    [{ p: '3' }, '--p applies to --metric minkowski only, not to --metric euclidean'],
    [{ p: '3', metric: 'braycurtis' }, '--p applies to --metric minkowski only, not to --metric braycurtis'],
    [{ metric: 'cosin' }, "Invalid value for --metric: expected one of 'euclidean', 'sqeuclidean', 'cosine', 'manhattan', 'chebyshev', 'minkowski', 'correlation', 'braycurtis', 'canberra', 'seuclidean', 'mahalanobis' but received \"cosin\""],
    [{ metric: 'seuclidean', metricParams: '/nonexistent/v.json' }, /^Invalid value for --metric-params: cannot read "\/nonexistent\/v.json" as JSON/],
  ] as const)('BAD FLAGS – %j', (flags, message) => {
    expect(() => parseMetricFlags(flags)).toThrow(UsageError);
    expect(() => parseMetricFlags(flags)).toThrow(message);
  });

  it('--metric-params: a JSON file of w, V or VI, checked against the metric', () => {
    const dir = scratchDir();
    const file = path.join(dir, 'v.json');
    fs.writeFileSync(file, JSON.stringify({ V: [1, 2, 3] }));
    expect(parseMetricFlags({ metric: 'seuclidean', metricParams: file })).toEqual({ metric: 'seuclidean', metricParams: { V: [1, 2, 3] } });
    expect(() => parseMetricFlags({ metric: 'cosine', metricParams: file })).toThrow(`Invalid --metric-params "${file}": metricParams.V does not apply to metric 'cosine'`);
    fs.writeFileSync(file, JSON.stringify({ V: [1, 'x'] }));
    expect(() => parseMetricFlags({ metric: 'seuclidean', metricParams: file })).toThrow(/expected "V" in .* to be an array of numbers/);
    fs.writeFileSync(file, JSON.stringify({ p: 3 }));
    expect(() => parseMetricFlags({ metric: 'minkowski', metricParams: file })).toThrow(/holds "p"; it may hold w \(minkowski\), V \(seuclidean\) and VI \(mahalanobis, row-major\); p is --p/);
    expect(parsePFlag('inf')).toBe(Infinity);
    expect(parsePFlag('3')).toBe(3);
  });

  it('nearestByDistance (pair-pass metrics) gives what nearestNeighbors gives for a kernel metric', async () => {
    const dim = 8;
    let s = 7;
    const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5;
    const base = Float32Array.from({ length: 50 * dim }, rand);
    const queries = Float32Array.from({ length: 9 * dim }, rand);
    // minkowski p = 1 runs on the kernels as manhattan; its pair distance is the same distance
    const pairwise = metricSpace(base, dim, 'minkowski', { p: 1.0000001 });
    if (pairwise.kind !== 'pairwise') throw new Error('expected a pair-pass metric');
    const got = await nearestByDistance(pairwise.distance, base, queries, dim, 5, 1.6);
    const want = await nearestNeighbors(base, queries, dim, { metric: 'manhattan', k: 5, radius: 1.6, backend: 'ts' });
    expect(Array.from(got.offsets)).toEqual(Array.from(want.offsets));
    expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
    got.distances.forEach((d, e) => expect(d).toBeCloseTo(want.distances[e]!, 4));
  });

  it('clusterStats measures a pair-pass metric by its distance to the centre', () => {
    const vectors = Float32Array.from([0, 0, 2, 0, 0, 2, 9, 9]);
    const space = metricSpace(vectors, 2, 'minkowski', { p: 3 });
    if (space.kind !== 'pairwise') throw new Error('expected a pair-pass metric');
    const { distances, clusters } = clusterStats(space.rows, 2, Int32Array.from([0, 0, 0, -1]), 1, space.distance);
    // centre (2/3, 2/3): row 0 at (2·(2/3)³)^(1/3)
    expect(distances[0]).toBeCloseTo(Math.cbrt(2 * (2 / 3) ** 3), 6);
    expect(distances[3]).toBeNaN();
    expect(clusters[0]!.cohesion).toBeGreaterThan(0);
  });
});

const lfw = path.join(dataDir, 'lfw-dev');
/** Ten lfw-dev people with 8+ photos: their first five now, two more later (new photos to assign). */
function lfwPeople(): { name: string; files: string[] }[] {
  if (!fs.existsSync(lfw)) return [];
  return fs.readdirSync(lfw).sort().flatMap((name) => {
    const files = fs.readdirSync(path.join(lfw, name)).sort();
    return files.length >= 8 ? [{ name, files: files.slice(0, 7).map((f) => path.join(lfw, name, f)) }] : [];
  }).slice(0, 10);
}

interface JsonFace { file: string; cluster: number; person: number | null }
interface JsonCall { clusters: number; noise: number; params: Record<string, unknown>; faces: JsonFace[]; people: { mode: string; assigned?: number; newPeople?: number } }

/** The share of clustered faces whose cluster's majority is their person (1: no cluster mixes people). */
function purity(faces: JsonFace[]): number {
  const byCluster = new Map<number, Map<string, number>>();
  for (const f of faces) {
    if (f.cluster < 0) continue;
    const who = path.basename(path.dirname(f.file));
    const m = byCluster.get(f.cluster) ?? new Map<string, number>();
    m.set(who, (m.get(who) ?? 0) + 1);
    byCluster.set(f.cluster, m);
  }
  let major = 0;
  let total = 0;
  for (const m of byCluster.values()) {
    major += Math.max(...m.values());
    total += [...m.values()].reduce((a, b) => a + b, 0);
  }
  return major / total;
}

const people = lfwPeople();
describe.skipIf(!hasBin || people.length < 10)('every metric on real faces (real CLI, lfw-dev: 10 people × 5 photos, then 2 more each)', () => {
  const scratch = scratchDir();
  const photos = path.join(scratch, 'photos');
  const out = path.join(scratch, 'out');
  const copy = (k: [number, number]) => {
    for (const p of people) {
      for (const f of p.files.slice(...k)) {
        fs.mkdirSync(path.join(photos, p.name), { recursive: true });
        fs.copyFileSync(f, path.join(photos, p.name, path.basename(f)));
      }
    }
  };
  const cli = async (args: string[], code = 0, where = out) => {
    const r = await runCli([...args, '--out', where]);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
    return r;
  };
  const json = async (args: string[], where = out) => JSON.parse((await cli([...args, '--json'], 0, where)).stdout) as JsonCall;

  beforeAll(async () => {
    copy([0, 5]);
    await cli(['embed', photos, '--threads', '2']);
  }, 300_000);

  it.each([
    [['--metric', 'minkowski', '--p', '3'], { metric: 'minkowski', p: 3, w: 'none' }],
    [['--metric', 'seuclidean'], { metric: 'seuclidean', V: "the faces' variance (ddof 1)" }],
    [['--metric', 'correlation'], { metric: 'correlation' }],
    [['--metric', 'braycurtis'], { metric: 'braycurtis' }],
    [['--metric', 'canberra'], { metric: 'canberra' }],
  ])('cluster cw and dbscan %j at the measured defaults: no cluster mixes people, most people are one cluster; the metric is recorded', async (flags, recorded) => {
    for (const method of ['cw', 'dbscan']) {
      const r = await json(['cluster', method, ...flags]);
      expect(r.params, method).toMatchObject(recorded);
      expect(purity(r.faces), `${method} ${flags.join(' ')}`).toBe(1);
      // 10 people: a metric that split them into crumbs would pass purity alone
      expect(r.clusters, `${method} ${flags.join(' ')}`).toBeLessThanOrEqual(25);
      expect(r.faces.filter((f) => f.cluster >= 0).length, `${method} ${flags.join(' ')}: faces clustered`).toBeGreaterThanOrEqual(35);
    }
  }, 120_000);

  it('the log and the xlsx record the metric and its parameters', async () => {
    await cli(['cluster', 'dbscan', '--metric', 'minkowski', '--p', '3']);
    const log = fs.readFileSync(path.join(out, 'log.txt'), 'utf8');
    expect(log).toContain('parameters:      eps=0.3818 minSamples=2 metric=minkowski p=3 w=none backend=auto saveas=no');
    expect(log).toContain('neighbors:       exact (metric minkowski p=3: a float64 pair pass, exact only)');
    const xlsx = fs.readdirSync(out).filter((f) => /^clusters-\d+-dbscan-e0\.3818-m2-minkowski-p3\.xlsx$/.test(f)).sort();
    expect(xlsx.length).toBeGreaterThan(0);
    const { params } = await readXlsx(path.join(out, xlsx.at(-1)!));
    expect(params.get('metric')).toBe('minkowski');
    expect(params.get('p')).toBe(3);
    expect(params.get('w')).toBe('none');
  }, 60_000);

  it('bad values are refused before any work, naming the flag', async () => {
    const cases: [string[], RegExp][] = [
      [['cluster', 'cw', '--metric', 'minkowski', '--p', '0.5'], /Invalid value for --p: expected a number >= 1 \(or inf\) but received "0.5"/],
      [['cluster', 'cw', '--p', '3'], /--p applies to --metric minkowski only, not to --metric euclidean/],
      [['cluster', 'cw', '--metric', 'mahalanobis'], /--threshold is needed with --metric mahalanobis: metric mahalanobis has no default/],
      [['cluster', 'dbscan', '--metric', 'mahalanobis'], /--eps is needed with --metric mahalanobis/],
      [['cluster', 'cw', '--metric', 'braycurtis', '--neighbors', 'hnsw'], /neighbors 'hnsw' \(--neighbors hnsw\) cannot serve metric braycurtis/],
      [['cluster', 'cw', '--metric', 'canberra', '--hnsw-k', '8'], /hnsw options \(--hnsw-\*\) cannot serve metric canberra/],
      [['tune', '--metric', 'mahalanobis'], /--from and --to are needed with --metric mahalanobis/],
      // 50 faces in 512 dimensions: no covariance to invert; the message says how to give VI
      [['cluster', 'cw', '--metric', 'mahalanobis', '--threshold', '20'], /covariance is singular .* pass metricParams.VI \(on the command line: --metric-params FILE.json holding it\)/],
    ];
    for (const [args, message] of cases) expect((await cli(args, 1)).stderr, args.join(' ')).toMatch(message);
  }, 120_000);

  it('mahalanobis with a given VI: the identity gives euclidean\'s clusters', async () => {
    const dim = 512;
    const file = path.join(scratch, 'vi.json');
    fs.writeFileSync(file, JSON.stringify({ VI: Array.from({ length: dim * dim }, (_, k) => (k % (dim + 1) === 0 ? 1 : 0)) }));
    const m = await json(['cluster', 'cw', '--metric', 'mahalanobis', '--metric-params', file, '--threshold', '1']);
    const e = await json(['cluster', 'cw']);
    expect(m.params).toMatchObject({ metric: 'mahalanobis', VI: `given (${dim * dim} values)` });
    expect(m.faces.map((f) => f.cluster)).toEqual(e.faces.map((f) => f.cluster));
  }, 60_000);

  it('hnsw on a transformed metric builds an index of its rows in memory and leaves the folder\'s index alone', async () => {
    const first = await json(['cluster', 'cw', '--neighbors', 'hnsw']);
    expect(first.params.index).toMatch(/^built /);
    const s = await json(['cluster', 'cw', '--metric', 'seuclidean', '--neighbors', 'hnsw']);
    expect(s.params).toMatchObject({ neighbors: 'hnsw', metric: 'seuclidean' });
    expect(s.params.index).toMatch(/^built in memory for the faces in the seuclidean space \(not saved/);
    expect(purity(s.faces)).toBe(1);
    const again = await json(['cluster', 'cw', '--neighbors', 'hnsw']);
    expect(again.params.index).toMatch(/^reused /);
  }, 120_000);

  it('tune sweeps in the metric\'s space, from its default range', async () => {
    const t = JSON.parse((await cli(['tune', '--metric', 'correlation', '--json'])).stdout) as { rows: { threshold: number }[]; suggested: number | null };
    expect(t.rows[0]!.threshold).toBe(defaultRange('cw', 'correlation')![0]);
    const tm = JSON.parse((await cli(['tune', '--metric', 'minkowski', '--p', '3', '--method', 'dbscan', '--steps', '5', '--json'])).stdout) as { rows: { threshold: number }[] };
    expect(tm.rows[0]!.threshold).toBe(Number((0.6 * 0.3818).toFixed(4)));
  }, 120_000);

  it.each([
    [['--metric', 'minkowski', '--p', '3']],
    [['--metric', 'seuclidean']],
    [['--metric', 'correlation']],
  ])('run %j: people adopted, then new photos join their people (assignment in the metric\'s space); suggest runs there too', async (flags) => {
    const dir = scratchDir();
    const mine = path.join(dir, 'photos');
    const where = path.join(dir, 'out');
    const put = (k: [number, number]) => {
      for (const p of people) {
        for (const f of p.files.slice(...k)) {
          fs.mkdirSync(path.join(mine, p.name), { recursive: true });
          fs.copyFileSync(f, path.join(mine, p.name, path.basename(f)));
        }
      }
    };
    put([0, 5]);
    const first = await json(['run', mine, '--threads', '2', ...flags], where);
    expect(first.people.mode).toBe('adopted');
    put([5, 7]);
    const second = await json(['run', mine, '--threads', '2', ...flags], where);
    expect(second.people.mode).toBe('assigned');
    expect(second.people.assigned, 'new faces that joined a known person').toBeGreaterThanOrEqual(15);
    // each assigned new face joined the person of its own folder
    const personOf = new Map<number, Set<string>>();
    for (const f of second.faces) {
      if (f.person === null) continue;
      const s = personOf.get(f.person) ?? new Set<string>();
      s.add(path.basename(path.dirname(f.file)));
      personOf.set(f.person, s);
    }
    for (const [person, who] of personOf) expect([...who], `person ${person}`).toHaveLength(1);
    const s = JSON.parse((await cli(['suggest', ...flags, '--json'], 0, where)).stdout) as { metric: string; pairs: { distance: number }[] };
    expect(s.metric).toBe(flags[1]);
    for (const p of s.pairs) expect(Number.isFinite(p.distance)).toBe(true);
  }, 300_000);

  it('FacialClustering takes metric and metricParams as the library does', async () => {
    const fc = new FacialClustering({ outPath: out });
    try {
      const r = await fc.dbscan({ metric: 'minkowski', metricParams: { p: 3 } });
      expect(r.params).toMatchObject({ eps: 0.3818, metric: 'minkowski', p: 3 });
      expect(purity(r.faces.map((f) => ({ file: f.file, cluster: f.cluster, person: null })))).toBe(1);
      // cohesion is in the metric's own units, finite for every cluster
      for (const c of r.summaries) if (c.cluster >= 0) expect(Number.isFinite(c.cohesion)).toBe(true);
    } finally {
      fc.close();
    }
  }, 60_000);
});
