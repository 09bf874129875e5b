#!/usr/bin/env node
/**
 * Clustering quality of the CLI defaults on ../shared/data/lfw-dev, truth = each photo's parent folder.
 * Not a test: it needs the whole of lfw-dev embedded (≈7,000 photos), which takes minutes.
 *
 *   node scripts/eval-lfw.mjs [--store FILE | --embed OUTDIR] [--sweep] [--json FILE]
 *
 * --store FILE   an existing embedding store of lfw-dev (default /tmp/faceclust-lfw-dev/faces.sqlite,
 *                the one @faceclust/embed's own evaluation builds); opened only to read
 * --embed OUTDIR embed lfw-dev with FacialClustering into OUTDIR first (resumable)
 * --sweep        also score a range of CW thresholds and DBSCAN eps/minSamples (how DEFAULTS were chosen)
 *
 * Every face found is clustered, as the CLI does; a photo's main face (the one nearest the centre: LFW
 * photos are centred on the named person) is scored against the folder name. Noise counts as clusters
 * of one (evaluate's definition). Needs `pnpm build` first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chineseWhispers, chineseWhispersOnGraph, dbscan, dbscanOnGraph, evaluate, filterGraph, radiusGraph } from '@faceclust/cluster';
import { FaceStore } from '@faceclust/embed';
import { DEFAULTS, FacialClustering } from '../dist/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const lfw = path.resolve(here, '../../../../shared/data/lfw-dev');
const args = process.argv.slice(2);
const flag = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);

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
const set = store.loadFaces('default');
const images = store.listImages({ model: 'default' });
store.close();
const n = set.faces.length;
const { dim, vectors } = set;

// main face per photo: the box centre nearest the photo centre (LFW deep-funneled photos are 250×250)
const mainOf = new Map();
set.faces.forEach((f, i) => {
  const d = Math.hypot(f.box[0] + f.box[2] / 2 - 125, f.box[1] + f.box[3] / 2 - 125);
  const cur = mainOf.get(f.file);
  if (!cur || d < cur.d) mainOf.set(f.file, { i, d });
});
const main = [...mainOf.values()].map((m) => m.i).sort((a, b) => a - b);
const people = new Map();
const truth = Int32Array.from(main, (i) => {
  const p = path.basename(path.dirname(set.faces[i].file));
  if (!people.has(p)) people.set(p, people.size);
  return people.get(p);
});
const score = (labels) => evaluate(Int32Array.from(main, (i) => labels[i]), truth);
const fmt = (q) => `pairwise P ${q.pairwise.precision.toFixed(4)} R ${q.pairwise.recall.toFixed(4)} F ${q.pairwise.f.toFixed(4)} | BCubed P ${q.bcubed.precision.toFixed(4)} R ${q.bcubed.recall.toFixed(4)} F ${q.bcubed.f.toFixed(4)} | NMI ${q.nmi.toFixed(4)} | clusters ${q.clusters} (true ${q.trueClusters})`;

console.log(`store ${storePath}: ${images.length} photos (${images.filter((r) => r.status !== 'done').length} skipped, ${images.filter((r) => r.faces === 0).length} with no face), ${n} faces; scoring ${main.length} main faces of ${people.size} people`);

// one graph at the largest radius, filtered for every smaller one (exact when the radius is a float32)
const maxR = 1.3;
const t0 = performance.now();
const graph = await radiusGraph(vectors, dim, { radius: maxR });
console.log(`radius graph at ${maxR}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const out = { store: storePath, faces: n, scored: main.length, people: people.size, defaults: {}, sweep: [] };

const cw = async (threshold, minClusterSize = 1) => (await chineseWhispersOnGraph(filterGraph(graph, threshold), { iterations: DEFAULTS.iterations, seed: DEFAULTS.seed, minClusterSize })).labels;
const db = async (eps, minSamples) => (await dbscanOnGraph(filterGraph(graph, eps), { minSamples })).labels;

// the defaults exactly as the CLI runs them (each call builds its own graph)
const qCw = score((await chineseWhispers(vectors, dim, { threshold: DEFAULTS.threshold, iterations: DEFAULTS.iterations, seed: DEFAULTS.seed })).labels);
const qDb = score((await dbscan(vectors, dim, { eps: DEFAULTS.eps, minSamples: DEFAULTS.minSamples })).labels);
console.log(`defaults  cw     threshold ${DEFAULTS.threshold}: ${fmt(qCw)}`);
console.log(`defaults  dbscan eps ${DEFAULTS.eps} minSamples ${DEFAULTS.minSamples}: ${fmt(qDb)}`);
out.defaults = { cw: { threshold: DEFAULTS.threshold, ...qCw }, dbscan: { eps: DEFAULTS.eps, minSamples: DEFAULTS.minSamples, ...qDb } };

if (args.includes('--sweep')) {
  for (let t = 0.8; t <= 1.26; t += 0.025) {
    const th = Math.fround(Number(t.toFixed(3)));
    const q = score(await cw(th));
    console.log(`sweep cw t ${th.toFixed(3)}: ${fmt(q)}`);
    out.sweep.push({ method: 'cw', threshold: th, ...q });
  }
  for (const minSamples of [1, 2, 3, 4]) {
    for (let e = 0.85; e <= 1.01; e += 0.0125) {
      const eps = Math.fround(Number(e.toFixed(4)));
      const q = score(await db(eps, minSamples));
      console.log(`sweep dbscan eps ${eps.toFixed(4)} m ${minSamples}: ${fmt(q)}`);
      out.sweep.push({ method: 'dbscan', eps, minSamples, ...q });
    }
  }
}
if (flag('--json')) fs.writeFileSync(flag('--json'), JSON.stringify(out, null, 1));
