#!/usr/bin/env node
/**
 * Clustering quality of the CLI defaults on ../shared/data/lfw-dev, truth = each photo's parent folder.
 * Not a test: it needs the whole of lfw-dev embedded (≈7,000 photos), which takes minutes.
 *
 *   node scripts/eval-lfw.mjs [--store FILE | --embed OUTDIR] [--metric NAME] [--threshold T] [--eps E]
 *                             [--sweep [--from A --to B [--steps K]] [--min-samples LIST] [--merge]] [--json FILE]
 *
 * --model NAME   the embedder whose faces are read from the store: 'default' (fp32), 'default-int8' or
 *                an .onnx path, as @faceclust/embed's `model` option (default 'default')
 * --store FILE   an existing embedding store of lfw-dev (default /tmp/faceclust-lfw-dev/faces.sqlite,
 *                the one @faceclust/embed's own evaluation builds); opened only to read
 * --embed OUTDIR embed lfw-dev with FacialClustering into OUTDIR first (resumable)
 * --sweep        also score a range of CW thresholds and DBSCAN eps/minSamples (how DEFAULTS were chosen)
 * --metric NAME  distance for everything below: euclidean (default), sqeuclidean, cosine, manhattan or
 *                chebyshev. Without it (or with euclidean) the output is the euclidean one as before.
 * --threshold T, --eps E
 *                the CW threshold / DBSCAN eps scored on the "defaults" lines (minSamples stays
 *                DEFAULTS.minSamples). Default: the CLI's default for the metric when the built CLI has
 *                per-metric defaults (metricDefault), else DEFAULTS mapped: exactly for sqeuclidean (d²)
 *                and cosine (d²/2, unit vectors), and the lfw-dev equivalents in EQUIVALENT_DEFAULTS
 *                below for manhattan and chebyshev.
 * --from A --to B [--steps K]
 *                sweep K + 1 evenly spaced values A..B (K default 20) for both the CW threshold and the
 *                DBSCAN eps, in the metric's units. Default: euclidean CW 0.8–1.25 by 0.025 and DBSCAN
 *                0.85–1.0 by 0.0125; sqeuclidean and cosine those grids mapped (d², d²/2), so their rows
 *                line up with the euclidean ones; manhattan and chebyshev the ranges in SWEEP_RANGES below.
 *                The one radius graph is built at the largest value swept (euclidean: 1.3 as before).
 * --min-samples LIST
 *                the DBSCAN minSamples swept, comma separated (default 1,2,3,4)
 * --merge        with --sweep: for each minSamples, bisect the graph's edge distances for the smallest eps
 *                at which DBSCAN's pairwise precision falls below 0.999 and below 0.99 (two large
 *                clusters joining), and name the two clusters joined (size and main folder of each)
 *
 * Largest distance between two L2-normalised 512-d vectors (a threshold beyond it joins everything):
 * euclidean 2, sqeuclidean 4, cosine 2, manhattan 2·√512 ≈ 45.25, chebyshev 2.
 *
 * Every face found is clustered, as the CLI does; a photo's main face (the one nearest the centre: LFW
 * photos are centred on the named person) is scored against the folder name. Noise counts as clusters
 * of one (evaluate's definition). Needs `pnpm build` first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chineseWhispers, chineseWhispersOnGraph, dbscan, dbscanOnGraph, evaluate, filterGraph, METRICS, radiusGraph } from '@faceclust/cluster';
import { FaceStore } from '@faceclust/embed';
import { DEFAULTS, FacialClustering } from '../dist/index.js';
import { mainFaceTruth } from './face-truth.mjs';
import * as cliOptions from '../dist/options.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const lfw = path.resolve(here, '../../../../shared/data/lfw-dev');
const args = process.argv.slice(2);
const flag = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const numFlag = (name, check = (v) => Number.isFinite(v) && v > 0) => {
  const raw = flag(name);
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (raw.trim() === '' || !check(v)) throw new Error(`Invalid value for ${name}: ${JSON.stringify(raw)}`);
  return v;
};

const metric = flag('--metric') ?? 'euclidean';
if (!METRICS.includes(metric)) throw new Error(`Invalid value for --metric: expected one of ${METRICS.join(', ')} but received ${JSON.stringify(metric)}`);
/** Plain euclidean run, output exactly as before --metric existed. */
const classic = metric === 'euclidean' && flag('--from') === undefined && flag('--to') === undefined && flag('--steps') === undefined;

/** sqeuclidean and cosine are monotone in the euclidean distance d of unit vectors: d² and d²/2. */
const FROM_EUCLIDEAN = { euclidean: (d) => d, sqeuclidean: (d) => d * d, cosine: (d) => (d * d) / 2 };
/**
 * manhattan and chebyshev have no such map: the values equivalent to DEFAULTS (threshold 1.0, eps 0.925)
 * measured on lfw-dev with this script (--metric NAME --sweep --merge; cli README, "Defaults per metric").
 */
