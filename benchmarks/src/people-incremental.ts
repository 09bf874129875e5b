/**
 * New photos in a folder that has people, end to end with the real CLI: `faceclust run` assigns only the
 * new faces (each joins the person of its nearest known face within the threshold, the rest are clustered
 * among themselves), measured against `run --recluster` on the same store in the same run.
 * `pnpm --filter @faceclust/benchmarks bench:people-incremental` (after `pnpm build`).
 *
 *   --n0 100000               faces in the folder before (env N0)
 *   --added 1000              faces added afterwards (env ADDED)
 *   --dim 512 --seed 42       generator (benchmarks/src/generator.ts, env DIM, SEED); ~20 faces per person, Zipf sizes
 *   --spread 0.8              the generator's σ (env SPREAD): 0.8 keeps people apart at the default threshold 1,
 *                             larger values make them overlap (same-person distances ≈ σ√2/√(1+σ²))
 *   --new-people 0.1          share of the added faces that are every face of people with no face before
 *                             (whole true clusters, as when photos of new people arrive); the rest are
 *                             random faces of the other people
 *   --faces-per-image 1       faces per fake photo (faces of one photo are kept apart: more than 1 adds
 *                             cannot links the generator knows nothing of)
 *   --cli-flags="..."         extra flags for every call, e.g. --cli-flags="--threshold 0.9"
 *   --timeout-min 30          a call still running after this is killed and reported
 *   --tmp DIR --keep          where the photos, store and outputs go (default os.tmpdir()), and keep them
 *   --out DIR                 default benchmarks/results
 *
 * The photos are empty files; the store holds their faces under the files' real size and mtime, so `run`
 * finds every photo cached (as after an embed) and only checks them. Three calls on one folder, each a cold
 * process (`run <photos> --out O --json -q`):
 *   A  the n0 photos: the first run clusters every face and adopts the clusters as the folder's people
 *   B  after `added` more photos (files and store rows): people mode `assigned`
 *   C  `--recluster` on the same n0 + added faces: every face clustered again, the baseline for B
 * Per call: its --json timings (load = finding the photos, checking them against the store and loading
 * the faces; clustering step = hnsw index + graph (B: the nearest-face search) + cluster (B: the leftovers);
 * the rest of the call before the reports = people bookkeeping and cluster statistics), wall time and peak
 * RSS (/usr/bin/time -v), pairwise and BCubed F of its people against the generator's truth, and of the
 * added faces the share given to the person holding most of their true person's old faces.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchArgs } from './args.js';
import { evaluate } from '@faceclust/cluster';
import { CLI, cliBuild, du, fillStore, intFlag, nativeCapabilities, readCliJson, rowsFromJson, runCli, sec, type ChildRun, type CliJson } from './cli-child.js';
import { generateClustered, mulberry32 } from './generator.js';
import { machineInfo } from './machine.js';
import { formatTable, mib } from './table.js';

const here = path.dirname(fileURLToPath(import.meta.url));

type CallName = 'A' | 'B' | 'C';

/** Of the added faces: how many went where their true person's old faces are. */
interface AddedQuality {
  /** Added faces whose true person has old faces with a person, and how many joined the person holding most of them. */
  known: number;
  toMajority: number;
  /** Added faces whose true person had no old face, and how many are in a person no old face has. */
  trueNew: number;
  inNewPeople: number;
  /** Added faces left without a person (no_class). */
  noPerson: number;
}

interface CallResult extends ChildRun {
  call: CallName;
  /** What the call is, for the table. */
  what: string;
  /** Load average (1 min) when the call started: the machine is shared. */
  load1: number;
  /** The newest mtime of the packages' built files when the call started (see cliBuild). */
  buildMs: number;
  faces?: number;
  mode?: string;
  newFaces?: number;
  assigned?: number;
  newPeople?: number;
  neighbors?: string;
  timings?: CliJson['timings'];
  /** hnsw index + graph + cluster: what the clustering itself took. */
  clusteringMs?: number;
  /** From the end of loading to the reports, less the clustering step: people bookkeeping, cluster statistics. */
  otherMs?: number;
  /** The log.txt line saying how many photos were embedded now and how many were already in the store. */
  images?: string;
  people?: number;
  pairwiseF?: number;
  pairwiseP?: number;
  pairwiseR?: number;
  bcubedF?: number;
  added?: AddedQuality;
  /** Old faces whose person is not the one call A gave them. */
  oldChanged?: number;
  /** What looked wrong (mode, counts, cache misses). */
  problems: string[];
}

