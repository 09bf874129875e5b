/**
 * `faceclust serve` at scale (issue 13): with n faces in the store, how long the review page's first screen
 * (the grid, and a person page) takes to load, against the static report's pages in the same run and the
 * same browser, and how long the JSON API's requests take.
 * `pnpm --filter @faceclust/benchmarks bench:serve-scale` (after `pnpm build`).
 *
 *   --n 100000                faces in the folder (env N); ~20 faces per person, Zipf sizes (generator.ts)
 *   --dim 512 --seed 42       generator (env DIM, SEED)
 *   --spread 0.8              the generator's σ (env SPREAD); 0.8 keeps people apart at the default threshold
 *   --crops 64                distinct crops in the store (crops.ts: 112×112 PNGs of ~16 KB, as real crops are),
 *                             face row r gets crop r mod 64
 *   --repeats 5               cold and warm loads of each page, and of each API request (env REPEATS)
 *   --viewport 1280x800       the browser's viewport (what "first screen" means)
 *   --grid-crops 60           crops fetched after the people list in the API's "screen" rows (6 at a time, as a browser)
 *   --page-timeout-s 180      a page not complete by then counts as failed (the static report of 100,000 faces takes ~40 s)
 *   --slow-s 10 --slow-repeats 2   a page whose first cold load takes longer than --slow-s is loaded only
 *                             --slow-repeats times cold and warm (the static call report at 100,000 faces)
 *   --timeout-min 30          the `faceclust run` making the folder is killed after this
 *   --folder DIR              reuse the folder of an earlier run (it printed "kept DIR" with --keep) instead of building one
 *   --tmp DIR --keep          where the photos, store and outputs go (default os.tmpdir()), and keep them
 *   --out DIR                 default benchmarks/results
 *
 * Steps:
 *   1. n faces generated and written to a store behind empty photo files (cli-child.ts fillStore), then
 *      `faceclust run <photos> --out O --json -q` clusters them, adopts the clusters as the folder's people
 *      and writes the static report (O/report.html and O/report-<call>/report.html).
 *   2. `node bin.js serve --out O` as a child process; its first stdout line is the URL with the token.
 *   3. chromium (/usr/bin/chromium or env CHROMIUM_BIN) through playwright-core loads each page `repeats`
 *      times cold (a new browser context each time: empty HTTP cache, no cookies) and warm (one context,
 *      one unmeasured load first, then a new page per load, so the HTTP cache is warm but every load is a
 *      full document load). A page's time is from its navigation start to its first screen being complete
 *      (serve-measure.ts firstScreenScript: DOM parsed and every <img> in the viewport loaded, or
 *      <body data-ready>), measured inside the page; also when the viewport's images were first all
 *      there while the page was still being parsed ("shown while parsing": a long static page shows its
 *      top long before DOMContentLoaded). Slow pages (see --slow-s) are loaded fewer times.
 *        review: `/` (the grid), `/#/people/<id>` for the largest person and a mid-sized one
 *        static: O/report.html (the index), and the call's report page (report.html, page-<k>.html) holding
 *                the largest person's cluster (its top) and the mid-sized person's, at #cluster-<n>
 *      The API is timed with fetch (header X-Faceclust-Token): cold = the first request of each kind on a
 *      freshly started server (one server per repeat), warm = `repeats` more on one server.
 * Prints a table and writes benchmarks/results/serve-scale-<date>.{json,txt}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { benchArgs } from './args.js';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { CLI, cliBuild, du, fillStore, intFlag, nativeCapabilities, readCliJson, rssMiB, runCli, sec, type ChildRun } from './cli-child.js';
import { realisticCrops } from './crops.js';
import { generateClustered } from './generator.js';
import { machineInfo } from './machine.js';
import { firstScreenScript, pageRequest, parseServeUrl, pickPeople, sectionIn, summarize, type PageRequest, type PersonSize, type RawRequest, type ServeUrl, type Summary } from './serve-measure.js';
import { formatTable, mib } from './table.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** One page load. */
interface PageLoad {
  /** Navigation start → first screen complete, measured in the page. */
  ms?: number;
  /** Navigation start → the viewport's images first all loaded, DOM parsed or not (a long page shows them while parsing). */
  earlyMs?: number;
  /** Navigation start → DOMContentLoaded end. */
  dclMs?: number;
  /** From before `goto` to the first screen seen complete, from outside (includes playwright's round trips). */
  wallMs: number;
  /** Navigation start → the last response before the first screen was complete (the rest is the page's own work). */
  lastResponseMs?: number;
  /** Checks the watcher made until then, and their total time on the page's main thread. */
  checks?: number;
  checkMs?: number;
  /** Images in the viewport when complete. */
  inView?: number;
  status?: number;
  contentType?: string;
  /** The requests finished when the first screen was complete (the document's included). */
  requests: PageRequest[];
  error?: string;
}