const EQUIVALENT_DEFAULTS = { manhattan: { threshold: 17.5, eps: 16.25 }, chebyshev: { threshold: 0.1235, eps: 0.1195 } };
/**
 * Default sweep ranges of manhattan and chebyshev ({ from, to, steps }), around EQUIVALENT_DEFAULTS. Wider
 * ones are pointless: CW joins every lfw-dev face into one cluster from manhattan 22.5 and chebyshev 0.16.
 */
const SWEEP_RANGES = {
  manhattan: { cw: { from: 16, to: 19, steps: 24 }, dbscan: { from: 16, to: 17.5, steps: 24 } },
  chebyshev: { cw: { from: 0.11, to: 0.14, steps: 30 }, dbscan: { from: 0.11, to: 0.13, steps: 40 } },
};

const defaultFor = (method) => {
  if (typeof cliOptions.metricDefault === 'function') return { value: cliOptions.metricDefault(method, metric), from: 'CLI default' };
  const euclidean = method === 'cw' ? DEFAULTS.threshold : DEFAULTS.eps;
  if (FROM_EUCLIDEAN[metric]) return { value: FROM_EUCLIDEAN[metric](euclidean), from: metric === 'euclidean' ? 'DEFAULTS' : `DEFAULTS mapped from euclidean ${euclidean}` };
  return { value: EQUIVALENT_DEFAULTS[metric][method === 'cw' ? 'threshold' : 'eps'], from: 'lfw-dev equivalent of DEFAULTS' };
};
const cwDefault = numFlag('--threshold') !== undefined ? { value: numFlag('--threshold'), from: '--threshold' } : defaultFor('cw');
const dbDefault = numFlag('--eps') !== undefined ? { value: numFlag('--eps'), from: '--eps' } : defaultFor('dbscan');
const minSamplesList = (flag('--min-samples') ?? '1,2,3,4').split(',').map((s) => {
  const m = Number(s);
  if (s.trim() === '' || !Number.isInteger(m) || m < 1) throw new Error(`Invalid value for --min-samples: ${JSON.stringify(flag('--min-samples'))}`);
  return m;
});

/** The sweep grids of a non-classic run: float32 values (see maxR below), each with its label. */
const grid = (from, to, steps) =>
  Array.from({ length: steps + 1 }, (_, i) => {
    const v = Math.fround(Number((from + ((to - from) * i) / steps).toPrecision(6)));
    return v;
  });
const mapped = (from, step, count) => Array.from({ length: count }, (_, i) => Math.fround(FROM_EUCLIDEAN[metric](Number((from + i * step).toFixed(4)))));
let cwGrid;
let dbGrid;
if (flag('--from') !== undefined || flag('--to') !== undefined) {
  const from = numFlag('--from', Number.isFinite);
  const to = numFlag('--to', Number.isFinite);
  const steps = numFlag('--steps', (v) => Number.isInteger(v) && v >= 1) ?? 20;
  if (from === undefined || to === undefined || !(from > 0) || !(to > from)) throw new Error('--from A --to B needs 0 < A < B');
  cwGrid = dbGrid = grid(from, to, steps);
} else if (flag('--steps') !== undefined) {
  throw new Error('--steps needs --from and --to');
} else if (FROM_EUCLIDEAN[metric]) {
  cwGrid = mapped(0.8, 0.025, 19); // euclidean 0.8 .. 1.25
  dbGrid = mapped(0.85, 0.0125, 13); // euclidean 0.85 .. 1.0
} else {
  const r = SWEEP_RANGES[metric];
  cwGrid = grid(r.cw.from, r.cw.to, r.cw.steps);
  dbGrid = grid(r.dbscan.from, r.dbscan.to, r.dbscan.steps);
}
/** A distance as printed on non-classic lines (7 significant digits: float32 values of any metric). */
const num = (v) => String(Number(v.toPrecision(7)));

let storePath = flag('--store') ?? '/tmp/faceclust-lfw-dev/faces.sqlite';
if (flag('--embed')) {
  if (!fs.existsSync(lfw)) throw new Error(`lfw-dev not found at ${lfw}`);
  let last = 0;
  const fc = new FacialClustering({ pathlist: lfw, outPath: flag('--embed'), command: 'scripts/eval-lfw.mjs', onProgress: (e) => {
    if (e.done - last >= 500 || e.done === e.total) { last = e.done; console.error(`embedded ${e.done}/${e.total}`); }
  } });
  await fc.embed();
  storePath = fc.storePath;
  fc.close();
}
if (!fs.existsSync(storePath)) throw new Error(`No store at ${storePath}: pass --store FILE or --embed OUTDIR`);