/** The `images` entry of the newest block in log.txt (e.g. "101000 (0 embedded now, 101000 already in the store, 0 skipped)"). */
function lastImagesLine(logFile: string): string | undefined {
  if (!existsSync(logFile)) return undefined;
  const lines = readFileSync(logFile, 'utf8').split('\n').filter((l) => /^\s*images\b/.test(l));
  return lines.at(-1)?.replace(/^\s*images\s*:?\s*/, '').trim();
}

/**
 * Of the added rows (from `n0`), how many carry the person holding most old faces of their true person
 * (ties: the lower person id), and how many of those whose true person had no old face are in a new person.
 */
function addedQuality(people: Int32Array, truth: Int32Array, n0: number): AddedQuality {
  const counts = new Map<number, Map<number, number>>();
  const oldPeople = new Set<number>();
  for (let row = 0; row < n0; row++) {
    const p = people[row]!;
    if (p < 0) continue;
    oldPeople.add(p);
    let c = counts.get(truth[row]!);
    if (!c) counts.set(truth[row]!, (c = new Map()));
    c.set(p, (c.get(p) ?? 0) + 1);
  }
  const majority = new Map<number, number>();
  for (const [t, c] of counts) {
    let best = -1, bestCount = 0;
    for (const [p, k] of c) if (k > bestCount || (k === bestCount && p < best)) [best, bestCount] = [p, k];
    majority.set(t, best);
  }
  const q: AddedQuality = { known: 0, toMajority: 0, trueNew: 0, inNewPeople: 0, noPerson: 0 };
  for (let row = n0; row < people.length; row++) {
    const p = people[row]!;
    if (p < 0) q.noPerson++;
    const m = majority.get(truth[row]!);
    if (m !== undefined) {
      q.known++;
      if (p === m) q.toMajority++;
    } else {
      q.trueNew++;
      if (p >= 0 && !oldPeople.has(p)) q.inNewPeople++;
    }
  }
  return q;
}

/**
 * The generator's rows reordered so that the last `added` are the added faces: whole true clusters (random
 * order, those that fit) up to `newShare` of them, then random faces of the other clusters. The row order
 * within each part stays the generator's.
 */
function splitAdded(truth: Int32Array, added: number, newShare: number, seed: number): Int32Array {
  const n = truth.length;
  const random = mulberry32(seed ^ 0x5eed);
  const members = new Map<number, number[]>();
  truth.forEach((c, row) => {
    const m = members.get(c);
    if (m) m.push(row);
    else members.set(c, [row]);
  });
  const isAdded = new Uint8Array(n);
  let budget = Math.round(added * newShare);
  const clusters = [...members.keys()];
  for (let i = clusters.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [clusters[i], clusters[j]] = [clusters[j]!, clusters[i]!];
  }
  const whole = new Set<number>();
  for (const c of clusters) {
    if (budget === 0) break;
    const rows = members.get(c)!;
    if (rows.length > budget || rows.length === n) continue;
    for (const row of rows) isAdded[row] = 1;
    whole.add(c);
    budget -= rows.length;
  }
  const rest = [];
  for (let row = 0; row < n; row++) if (!whole.has(truth[row]!)) rest.push(row);
  const more = added - Math.round(added * newShare) + budget;
  if (more > rest.length) throw new RangeError(`Expected --added (${added}) to leave faces before the run but received one that takes them all`);
  // a partial Fisher–Yates: the first `more` of `rest` become added
  for (let i = 0; i < more; i++) {
    const j = i + Math.floor(random() * (rest.length - i));
    [rest[i], rest[j]] = [rest[j]!, rest[i]!];
    isAdded[rest[i]!] = 1;
  }
  const order = new Int32Array(n);
  let k = 0;
  for (let row = 0; row < n; row++) if (!isAdded[row]) order[k++] = row;
  for (let row = 0; row < n; row++) if (isAdded[row]) order[k++] = row;
  return order;
}