interface PageSeries {
  kind: 'review' | 'static';
  name: string;
  url: string;
  expectImages: boolean;
  /** The static page's #anchor (its element must be in view for `earlyMs`). */
  anchorId?: string;
  cold: PageLoad[];
  warm: PageLoad[];
  /** Load average (1 min) when its loads started: the machine is shared. */
  load1?: number;
  /** Why the page was not measured (no front end yet). */
  skipped?: string;
}

/** One API request. */
interface ApiCall {
  ms: number;
  status: number;
  bytes: number;
}

const MS = (s: Summary | undefined, k: 'median' | 'max') => (s ? Math.round(s[k]) : '');
const ratioText = (a: Summary | undefined, b: Summary | undefined) => (a && b && b.median > 0 ? (a.median / b.median).toFixed(3) : '');

/** The chromium to drive: env CHROMIUM_BIN, else Debian's. */
function chromiumBin(): string {
  const bin = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
  if (!existsSync(bin)) throw new Error(`No chromium at ${bin}: install Debian's (apt-get install chromium) or set CHROMIUM_BIN`);
  return bin;
}

/** A running `faceclust serve`. */
interface Server extends ServeUrl {
  child: ChildProcess;
  /** Spawn → URL line. */
  startMs: number;
  stderr: string[];
}

/** Starts `node bin.js serve --out <out>` and resolves with its URL once it printed it. */
function startServer(out: string, timeoutMs = 60_000): Promise<Server> {
  const start = performance.now();
  const child = spawn(process.execPath, [CLI, 'serve', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) if (line.trim()) stderr.push(line.trim());
    if (stderr.length > 200) stderr.splice(0, stderr.length - 200);
  });
  return new Promise((resolve, reject) => {
    let buffered = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`faceclust serve --out ${out}: ${why}${stderr.length ? `\n${stderr.slice(-20).join('\n')}` : ''}`));
    };
    const timer = setTimeout(() => fail(`no URL on stdout after ${timeoutMs / 1000} s`), timeoutMs);
    child.stdout!.setEncoding('utf8');
    const onData = (chunk: string) => {
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      child.stdout!.off('data', onData);
      child.stdout!.resume(); // later output is not ours to read, but must not fill the pipe
      clearTimeout(timer);
      try {
        resolve({ ...parseServeUrl(buffered.slice(0, nl)), child, startMs: performance.now() - start, stderr });
      } catch (err) {
        fail((err as Error).message);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code, signal) => fail(`exited (${code ?? signal}) before printing its URL`));
  });
}

/** SIGTERM, then SIGKILL after 10 s; resolves with how it ended. */
function stopServer(s: Server): Promise<string> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return Promise.resolve(`had already exited (${s.child.exitCode ?? s.child.signalCode})`);
  return new Promise((resolve) => {
    const killer = setTimeout(() => s.child.kill('SIGKILL'), 10_000);
    s.child.removeAllListeners('exit');
    s.child.once('exit', (code, signal) => {
      clearTimeout(killer);
      resolve(signal ? `signal ${signal}` : `exit ${code}`);
    });
    s.child.kill('SIGTERM');
  });
}

/** One GET to the server with the token header: time to the whole body. */
async function get(s: Server, pathAndQuery: string, headers: Record<string, string> = {}): Promise<ApiCall & { body: Buffer; etag?: string }> {
  const t = performance.now();
  const res = await fetch(`${s.origin}${pathAndQuery}`, { headers: { 'X-Faceclust-Token': s.token, ...headers } });
  const body = Buffer.from(await res.arrayBuffer());
  return { ms: performance.now() - t, status: res.status, bytes: body.length, body, etag: res.headers.get('etag') ?? undefined };
}

/** `items` through `fn`, at most `concurrency` at a time (a browser's six connections per host). */
async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/** The API requests measured, in the order one round makes them. */
const API_NAMES = [
  'GET /api/people?limit=100',
  'GET /api/people/<largest>?limit=200',
  'GET /api/people/<mid>?limit=200',
  'GET /api/faces/<id>/crop',
  'GET /api/faces/<id>/crop, If-None-Match → 304',
  'grid screen: people?limit=100 + <k> crops',
  'person screen: people/<largest>?limit=200 + <k> crops',
] as const;
type ApiName = (typeof API_NAMES)[number];

/** Face ids in an API answer: a people list's cover faces, or a person's faces (the shapes of server.ts; anything else gives none). */
function faceIdsOf(json: unknown): number[] {
  const j = json as { people?: { face?: unknown }[]; faces?: { faceId?: unknown; id?: unknown }[] };
  const ids = j.people ? j.people.map((p) => p.face) : j.faces ? j.faces.map((f) => f.faceId ?? f.id) : [];
  return ids.filter((id): id is number => Number.isSafeInteger(id));
}