const store = FaceStore.open(storePath);
const model = flag('--model') ?? 'default';
const set = store.loadFaces(model);
const images = store.listImages({ model });
store.close();
const n = set.faces.length;
const { dim, vectors } = set;

// main face per photo: the box centre nearest the photo centre (LFW deep-funneled photos are 250×250)
const { main, truth, people: peopleCount } = mainFaceTruth(set.faces);
const score = (labels) => evaluate(Int32Array.from(main, (i) => labels[i]), truth);
const fmt = (q) => `pairwise P ${q.pairwise.precision.toFixed(4)} R ${q.pairwise.recall.toFixed(4)} F ${q.pairwise.f.toFixed(4)} | BCubed P ${q.bcubed.precision.toFixed(4)} R ${q.bcubed.recall.toFixed(4)} F ${q.bcubed.f.toFixed(4)} | NMI ${q.nmi.toFixed(4)} | clusters ${q.clusters} (true ${q.trueClusters})`;

console.log(`store ${storePath}: ${images.length} photos (${images.filter((r) => r.status !== 'done').length} skipped, ${images.filter((r) => r.faces === 0).length} with no face), ${n} faces; scoring ${main.length} main faces of ${peopleCount} people`);

// one graph at the largest radius, filtered for every smaller one (exact when the radius is a float32)
// (non-classic runs: the largest value swept, itself a float32, so filtering is exact at every grid value)
const maxR = classic ? 1.3 : Math.max(...cwGrid, ...dbGrid);
const t0 = performance.now();
const graph = await radiusGraph(vectors, dim, { radius: maxR, ...(classic ? {} : { metric }) });
console.log(`radius graph at ${classic ? maxR : `${num(maxR)} (${metric})`}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const out = { store: storePath, faces: n, scored: main.length, people: peopleCount, ...(classic ? {} : { metric }), defaults: {}, sweep: [] };

const cw = async (threshold, minClusterSize = 1) => (await chineseWhispersOnGraph(filterGraph(graph, threshold), { iterations: DEFAULTS.iterations, seed: DEFAULTS.seed, minClusterSize })).labels;
const db = async (eps, minSamples) => (await dbscanOnGraph(filterGraph(graph, eps), { minSamples })).labels;

// the defaults exactly as the CLI runs them (each call builds its own graph)
const metricOpt = classic ? {} : { metric };
const qCw = score((await chineseWhispers(vectors, dim, { threshold: cwDefault.value, iterations: DEFAULTS.iterations, seed: DEFAULTS.seed, ...metricOpt })).labels);
const qDb = score((await dbscan(vectors, dim, { eps: dbDefault.value, minSamples: DEFAULTS.minSamples, ...metricOpt })).labels);
if (classic && cwDefault.from !== '--threshold' && dbDefault.from !== '--eps') {
  console.log(`defaults  cw     threshold ${cwDefault.value}: ${fmt(qCw)}`);
  console.log(`defaults  dbscan eps ${dbDefault.value} minSamples ${DEFAULTS.minSamples}: ${fmt(qDb)}`);
} else {
  console.log(`defaults  ${metric} cw     threshold ${cwDefault.value} (${cwDefault.from}): ${fmt(qCw)}`);
  console.log(`defaults  ${metric} dbscan eps ${dbDefault.value} minSamples ${DEFAULTS.minSamples} (${dbDefault.from}): ${fmt(qDb)}`);
}
out.defaults = { cw: { threshold: cwDefault.value, ...qCw }, dbscan: { eps: dbDefault.value, minSamples: DEFAULTS.minSamples, ...qDb } };

if (args.includes('--sweep') && !classic) {
  for (const th of cwGrid) {
    const q = score(await cw(th));
    console.log(`sweep ${metric} cw t ${num(th)}: ${fmt(q)}`);
    out.sweep.push({ method: 'cw', threshold: th, ...q });
  }
  for (const minSamples of minSamplesList) {
    for (const eps of dbGrid) {
      const q = score(await db(eps, minSamples));
      console.log(`sweep ${metric} dbscan eps ${num(eps)} m ${minSamples}: ${fmt(q)}`);
      out.sweep.push({ method: 'dbscan', eps, minSamples, ...q });
    }
  }
} else if (args.includes('--sweep')) {
  for (let t = 0.8; t <= 1.26; t += 0.025) {
    const th = Math.fround(Number(t.toFixed(3)));
    const q = score(await cw(th));
    console.log(`sweep cw t ${th.toFixed(3)}: ${fmt(q)}`);
    out.sweep.push({ method: 'cw', threshold: th, ...q });
  }
  for (const minSamples of minSamplesList) {
    for (let e = 0.85; e <= 1.01; e += 0.0125) {
      const eps = Math.fround(Number(e.toFixed(4)));
      const q = score(await db(eps, minSamples));
      console.log(`sweep dbscan eps ${eps.toFixed(4)} m ${minSamples}: ${fmt(q)}`);
      out.sweep.push({ method: 'dbscan', eps, minSamples, ...q });
    }
  }
}

// --merge: where DBSCAN's chaining first joins clusters of different people: the smallest eps at which
// pairwise precision falls below each of MERGE_LEVELS (0.99: two large clusters joining)
const MERGE_LEVELS = [0.999, 0.99];
if (args.includes('--sweep') && args.includes('--merge')) {
  const epsGrid = classic ? Array.from({ length: 13 }, (_, i) => Math.fround(Number((0.85 + i * 0.0125).toFixed(4)))) : dbGrid;
  const folder = (i) => path.basename(path.dirname(set.faces[i].file));
  const exact = (v) => String(Number(v.toPrecision(9))); // a float32 distance, round-trip
  const name = (faces) => {
    const count = new Map();
    for (const i of faces) count.set(folder(i), (count.get(folder(i)) ?? 0) + 1);
    const [top, c] = [...count].sort((x, y) => y[1] - x[1])[0];
    return `${faces.length} (${top}${c < faces.length ? ` ${c}` : ''})`;
  };
  out.merge = [];
  for (const minSamples of minSamplesList) {
    const cache = new Map(); // eps -> { labels, q }
    const at = async (eps) => {
      if (!cache.has(eps)) { const labels = await db(eps, minSamples); cache.set(eps, { labels, q: score(labels) }); }
      return cache.get(eps);
    };
    for (const level of MERGE_LEVELS) {
      // hi: the first grid eps with precision < level after one with precision >= level (at tiny eps a few
      // wrong pairs weigh a lot), lo: the grid eps before it
      let lo;
      let hi;
      for (const eps of epsGrid) {
        if ((await at(eps)).q.pairwise.precision >= level) lo = eps;
        else if (lo !== undefined) { hi = eps; break; }
      }
      if (hi === undefined) {
        console.log(`merge ${metric} dbscan m ${minSamples} P<${level}: ${lo === undefined ? `pairwise precision < ${level} throughout the sweep` : `pairwise precision >= ${level} from eps ${num(epsGrid.find((e) => cache.get(e).q.pairwise.precision >= level))} to the end of the sweep`}`);
        continue;
      }
      // the edge distances in (lo, hi] (not none: the graphs at lo and hi differ; the last is the graph at
      // hi): bisect for the smallest at which precision < level
      const ds = [...new Set(graph.distances.filter((d) => d > lo && d <= hi))].sort((x, y) => x - y);
      let a = 0;
      let b = ds.length - 1;
      while (a < b) {
        const mid = (a + b) >> 1;
        if ((await at(ds[mid])).q.pairwise.precision < level) b = mid;
        else a = mid + 1;
      }
      const after = await at(ds[b]);
      const beforeEps = b > 0 ? ds[b - 1] : lo;
      const before = await at(beforeEps);
      // the cluster after that joins the most wrong pairs: its parts before, named by their main folder
      const parts = new Map(); // label after -> Map(label before -> [main faces])
      for (const i of main) {
        const la = after.labels[i];
        if (la < 0) continue;
        if (!parts.has(la)) parts.set(la, new Map());
        const m = parts.get(la);
        const lb = before.labels[i] < 0 ? `noise${i}` : before.labels[i];
        if (!m.has(lb)) m.set(lb, []);
        m.get(lb).push(i);
      }
      let worst;
      for (const m of parts.values()) {
        if (m.size < 2) continue;
        const groups = [...m.values()].sort((x, y) => y.length - x.length);
        const cross = groups[0].length * groups.slice(1).reduce((x, g) => x + g.length, 0);
        if (!worst || cross > worst.cross) worst = { cross, groups };
      }
      const joined = worst ? worst.groups.slice(0, 2).map(name) : [];
      const more = worst && worst.groups.length > 2 ? ` + ${worst.groups.length - 2} more` : '';
      console.log(
        `merge ${metric} dbscan m ${minSamples} P<${level}: eps ${exact(beforeEps)} → ${exact(ds[b])}: pairwise P ${before.q.pairwise.precision.toFixed(4)} → ${after.q.pairwise.precision.toFixed(4)}, F ${before.q.pairwise.f.toFixed(4)} → ${after.q.pairwise.f.toFixed(4)}, BCubed F ${before.q.bcubed.f.toFixed(4)} → ${after.q.bcubed.f.toFixed(4)}; joins ${joined.join(' + ')}${more} main faces`,
      );
      out.merge.push({ minSamples, level, below: beforeEps, at: ds[b], before: before.q, after: after.q, joined });
    }
  }
}
if (flag('--json')) fs.writeFileSync(flag('--json'), JSON.stringify(out, null, 1));
