#!/usr/bin/env node
/**
 * The clustering defaults against the alternatives, on every labelled set of ../shared/data (cluster README,
 * "Defaults on evidence"). Not a test: it embeds about 1,500 photos the first time (cached in --work).
 *
 *   node scripts/eval-defaults.mjs [--work DIR] [--lfw-store FILE] [--json FILE]
 *
 * Sets (truth = the photo's folder; each photo's main face is scored, every face is clustered):
 * - lfw-dev: 7,171 photos, 2,954 people (the store of scripts/eval-lfw.mjs, /tmp/faceclust-lfw-dev).
 * - bursts: every lfw-dev person with 6–40 photos, each with a burst of near-identical frames
 *   (scripts/burst-set.mjs) of the photo farthest from the person's others (its nearest other face between
 *   0.8 and 0.98), the case Chinese Whispers splits.
 * - bbt-crops: 8 people × 5 tight crops (embedded as crops, preprocess false).
 * - photos-small: 5 people, 9 full photos (main face: the largest).
 * Clustering as the CLI does it: faces of one photo are cannot-linked. Noise counts as clusters of one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chineseWhispers, dbscan, evaluate, kDistancesOnGraph, radiusGraph, suggestThreshold } from '@faceclust/cluster';
import { FaceStore } from '@faceclust/embed';
import { FacialClustering } from '../dist/index.js';
import { burstFrames } from './burst-set.mjs';
import { centred, largest, mainFaceTruth } from './face-truth.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const data = path.resolve(here, '../../../../shared/data');
const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const work = flag('--work', '/tmp/faceclust-eval');
const lfwStore = flag('--lfw-store', '/tmp/faceclust-lfw-dev/faces.sqlite');
if (!fs.existsSync(path.join(data, 'lfw-dev'))) throw new Error(`no data at ${data}`);
if (!fs.existsSync(lfwStore)) throw new Error(`no lfw-dev store at ${lfwStore}: run node scripts/eval-lfw.mjs --embed /tmp/faceclust-lfw-dev first`);

/** A store's faces, the truth of each photo's main face, and the same-photo cannot-links. */
function loadSet(storePath, mainOf) {
  const store = FaceStore.open(storePath);
  const set = store.loadFaces('default');
  store.close();
  const { main, truth, people } = mainFaceTruth(set.faces, mainOf);
  const byFile = new Map();
  set.faces.forEach((f, i) => byFile.set(f.file, [...(byFile.get(f.file) ?? []), i]));
  const cannotLink = [];
  for (const ix of byFile.values()) for (let a = 0; a < ix.length; a++) for (let b = a + 1; b < ix.length; b++) cannotLink.push([ix[a], ix[b]]);
  return { set, main, truth, people, constraints: cannotLink.length ? { cannotLink } : undefined };
}

async function embedFolder(name, folder, opts = {}) {
  const out = path.join(work, name, 'out');
  const fc = new FacialClustering({ pathlist: [folder], outPath: out, threads: 2, command: 'scripts/eval-defaults.mjs', ...opts });
  await fc.embed();
  const storePath = fc.storePath;
  fc.close();
  return storePath;
}

/** The bursts set: persons with 6–40 lfw-dev photos, a burst of the photo farthest from their others. */
async function burstsFolder() {
  const folder = path.join(work, 'bursts', 'photos');
  if (fs.existsSync(path.join(work, 'bursts', 'photos.done'))) return folder;
  const { set, main } = loadSet(lfwStore, centred);
  const byPerson = new Map();
  for (const i of main) {
    if (centred(set.faces[i]) > 30) continue;
    const p = path.basename(path.dirname(set.faces[i].file));
    byPerson.set(p, [...(byPerson.get(p) ?? []), i]);
  }
  const { dim, vectors } = set;
  const dist = (a, b) => {
    let s = 0;
    for (let k = 0; k < dim; k++) s += (vectors[a * dim + k] - vectors[b * dim + k]) ** 2;
    return Math.sqrt(s);
  };
  let people = 0;
  for (const [person, ix] of [...byPerson].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (ix.length < 6 || ix.length > 40) continue;
    let pick = -1;
    let pickD = 0;
    for (const i of ix) {
      let near = Infinity;
      for (const j of ix) if (j !== i) near = Math.min(near, dist(i, j));
      if (near < 0.98 && near > pickD) (pickD = near), (pick = i);
    }
    if (pick < 0 || pickD < 0.8) continue;
    const dir = path.join(folder, person);
    fs.mkdirSync(dir, { recursive: true });
    for (const f of fs.readdirSync(path.join(data, 'lfw-dev', person))) fs.copyFileSync(path.join(data, 'lfw-dev', person, f), path.join(dir, f));
    const file = set.faces[pick].file;
    const stem = path.basename(file, path.extname(file));
    const frames = [...(await burstFrames(file)), fs.readFileSync(file)];
    frames.forEach((buf, k) => fs.writeFileSync(path.join(dir, `${stem}_burst_${k + 1}.jpg`), buf));
    people++;
  }
  fs.writeFileSync(path.join(work, 'bursts', 'photos.done'), `${people}\n`);
  return folder;
}