/** One round of every API request; `problems` gets what answered unexpectedly. */
async function apiRound(s: Server, largest: number, mid: number, gridCrops: number, problems: Set<string>): Promise<Record<ApiName, ApiCall>> {
  const r = {} as Record<ApiName, ApiCall>;
  const expect = (name: ApiName, call: ApiCall, status: number) => {
    r[name] = { ms: call.ms, status: call.status, bytes: call.bytes };
    if (call.status !== status) problems.add(`${name}: HTTP ${call.status}, expected ${status}`);
  };
  const parse = (body: Buffer): unknown => {
    try {
      return JSON.parse(body.toString('utf8'));
    } catch {
      return {};
    }
  };
  const people = await get(s, '/api/people?limit=100');
  expect('GET /api/people?limit=100', people, 200);
  const person = await get(s, `/api/people/${largest}?limit=200`);
  expect('GET /api/people/<largest>?limit=200', person, 200);
  expect('GET /api/people/<mid>?limit=200', await get(s, `/api/people/${mid}?limit=200`), 200);
  const personFaces = faceIdsOf(parse(person.body));
  const coverFaces = faceIdsOf(parse(people.body));
  if (!personFaces.length) problems.add(`GET /api/people/${largest}: no face ids in the answer (the shape changed?)`);
  if (!coverFaces.length) problems.add('GET /api/people: no cover face ids in the answer (the shape changed?)');
  const faceId = personFaces[0] ?? coverFaces[0];
  if (faceId !== undefined) {
    const crop = await get(s, `/api/faces/${faceId}/crop`);
    expect('GET /api/faces/<id>/crop', crop, 200);
    if (!crop.etag) problems.add('GET /api/faces/<id>/crop: no ETag');
    expect('GET /api/faces/<id>/crop, If-None-Match → 304', await get(s, `/api/faces/${faceId}/crop`, crop.etag ? { 'If-None-Match': crop.etag } : {}), 304);
  }
  // a first screen as a page would load it: the JSON, then its crops six at a time
  const screen = async (name: ApiName, first: typeof people, ids: number[]) => {
    const t = performance.now();
    let bytes = first.bytes;
    let bad = 0;
    await pool(ids.slice(0, gridCrops), 6, async (id) => {
      const c = await get(s, `/api/faces/${id}/crop`);
      bytes += c.bytes;
      if (c.status !== 200) bad++;
    });
    r[name] = { ms: first.ms + (performance.now() - t), status: bad ? 500 : first.status, bytes };
    if (bad) problems.add(`${name}: ${bad} crops failed`);
  };
  await screen('grid screen: people?limit=100 + <k> crops', await get(s, '/api/people?limit=100'), coverFaces);
  await screen('person screen: people/<largest>?limit=200 + <k> crops', await get(s, `/api/people/${largest}?limit=200`), personFaces);
  return r;
}

/** Loads `url` in a new page of `context` and waits for its first screen (see firstScreenScript). */
async function loadPage(context: BrowserContext, series: PageSeries, timeoutMs: number): Promise<PageLoad> {
  const { url } = series;
  const page = await context.newPage();
  await page.addInitScript({ content: firstScreenScript(series.expectImages, series.anchorId) });
  const t = performance.now();
  const load: PageLoad = { wallMs: 0, requests: [] };
  try {
    const res = await page.goto(url, { waitUntil: 'commit', timeout: timeoutMs });
    load.status = res?.status();
    load.contentType = res?.headers()['content-type'];
    // functions, not strings: the review page's CSP (script-src 'self') forbids the eval a string predicate needs
    const done = await page.waitForFunction(() => (globalThis as { __firstScreen?: unknown }).__firstScreen, undefined, { timeout: Math.max(1, timeoutMs - (performance.now() - t)), polling: 20 });
    load.wallMs = performance.now() - t;
    const fs = (await done.jsonValue()) as { ms: number; earlyMs?: number; checks: number; checkMs: number; inView: number; dclMs?: number; resources: RawRequest[] };
    const requests = fs.resources.map(pageRequest);
    Object.assign(load, { ms: fs.ms, earlyMs: fs.earlyMs, checks: fs.checks, checkMs: fs.checkMs, inView: fs.inView, dclMs: fs.dclMs, lastResponseMs: Math.max(0, ...requests.map((r) => r.endMs)), requests });
  } catch (err) {
    load.wallMs = performance.now() - t;
    let state = '';
    try {
      state = JSON.stringify(await page.evaluate(() => (globalThis as { __firstScreenState?: unknown }).__firstScreenState ?? null));
    } catch {
      /* the page is gone */
    }
    load.error = `${(err as Error).message.split('\n')[0]}; last check ${state}`;
  } finally {
    await page.close();
  }
  return load;
}