const share = (a: number | undefined, b: number | undefined) => (a === undefined || !b ? '' : (a / b).toFixed(4));
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || !b ? '' : (a / b).toFixed(4));
const msCell = (ms: number | undefined) => (ms === undefined ? '' : Math.round(ms));

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: benchArgs(),
    options: {
      n0: { type: 'string', default: process.env.N0 ?? '100000' },
      added: { type: 'string', default: process.env.ADDED ?? '1000' },
      dim: { type: 'string', default: process.env.DIM ?? '512' },
      seed: { type: 'string', default: process.env.SEED ?? '42' },
      spread: { type: 'string', default: process.env.SPREAD ?? '0.8' },
      'new-people': { type: 'string', default: '0.1' },
      'faces-per-image': { type: 'string', default: '1' },
      'cli-flags': { type: 'string', default: '' },
      'timeout-min': { type: 'string', default: '30' },
      tmp: { type: 'string', default: os.tmpdir() },
      keep: { type: 'boolean', default: false },
      out: { type: 'string', default: path.resolve(here, '..', 'results') },
    },
  });
  if (!existsSync(CLI)) throw new Error(`${CLI} not found: run \`pnpm build\` first`);
  const int = (name: keyof typeof values, min: number) => intFlag(values, name, min);
  const n0 = int('n0', 1), added = int('added', 1), dim = int('dim', 2), seed = int('seed', 0), perImage = int('faces-per-image', 1);
  const spread = Number(values.spread), newShare = Number(values['new-people']);
  if (!(spread > 0)) throw new RangeError(`Expected a number > 0 for --spread but received ${JSON.stringify(values.spread)}`);
  if (!(newShare >= 0 && newShare <= 1)) throw new RangeError(`Expected a number from 0 to 1 for --new-people but received ${JSON.stringify(values['new-people'])}`);
  if (n0 % perImage !== 0) throw new RangeError(`Expected --n0 to be a multiple of --faces-per-image (${perImage}) but received ${n0}: a photo would hold old and added faces`);
  const timeoutMs = Number(values['timeout-min']) * 60_000;
  const cliFlags = values['cli-flags'].split(/\s+/).filter(Boolean);
  const n = n0 + added;

  const root = path.join(values.tmp, `faceclust-people-incremental-${n0}-${added}-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  const out = path.join(root, 'out');
  const photos = path.join(root, 'photos');
  const storeFile = path.join(out, 'faces.sqlite');
  mkdirSync(out, { recursive: true });

  let t = performance.now();
  const set = generateClustered({ n, dim, seed, spread });
  const order = splitAdded(set.truth, added, newShare, seed);
  const truth = Int32Array.from(order, (row) => set.truth[row]!);
  const vectorsOf = (vectors: Float32Array, from: number, to: number) => {
    const v = new Float32Array((to - from) * dim);
    for (let i = from; i < to; i++) v.set(vectors.subarray(order[i]! * dim, (order[i]! + 1) * dim), (i - from) * dim);
    return v;
  };
  // the added faces' vectors wait in an array of their own; the rest need not stay in this process while the CLI runs
  const addedVectors = vectorsOf(set.vectors, n0, n);
  let oldVectors: Float32Array | undefined = vectorsOf(set.vectors, 0, n0);
  const trueClusters = set.clusters;
  set.vectors = new Float32Array(0);
  const generateMs = performance.now() - t;
  t = performance.now();
  const first = await fillStore(storeFile, photos, oldVectors, { dim, perImage });
  oldVectors = undefined;
  let fillMs = performance.now() - t;
  const oldTrue = new Set(truth.subarray(0, n0));
  const trueOld = oldTrue.size;
  const trueOnlyNew = new Set([...truth.subarray(n0)].filter((c) => !oldTrue.has(c))).size;
  process.stderr.write(`${n0} faces in ${first.images} photos (${trueOld} true people), generated in ${sec(generateMs)} s, stored in ${sec(fillMs)} s\n`);

  const calls: CallResult[] = [];
  let aPeople: Int32Array | undefined;
  const call = async (name: CallName, what: string, faces: number, extra: string[], expectMode: string) => {
    const args = ['run', photos, '--out', out, '--json', '-q', ...cliFlags, ...extra];
    const load1 = os.loadavg()[0]!;
    const build = cliBuild();
    process.stderr.write(`call ${name} (${what}): faceclust ${args.join(' ')}   [load ${load1.toFixed(2)}]\n`);
    const stdoutFile = path.join(root, `call-${name}.json`);
    const r = await runCli(args, stdoutFile, timeoutMs);
    const result: CallResult = { call: name, what, load1, buildMs: build.newestBuildMs, ...r, images: lastImagesLine(path.join(out, 'log.txt')), problems: [] };
    const j = r.exitCode === 0 ? readCliJson(stdoutFile) : undefined;
    if (calls.length && calls[0]!.buildMs !== build.newestBuildMs) {
      result.problems.push(`the packages were rebuilt at ${new Date(build.newestBuildMs).toISOString()}, after call A started: the calls ran different builds`);
    }
    if (j) {
      const tm = j.timings;
      const clusteringMs = tm.indexMs + tm.graphMs + tm.clusterMs;
      Object.assign(result, {
        faces: j.faces.length, mode: j.people?.mode, newFaces: j.people?.newFaces, assigned: j.people?.assigned, newPeople: j.people?.newPeople,
        neighbors: j.params.neighbors, timings: tm, clusteringMs, otherMs: tm.totalMs - tm.embedMs - tm.reportsMs - clusteringMs,
      });
      if (j.people?.mode !== expectMode) result.problems.push(`people mode ${j.people?.mode}, expected ${expectMode}`);
      if (name === 'B' && j.people?.newFaces !== added) result.problems.push(`${j.people?.newFaces} new faces, expected ${added}`);
      if (result.images && !/\b0 embedded now/.test(result.images)) result.problems.push(`not every photo was cached: ${result.images}`);
      const { people } = rowsFromJson(j, faces, perImage);
      const q = evaluate(people, truth.subarray(0, faces));
      Object.assign(result, {
        people: new Set(people.filter((p) => p >= 0)).size,
        pairwiseF: q.pairwise.f, pairwiseP: q.pairwise.precision, pairwiseR: q.pairwise.recall, bcubedF: q.bcubed.f,
      });
      if (name === 'A') aPeople = people;
      else {
        result.added = addedQuality(people, truth, n0);
        let changed = 0;
        for (let row = 0; row < n0; row++) if (people[row] !== aPeople?.[row]) changed++;
        result.oldChanged = aPeople ? changed : undefined;
      }
    } else {
      result.problems.push(r.timedOut ? `timed out after ${values['timeout-min']} min` : `exit ${r.exitCode}${r.signal ? ` (${r.signal})` : ''}, no --json`);
    }
    if (!values.keep) rmSync(stdoutFile, { force: true });
    calls.push(result);
    process.stderr.write(
      `call ${name}: ${r.timedOut ? 'TIMED OUT' : `exit ${r.exitCode}`} after ${sec(r.wallMs)} s, peak ${r.peakRssMiB} MiB` +
        `${result.clusteringMs !== undefined ? `, clustering ${sec(result.clusteringMs)} s, mode ${result.mode}` : ''}${result.problems.length ? `; PROBLEMS: ${result.problems.join('; ')}` : ''}\n`,
    );
    if (r.exitCode !== 0) process.stderr.write(`${r.stderrTail ?? ''}\n`);
  };

  await call('A', `first run, ${n0} faces`, n0, [], 'adopted');
  t = performance.now();
  await fillStore(storeFile, photos, addedVectors, { dim, perImage, firstRow: n0 });
  fillMs += performance.now() - t;
  process.stderr.write(`added ${added} faces (${trueOnlyNew} true people with no old face)\n`);
  await call('B', `${added} faces added`, n, [], 'assigned');
  await call('C', 'the same, --recluster', n, ['--recluster'], 'reclustered');

  const [A, B, C] = calls as [CallResult, CallResult, CallResult];
  const build = cliBuild();
  const storeMiB = mib(du(storeFile).bytes + du(`${storeFile}-wal`).bytes);
  const summary = {
    clusteringBOverC: B.clusteringMs !== undefined && C.clusteringMs ? B.clusteringMs / C.clusteringMs : undefined,
    clusteringAOverC: A.clusteringMs !== undefined && C.clusteringMs ? A.clusteringMs / C.clusteringMs : undefined,
    wallBOverC: C.wallMs ? B.wallMs / C.wallMs : undefined,
  };
  const rows = calls.map((c) => [
    c.call, c.what, c.mode ?? '', c.faces ?? '', c.newFaces ?? '', c.assigned ?? '', c.newPeople ?? '', c.timedOut ? 'timeout' : String(c.exitCode),
    msCell(c.clusteringMs), ratio(c.clusteringMs, C.clusteringMs), msCell(c.timings?.graphMs), msCell(c.timings?.indexMs), msCell(c.timings?.clusterMs), msCell(c.otherMs),
    sec(c.timings?.embedMs), sec(c.timings?.reportsMs), sec(c.wallMs), ratio(c.wallMs, C.wallMs), c.peakRssMiB ?? '', c.load1.toFixed(1),
  ]);
  const table = formatTable(
    ['call', 'what', 'people mode', 'faces', 'new', 'assigned', 'new people', 'exit', 'clustering ms', '× C', 'graph/search ms', 'index ms', 'cluster ms', 'other ms', 'load s', 'reports s', 'wall s', 'wall × C', 'peak MiB', 'load avg'],
    rows,
  );
  const quality = formatTable(
    ['call', 'people', 'true', 'pairwise F', 'P', 'R', 'BCubed F', 'added → majority person', 'share', 'added of new true people → new person', 'share', 'added, no person', 'old faces changed vs A'],
    calls.map((c) => [
      c.call, c.people ?? '', c.call === 'A' ? trueOld : trueClusters, c.pairwiseF?.toFixed(4) ?? '', c.pairwiseP?.toFixed(4) ?? '', c.pairwiseR?.toFixed(4) ?? '', c.bcubedF?.toFixed(4) ?? '',
      c.added ? `${c.added.toMajority} / ${c.added.known}` : '', share(c.added?.toMajority, c.added?.known),
      c.added ? `${c.added.inNewPeople} / ${c.added.trueNew}` : '', share(c.added?.inNewPeople, c.added?.trueNew), c.added?.noPerson ?? '', c.oldChanged ?? '',
    ]),
  );
  const problems = calls.flatMap((c) => c.problems.map((p) => `call ${c.call}: ${p}`));
  const text = [
    `people-incremental: n0 = ${n0}, added = ${added} (new people: ${newShare}), dim ${dim}, seed ${seed}, spread ${spread}, ${perImage} face(s) per photo; ${os.availableParallelism()} cores; store ${storeMiB} MiB`,
    `CLI ${CLI} at ${build.commit?.slice(0, 7) ?? '?'}${build.uncommitted.length ? ` + uncommitted ${build.uncommitted.join(', ')}` : ''}; packages built ${new Date(build.newestBuildMs).toISOString()}`,
    '',
    table,
    '',
    quality,
    '',
    `clustering step (index + graph + cluster): B ${msCell(B.clusteringMs)} ms = ${summary.clusteringBOverC?.toFixed(4) ?? '?'} × C ` +
      `(${msCell(C.clusteringMs)} ms, the full re-cluster in this run)${summary.clusteringBOverC ? `; C / B = ${(1 / summary.clusteringBOverC).toFixed(1)}` : ''}`,
    'load = finding the photos, checking each against the store (all cached) and loading the faces; other = people bookkeeping and cluster statistics',
    ...calls.map((c) => `call ${c.call} images: ${c.images ?? '?'}`),
    ...(problems.length ? ['', 'PROBLEMS:', ...problems] : []),
    '',
  ].join('\n');
  mkdirSync(values.out, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const json = {
    suite: 'people-incremental', date: new Date().toISOString(), machine: machineInfo(), capabilities: await nativeCapabilities(), cli: CLI, build, options: values,
    n0, added, dim, seed, spread, newShare, perImage, trueClusters, trueOld, trueOnlyNew, generateMs, fillMs, storeMiB, summary, calls, problems,
  };
  writeFileSync(path.join(values.out, `people-incremental-${stamp}.json`), JSON.stringify(json, null, 2) + '\n');
  writeFileSync(path.join(values.out, `people-incremental-${stamp}.txt`), text);
  if (!values.keep) rmSync(root, { recursive: true, force: true });
  else process.stderr.write(`kept ${root}\n`);
  process.stdout.write(`${text}written to ${values.out}/people-incremental-${stamp}.{json,txt}\n`);
  if (problems.length) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