const sets = [
  ['lfw-dev', loadSet(lfwStore, centred)],
  ['bursts', loadSet(await embedFolder('bursts', await burstsFolder()), centred)],
  ['bbt-crops', loadSet(await embedFolder('bbt-crops', path.join(data, 'bbt-crops'), { preprocess: false }), largest)],
  ['photos-small', loadSet(await embedFolder('photos-small', path.join(data, 'photos-small')), largest)],
];

/** Label-free suggestion of tune (its nearest-neighbour valley) for one set and method. */
async function suggestion(set, method) {
  const graph = await radiusGraph(set.set.vectors, set.set.dim, { radius: 1.3 });
  const s = suggestThreshold(kDistancesOnGraph(graph, 2), { method });
  return s.clear ? Number(s.threshold.toFixed(3)) : method === 'cw' ? 1 : 0.925;
}

const configs = [
  { label: 'cw 1.0, no merge (old default)', method: 'cw', opts: { threshold: 1, mergeRadius: 0 } },
  { label: 'cw 1.0, merge 0.9 (default)', method: 'cw', opts: { threshold: 1 } },
  { label: 'cw 1.0, merge 0.925', method: 'cw', opts: { threshold: 1, mergeRadius: 0.925 } },
  { label: 'cw auto (tune), merge 0.9×', method: 'cw', auto: true },
  { label: 'dbscan 0.925 (default)', method: 'dbscan', opts: { eps: 0.925 } },
  { label: 'dbscan 0.95', method: 'dbscan', opts: { eps: 0.95 } },
  { label: 'dbscan 0.975', method: 'dbscan', opts: { eps: 0.975 } },
  { label: 'dbscan auto (tune)', method: 'dbscan', auto: true },
];

const results = [];
for (const [name, s] of sets) {
  console.log(`${name}: ${s.set.faces.length} faces, ${s.main.length} photos scored, ${s.people} people`);
  for (const c of configs) {
    let opts = c.opts;
    if (c.auto) opts = c.method === 'cw' ? { threshold: await suggestion(s, 'cw') } : { eps: await suggestion(s, 'dbscan') };
    const run = c.method === 'cw' ? chineseWhispers : dbscan;
    const r = await run(s.set.vectors, s.set.dim, { ...opts, ...(c.method === 'dbscan' ? { minSamples: 2 } : {}), ...(s.constraints ? { constraints: s.constraints } : {}) });
    const q = evaluate(Int32Array.from(s.main, (i) => r.labels[i]), s.truth);
    const row = { set: name, config: c.label, ...opts, pairwiseP: q.pairwise.precision, pairwiseF: q.pairwise.f, bcubedF: q.bcubed.f, clusters: q.clusters, trueClusters: q.trueClusters };
    results.push(row);
    const at = c.auto ? ` (${c.method === 'cw' ? `threshold ${opts.threshold}` : `eps ${opts.eps}`})` : '';
    console.log(`  ${(c.label + at).padEnd(44)} pairwise P ${q.pairwise.precision.toFixed(4)} F ${q.pairwise.f.toFixed(4)}  BCubed F ${q.bcubed.f.toFixed(4)}  clusters ${q.clusters} (true ${q.trueClusters})`);
  }
}
if (flag('--json')) fs.writeFileSync(flag('--json'), JSON.stringify(results, null, 2));