/**
 * Cold and warm loads of one page (see the header): `repeats` of each, or `slow.repeats` when the first cold
 * load took longer than `slow.ms`. A page whose first load fails is not loaded again.
 */
async function measurePage(browser: Browser, series: PageSeries, repeats: number, slow: { ms: number; repeats: number }, viewport: { width: number; height: number }, timeoutMs: number): Promise<void> {
  let n = repeats;
  for (let i = 0; i < n; i++) {
    const context = await browser.newContext({ viewport });
    try {
      const load = await loadPage(context, series, timeoutMs);
      series.cold.push(load);
      if (i === 0 && load.error) return;
      if (i === 0 && load.ms! > slow.ms) n = Math.min(n, slow.repeats);
    } finally {
      await context.close();
    }
  }
  const context = await browser.newContext({ viewport });
  try {
    await loadPage(context, series, timeoutMs); // fills the HTTP cache
    for (let i = 0; i < n; i++) series.warm.push(await loadPage(context, series, timeoutMs));
  } finally {
    await context.close();
  }
}

/** The first failed load's error of a series, or undefined. */
const errorOf = (s: PageSeries) => [...s.cold, ...s.warm].find((l) => l.error)?.error;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: benchArgs(),
    options: {
      n: { type: 'string', default: process.env.N ?? '100000' },
      dim: { type: 'string', default: process.env.DIM ?? '512' },
      seed: { type: 'string', default: process.env.SEED ?? '42' },
      spread: { type: 'string', default: process.env.SPREAD ?? '0.8' },
      crops: { type: 'string', default: '64' },
      repeats: { type: 'string', default: process.env.REPEATS ?? '5' },
      viewport: { type: 'string', default: '1280x800' },
      'grid-crops': { type: 'string', default: '60' },
      'page-timeout-s': { type: 'string', default: '180' },
      'slow-s': { type: 'string', default: '10' },
      'slow-repeats': { type: 'string', default: '2' },
      'timeout-min': { type: 'string', default: '30' },
      folder: { type: 'string' },
      tmp: { type: 'string', default: os.tmpdir() },
      keep: { type: 'boolean', default: false },
      out: { type: 'string', default: path.resolve(here, '..', 'results') },
    },
  });
  if (!existsSync(CLI)) throw new Error(`${CLI} not found: run \`pnpm build\` first`);
  const int = (name: keyof typeof values, min: number) => intFlag(values, name, min);
  const n = int('n', 2), dim = int('dim', 2), seed = int('seed', 0), cropCount = int('crops', 1), repeats = int('repeats', 1), gridCrops = int('grid-crops', 0);
  const spread = Number(values.spread);
  if (!(spread > 0)) throw new RangeError(`Expected a number > 0 for --spread but received ${JSON.stringify(values.spread)}`);
  const vp = /^(\d+)x(\d+)$/.exec(values.viewport);
  if (!vp) throw new RangeError(`Expected --viewport as WIDTHxHEIGHT (e.g. 1280x800) but received ${JSON.stringify(values.viewport)}`);
  const viewport = { width: Number(vp[1]), height: Number(vp[2]) };
  const pageTimeoutMs = Number(values['page-timeout-s']) * 1000;
  const slow = { ms: Number(values['slow-s']) * 1000, repeats: int('slow-repeats', 1) };
  if (!(pageTimeoutMs > 0) || !(slow.ms > 0)) throw new RangeError(`Expected numbers > 0 for --page-timeout-s and --slow-s but received ${values['page-timeout-s']} and ${values['slow-s']}`);
  const executablePath = chromiumBin();

  // 1. the folder: store, people, static report
  const reuse = values.folder !== undefined;
  const root = reuse ? path.resolve(values.folder!) : path.join(values.tmp, `faceclust-serve-scale-${n}-${process.pid}`);
  const out = path.join(root, 'out');
  const photos = path.join(root, 'photos');
  const storeFile = path.join(out, 'faces.sqlite');
  const runJson = path.join(root, 'run.json');
  let generateMs: number | undefined, fillMs: number | undefined, run: ChildRun | undefined;
  if (reuse) {
    if (!existsSync(runJson) || !existsSync(storeFile)) throw new Error(`--folder ${root}: no run.json and out/faces.sqlite there (a folder kept by --keep is one)`);
    process.stderr.write(`reusing ${root}\n`);
  } else {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    let t = performance.now();
    const set = generateClustered({ n, dim, seed, spread });
    generateMs = performance.now() - t;
    t = performance.now();
    const crops = await realisticCrops(cropCount, seed);
    await fillStore(storeFile, photos, set.vectors, { dim, perImage: 1, crops });
    fillMs = performance.now() - t;
    process.stderr.write(`${n} faces (${set.clusters} true people), generated in ${sec(generateMs)} s, stored in ${sec(fillMs)} s; crops ${Math.round(crops.reduce((a, c) => a + c.length, 0) / crops.length)} B on average\n`);
    const args = ['run', photos, '--out', out, '--json', '-q'];
    process.stderr.write(`faceclust ${args.join(' ')}\n`);
    run = await runCli(args, runJson, Number(values['timeout-min']) * 60_000);
    process.stderr.write(`run: exit ${run.exitCode} after ${sec(run.wallMs)} s, peak ${run.peakRssMiB} MiB\n`);
    if (run.exitCode !== 0) throw new Error(`faceclust run failed (${run.timedOut ? 'timed out' : `exit ${run.exitCode}`}):\n${run.stderrTail ?? ''}`);
  }
  const j = readCliJson(runJson);
  if (!j) throw new Error(`${runJson}: no --json from faceclust run`);
  const faces = j.faces.length;
  // the folder's people and the call's cluster of each, from the run's --json (the people were adopted from its clusters)
  const personCount = new Map<number, number>();
  const clusterOf = new Map<number, number>();
  for (const f of j.faces) {
    if (f.person === null) continue;
    personCount.set(f.person, (personCount.get(f.person) ?? 0) + 1);
    if (!clusterOf.has(f.person)) clusterOf.set(f.person, f.cluster);
  }
  const picked = pickPeople([...personCount].map(([id, count]): PersonSize => ({ id, count })));
  if (!picked) throw new Error('faceclust run made no people');
  const { largest, mid } = picked;
  const reportDir = readdirSync(out).filter((d) => d.startsWith('report-') && existsSync(path.join(out, d, 'report.html'))).sort().at(-1);
  if (!reportDir || !existsSync(path.join(out, 'report.html'))) throw new Error(`${out}: no static report (report.html and report-<call>/report.html)`);
  const staticBytes = du(path.join(out, reportDir)).bytes;
  const callHtmlMiB = mib(statSync(path.join(out, reportDir, 'report.html')).size);
  // the page of the call's report holding a cluster's section (the report may be split into pages), and whether it shows faces there
  const callPages = readdirSync(path.join(out, reportDir)).filter((f) => f.endsWith('.html')).sort((a, b) => (a === 'report.html' ? -1 : b === 'report.html' ? 1 : a.localeCompare(b, 'en', { numeric: true })));
  const staticPage = (cluster: number) => {
    const id = `cluster-${cluster}`;
    for (const file of callPages) {
      const at = sectionIn(readFileSync(path.join(out, reportDir, file), 'utf8'), id);
      if (at) return { file: `${reportDir}/${file}`, url: `${pathToFileURL(path.join(out, reportDir, file)).href}#${id}`, id, faces: at.faces };
    }
    throw new Error(`${out}/${reportDir}: no page has the section #${id}`);
  };
  const largestPage = staticPage(clusterOf.get(largest.id)!), midPage = staticPage(clusterOf.get(mid.id)!);
  process.stderr.write(
    `${faces} faces, ${personCount.size} people; largest person ${largest.id} (${largest.count} faces, ${largestPage.file}#${largestPage.id} showing ${largestPage.faces}), ` +
      `mid ${mid.id} (${mid.count} faces, ${midPage.file}#${midPage.id} showing ${midPage.faces}); ${callPages.length} report page(s), the first ${callHtmlMiB} MiB\n`,
  );

  const problems = new Set<string>();
  const build = cliBuild();

  // 2 + API: cold = the first round on a fresh server, one server per repeat
  const api: Record<ApiName, { cold: ApiCall[]; warm: ApiCall[] }> = Object.fromEntries(API_NAMES.map((k) => [k, { cold: [], warm: [] }])) as never;
  const serverStartMs: number[] = [];
  const serverRss: { afterStartMiB?: number; peakMiB?: number }[] = [];
  const stops: string[] = [];
  process.stderr.write(`API: ${repeats} cold rounds (a fresh server each) [load ${os.loadavg()[0]!.toFixed(2)}]\n`);
  for (let i = 0; i < repeats; i++) {
    const s = await startServer(out);
    serverStartMs.push(s.startMs);
    const afterStartMiB = rssMiB(s.child.pid, 'VmRSS');
    try {
      const r = await apiRound(s, largest.id, mid.id, gridCrops, problems);
      for (const k of API_NAMES) if (r[k]) api[k].cold.push(r[k]);
    } finally {
      serverRss.push({ afterStartMiB, peakMiB: rssMiB(s.child.pid, 'VmHWM') });
      stops.push(await stopServer(s));
    }
  }
  const server = await startServer(out);
  let browser: Browser | undefined;
  const pages: PageSeries[] = [];
  try {
    process.stderr.write(`API: ${repeats} warm rounds on ${server.origin} [load ${os.loadavg()[0]!.toFixed(2)}]\n`);
    await apiRound(server, largest.id, mid.id, gridCrops, problems);
    for (let i = 0; i < repeats; i++) {
      const r = await apiRound(server, largest.id, mid.id, gridCrops, problems);
      for (const k of API_NAMES) if (r[k]) api[k].warm.push(r[k]);
    }

    // 3. the pages
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
    const review = (name: string, hash: string): PageSeries => ({ kind: 'review', name, url: `${server.url}${hash}`, expectImages: true, cold: [], warm: [] });
    pages.push(
      review('review grid  /', ''),
      review(`review person, largest  #/people/${largest.id} (${largest.count} faces)`, `#/people/${largest.id}`),
      review(`review person, mid  #/people/${mid.id} (${mid.count} faces)`, `#/people/${mid.id}`),
      { kind: 'static', name: 'static index  report.html', url: pathToFileURL(path.join(out, 'report.html')).href, expectImages: false, cold: [], warm: [] },
      ...[['largest', largestPage], ['mid', midPage]].map(([which, pg]): PageSeries => {
        const { file, url, id, faces: shown } = pg as typeof largestPage;
        // a capped report shows no face of a small cluster: then its first screen is the page's text and whatever tiles are in view
        return { kind: 'static', name: `static call report, ${which}  ${file}#${id}${shown ? '' : ' (no faces shown)'}`, url, anchorId: id, expectImages: shown > 0, cold: [], warm: [] };
      }),
    );
    // the review page may not exist yet (its front end is being written): one look at `/` says so
    const probe = await get(server, '/');
    const isHtml = probe.status === 200 && /<html|<!doctype/i.test(probe.body.subarray(0, 2000).toString('utf8'));
    if (!isHtml) {
      const why = `no review page yet: GET / → ${probe.status} ${JSON.stringify(probe.body.subarray(0, 80).toString('utf8'))}`;
      for (const p of pages) if (p.kind === 'review') p.skipped = why;
      problems.add(why);
    }
    for (const p of pages) {
      if (p.skipped) continue;
      process.stderr.write(`${p.name}: ${repeats} cold + ${repeats} warm [load ${os.loadavg()[0]!.toFixed(2)}]\n`);
      p.load1 = os.loadavg()[0];
      await measurePage(browser, p, repeats, slow, viewport, pageTimeoutMs);
      const err = errorOf(p);
      if (err) problems.add(`${p.name}: ${err}`);
    }
  } finally {
    await browser?.close();
    serverRss.push({ afterStartMiB: undefined, peakMiB: rssMiB(server.child.pid, 'VmHWM') });
    stops.push(await stopServer(server));
  }
  if (server.stderr.some((l) => /error/i.test(l))) problems.add(`server stderr: ${server.stderr.filter((l) => /error/i.test(l)).slice(0, 3).join(' | ')}`);
  for (const s of stops) if (!/^(exit 0|signal SIGTERM)$/.test(s)) problems.add(`a server stopped with ${s} after SIGTERM`);

  // tables
  const sum = (loads: PageLoad[]) => summarize(loads.filter((l) => !l.error).map((l) => l.ms!));
  const pageRows = pages.map((p) => {
    const cold = sum(p.cold), warm = sum(p.warm);
    const coldReq = p.cold.filter((l) => !l.error).map((l) => l.requests);
    const warmReq = p.warm.filter((l) => !l.error).map((l) => l.requests);
    const slowest = coldReq.flat().sort((a, b) => b.ms - a.ms)[0];
    return {
      p, cold, warm,
      early: summarize(p.cold.filter((l) => !l.error && l.earlyMs !== undefined).map((l) => l.earlyMs!)),
      failed: [...p.cold, ...p.warm].filter((l) => l.error).length,
      dcl: summarize(p.cold.filter((l) => !l.error && l.dclMs !== undefined).map((l) => l.dclMs!)),
      lastResponse: summarize(p.cold.filter((l) => !l.error && l.lastResponseMs !== undefined).map((l) => l.lastResponseMs!)),
      // when the page had its JSON (every /api request but crops and photos): the rest is rendering and images
      jsonDone: summarize(p.cold.filter((l) => !l.error).map((l) => Math.max(...l.requests.filter((r) => r.route.startsWith('/api/') && !/\/(crop|photo)$/.test(r.route)).map((r) => r.endMs)))),
      inView: p.cold.find((l) => !l.error)?.inView,
      requests: coldReq.length ? summarize(coldReq.map((r) => r.length))?.median : undefined,
      warmRequests: warmReq.length ? summarize(warmReq.map((r) => r.length))?.median : undefined,
      warmCached: warmReq.length ? summarize(warmReq.map((r) => r.filter((q) => q.cached).length))?.median : undefined,
      slowest,
    };
  });
  const pageTable = formatTable(
    ['page', 'loads', 'cold median ms', 'cold max', 'warm median ms', 'warm max', 'cold DCL ms', 'cold JSON done ms', 'cold last response ms', 'cold shown while parsing ms', 'imgs in view', 'requests cold', 'warm (cached)', 'slowest request (cold)'],
    pageRows.map((r) => [
      r.p.name, r.p.skipped ? 'skipped' : `${r.cold?.n ?? 0}+${r.warm?.n ?? 0}${r.failed ? `, ${r.failed} FAILED` : ''}`,
      MS(r.cold, 'median'), MS(r.cold, 'max'), MS(r.warm, 'median'), MS(r.warm, 'max'), MS(r.dcl, 'median'), MS(r.jsonDone, 'median'), MS(r.lastResponse, 'median'), MS(r.early, 'median'),
      r.inView ?? '', r.requests ?? '', r.warmRequests === undefined ? '' : `${r.warmRequests} (${r.warmCached})`, r.slowest ? `${r.slowest.route} ${Math.round(r.slowest.ms)} ms` : '',
    ]),
  );
  const apiSummary = API_NAMES.map((k) => ({
    name: k.replace('<k>', String(gridCrops)), cold: summarize(api[k].cold.map((c) => c.ms)), warm: summarize(api[k].warm.map((c) => c.ms)),
    status: [...new Set([...api[k].cold, ...api[k].warm].map((c) => c.status))].join(','), bytes: api[k].warm[0]?.bytes ?? api[k].cold[0]?.bytes,
  }));
  const apiTable = formatTable(
    ['API request', 'cold median ms', 'cold max', 'warm median ms', 'warm max', 'status', 'bytes'],
    apiSummary.map((a) => [a.name, MS(a.cold, 'median'), MS(a.cold, 'max'), MS(a.warm, 'median'), MS(a.warm, 'max'), a.status, a.bytes ?? '']),
  );
  // every request the review pages made before their first screen, by route
  const byRoute = new Map<string, { ms: number[]; queued: number[]; cached: number; statuses: Set<number> }>();
  for (const p of pages) {
    if (p.kind !== 'review') continue;
    for (const l of [...p.cold, ...p.warm]) {
      for (const r of l.requests) {
        let b = byRoute.get(r.route);
        if (!b) byRoute.set(r.route, (b = { ms: [], queued: [], cached: 0, statuses: new Set() }));
        if (r.cached) b.cached++;
        else {
          b.ms.push(r.ms);
          b.queued.push(r.queuedMs);
        }
        if (r.status) b.statuses.add(r.status);
      }
    }
  }
  const routes = [...byRoute].map(([route, b]) => ({ route, fromServer: summarize(b.ms), queued: summarize(b.queued), cached: b.cached, statuses: [...b.statuses] })).sort((a, b) => (b.fromServer?.max ?? 0) - (a.fromServer?.max ?? 0));
  const routeTable = routes.length
    ? formatTable(
        ['review pages: requests by route (cold + warm loads)', 'from server', 'sent → end median ms', 'max ms', 'queued in browser median ms', 'max', 'from HTTP cache', 'statuses'],
        routes.map((r) => [r.route, r.fromServer?.n ?? 0, MS(r.fromServer, 'median'), MS(r.fromServer, 'max'), MS(r.queued, 'median'), MS(r.queued, 'max'), r.cached, r.statuses.join(',')]),
      )
    : '(no review page requests measured)';
  const [grid, personL, personM, , staticL, staticM] = pageRows;
  const ratios = {
    gridOverStaticCallPage: { cold: ratioText(grid!.cold, staticL!.cold), warm: ratioText(grid!.warm, staticL!.warm) },
    gridOverStaticIndex: { cold: ratioText(grid!.cold, pageRows[3]!.cold), warm: ratioText(grid!.warm, pageRows[3]!.warm) },
    personLargestOverStatic: { cold: ratioText(personL!.cold, staticL!.cold), warm: ratioText(personL!.warm, staticL!.warm) },
    personMidOverStatic: { cold: ratioText(personM!.cold, staticM!.cold), warm: ratioText(personM!.warm, staticM!.warm) },
    // against what the static page shows while it is still being parsed (no DOMContentLoaded wait): kinder to a long static page
    gridOverStaticShown: ratioText(grid!.cold, staticL!.early),
    personLargestOverStaticShown: ratioText(personL!.cold, staticL!.early),
    personMidOverStaticShown: ratioText(personM!.cold, staticM!.early),
  };
  const goal = (r: (typeof pageRows)[number]) =>
    r.p.skipped || !r.cold ? 'not measured' : `median ${r.cold.median < 300 ? 'yes' : 'NO'}, max ${r.cold.max < 300 ? 'yes' : 'NO'}`;
  const storeMiB = mib(du(storeFile).bytes + du(`${storeFile}-wal`).bytes);
  const text = [
    `serve-scale: ${faces} faces, ${personCount.size} people (largest ${largest.count}, mid ${mid.count} faces), dim ${dim}, seed ${seed}, ${cropCount} distinct crops; ` +
      `store ${storeMiB} MiB, static report ${mib(staticBytes)} MiB (${callPages.length} call page(s), the first ${callHtmlMiB} MiB of HTML); ${os.availableParallelism()} cores; chromium ${browser?.version() ?? '?'}, viewport ${values.viewport}`,
    `CLI ${CLI} at ${build.commit?.slice(0, 7) ?? '?'}${build.uncommitted.length ? ` + uncommitted ${build.uncommitted.join(', ')}` : ''}; packages built ${new Date(build.newestBuildMs).toISOString()}`,
    `server start (spawn → URL) median ${Math.round(summarize(serverStartMs)?.median ?? NaN)} ms; RSS after start ${serverRss[0]?.afterStartMiB ?? '?'} MiB, peak ${Math.max(...serverRss.map((r) => r.peakMiB ?? 0))} MiB` +
      `${run ? `; folder made by faceclust run in ${sec(run.wallMs)} s (store filled in ${sec(fillMs)} s)` : ''}`,
    '',
    `pages (${repeats} loads each; ms from navigation start to the first screen complete; cold = new browser context, warm = HTTP cache filled):`,
    pageTable,
    `the first-screen watcher's own time on the page's main thread: at most ${Math.round(Math.max(0, ...pages.flatMap((p) => [...p.cold, ...p.warm].map((l) => l.checkMs ?? 0))))} ms in a load; ` +
      `load average (1 min) as each page's loads started: ${pages.map((p) => p.load1?.toFixed(1) ?? '-').join(', ')}; file:// images do not appear in Resource Timing (static pages count 1 request)`,
    '',
    `review / static (medians): grid / static call page ${ratios.gridOverStaticCallPage.cold} cold, ${ratios.gridOverStaticCallPage.warm} warm; grid / static index ${ratios.gridOverStaticIndex.cold} cold, ${ratios.gridOverStaticIndex.warm} warm; ` +
      `largest person ${ratios.personLargestOverStatic.cold} cold, ${ratios.personLargestOverStatic.warm} warm; mid person ${ratios.personMidOverStatic.cold} cold, ${ratios.personMidOverStatic.warm} warm`,
    `cold, against what the static page shows while still parsing: grid / call page ${ratios.gridOverStaticShown}, largest person ${ratios.personLargestOverStaticShown}, mid person ${ratios.personMidOverStaticShown}`,
    `under 300 ms cold: grid ${goal(grid!)}, largest person ${goal(personL!)}, mid person ${goal(personM!)}`,
    '',
    `API (fetch with X-Faceclust-Token; cold = first request on a fresh server, ${repeats} servers; warm = ${repeats} more on one):`,
    apiTable,
    '',
    routeTable,
    ...(problems.size ? ['', 'PROBLEMS:', ...problems] : []),
    '',
  ].join('\n');
  mkdirSync(values.out, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const json = {
    suite: 'serve-scale', date: new Date().toISOString(), machine: machineInfo(), capabilities: await nativeCapabilities(), cli: CLI, build, options: values,
    chromium: { executablePath, version: browser?.version() }, viewport, n: faces, dim, seed, spread, cropCount, repeats, gridCrops,
    people: personCount.size, largest: { ...largest, cluster: clusterOf.get(largest.id) }, mid: { ...mid, cluster: clusterOf.get(mid.id) },
    generateMs, fillMs, run, storeMiB, staticReportMiB: mib(staticBytes), callHtmlMiB, callPages: callPages.length, staticLargest: largestPage, staticMid: midPage,
    server: { startMs: serverStartMs, rss: serverRss, stops, stderrTail: server.stderr.slice(-20) },
    pages: pageRows.map((r) => ({ ...r.p, summary: { cold: r.cold, warm: r.warm, coldDcl: r.dcl } })),
    api: Object.fromEntries(API_NAMES.map((k, i) => [k, { ...api[k], summary: { cold: apiSummary[i]!.cold, warm: apiSummary[i]!.warm } }])),
    reviewRoutes: routes, ratios, problems: [...problems],
  };
  writeFileSync(path.join(values.out, `serve-scale-${stamp}.json`), JSON.stringify(json, null, 2) + '\n');
  writeFileSync(path.join(values.out, `serve-scale-${stamp}.txt`), text);
  if (!values.keep && !reuse) rmSync(root, { recursive: true, force: true });
  else process.stderr.write(`kept ${root} (reuse it with --folder ${root})\n`);
  process.stdout.write(`${text}written to ${values.out}/serve-scale-${stamp}.{json,txt}\n`);
  if (problems.size) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
