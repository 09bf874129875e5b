/**
 * `FacialClustering`: the original module's API (`FacialClustering(pathlist, processor, out_path,
 * preprocess)` then `chinese_whispers(...)` / `DBSCAN(...)`), on @faceclust/embed and @faceclust/cluster.
 * Embedding happens once, lazily, into `<outPath>/faces.sqlite`; every clustering call reuses it, appends
 * a block to log.txt, writes its own xlsx and HTML report (and `saveas` folders), and returns its result.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { AUTO_HNSW_FROM, chineseWhispers, dbscan, type BackendOption, type ClusterResult, type HnswIndex, type Metric, type NeighborStrategy } from '@faceclust/cluster';
import { embedImages, findImages, FaceStore, IMAGE_EXTENSIONS, type EmbedEvent, type FaceSet } from '@faceclust/embed';
import { clusterStats } from './cluster-stats.js';
import { openHnswIndex } from './hnsw-index.js';
import {
  cwParams, dbscanParams, expectNumber, expectSaveAs, hnswSearchParams, neighborParams, paramTag, UsageError,
  type CwParams, type DbscanParams, type HnswCallOptions, type NeighborParams, type SaveAs,
} from './options.js';
import { callPaths, prepareOutDir, reserveCall, STORE_FILE } from './output.js';
import { writeFolders } from './reports/folders.js';
import { writeHtmlReport, writeReportIndex } from './reports/html.js';
import { appendLog, listSkipped, ms, type LogEntries } from './reports/log.js';
import { writeXlsx } from './reports/xlsx.js';
import { keptRows, qualityGate, spreadLabels, type QualityGateOptions } from './quality-gate.js';
import type { ClusteringResult, FaceResult, Method, NeighborsUsed, SkippedFile } from './result.js';

export interface FacialClusteringOptions {
  /**
   * Photos and folders (searched recursively) to cluster. Omit to cluster every face already embedded in
   * `outPath` (what `faceclust cluster` does after `faceclust embed`).
   */
  pathlist?: string | string[];
  /** Output folder, created if absent: store, log.txt, xlsx files, reports. Default `./faceclust-out`. */
  outPath?: string;
  /** Detect and align faces (default true); false for folders of ready face crops, one face each. */
  preprocess?: boolean;
  /** Embedding model: 'default' (built-in) or a path to an ArcFace-style .onnx file. */
  model?: string;
  /** Worker threads for embedding, default: every core. */
  threads?: number;
  /** Called once per photo while embedding. */
  onProgress?: (event: EmbedEvent) => void;
  /** Called as each later step starts (clustering, each report), with a line for people. */
  onStep?: (message: string) => void;
  /** Called while the reports are written: faces done over faces to do (each report counts every face). */
  onReportProgress?: (done: number, total: number) => void;
  /** Aborts embedding: photos in flight are finished and stored, the call rejects with an AbortError. */
  signal?: AbortSignal;
  /** Recorded in log.txt and the xlsx as the command that made each call; default a description of the API call. */
  command?: string;
}

/** What {@link FacialClustering.embed} returns. */
export interface EmbedSummary {
  /** Photos found (or, without a pathlist, recorded in the store). */
  images: number;
  /** Newly embedded, found already in the store, skipped (listed in `skipped`). */
  embedded: number;
  cached: number;
  skipped: SkippedFile[];
  faces: number;
  /** Photos read fine in which no face was found. */
  noFace: string[];
  model: string;
  storePath: string;
  ms: number;
}

/** Options of {@link FacialClustering.chineseWhispers}; every field has a default measured on lfw-dev. */
export interface ChineseWhispersCallOptions {
  threshold?: number;
  iterations?: number;
  seed?: number;
  minClusterSize?: number;
  metric?: Metric;
  backend?: BackendOption;
  /** true or 'faces': a folder per cluster with each face's crop; 'photos': with the whole photos. */
  saveas?: boolean | 'faces' | 'photos';
  /** Quality gate: faces whose quality (0–1, see quality-gate.ts) is below this go to no_class, with the reason. */
  minFaceQuality?: number;
  /** Quality gate: faces smaller than this (box height, photo pixels) go to no_class, with the reason. */
  minFaceSize?: number;
  /** Neighbour search: 'auto' (default: exact below 120,000 faces, hnsw from there), 'exact' or 'hnsw'. */
  neighbors?: NeighborStrategy;
  /** HNSW parameters; the index is kept in `<outPath>/hnsw/` and reused or extended by later calls. */
  hnsw?: HnswCallOptions;
}

/** Options of {@link FacialClustering.dbscan}. */
export interface DbscanCallOptions {
  eps?: number;
  minSamples?: number;
  metric?: Metric;
  backend?: BackendOption;
  saveas?: boolean | 'faces' | 'photos';
  /** See {@link ChineseWhispersCallOptions.minFaceQuality}. */
  minFaceQuality?: number;
  /** See {@link ChineseWhispersCallOptions.minFaceSize}. */
  minFaceSize?: number;
  /** See {@link ChineseWhispersCallOptions.neighbors}. */
  neighbors?: NeighborStrategy;
  /** See {@link ChineseWhispersCallOptions.hnsw}; k must be at least minSamples − 1. */
  hnsw?: HnswCallOptions;
}

/** Beside the store: `detect` or `crops`, the mode its faces were embedded in. */
const MODE_FILE = '.faceclust-mode';

/** Raised when `signal` aborts embedding; the store keeps every photo finished so far. */
export class AbortError extends Error {
  constructor(readonly embedded: number, readonly total: number, readonly outPath: string) {
    super(`Interrupted after ${embedded} of ${total} photos; they are saved in ${path.join(outPath, STORE_FILE)} and the next run resumes from there`);
    this.name = 'AbortError';
  }
}

/**
 * Finds, embeds and clusters the faces in a set of photos.
 * @example
 * const fc = new FacialClustering({ pathlist: ['photos/party'], outPath: 'party-out' });
 * const cw = await fc.chineseWhispers({ threshold: 1.0, saveas: true });
 * console.log(cw.clusters, 'people;', cw.outputs.xlsx);
 * const db = await fc.dbscan({ eps: 0.925, minSamples: 2 });
 * fc.close();
 */
export class FacialClustering {
  readonly outPath: string;
  readonly storePath: string;
  readonly pathlist: string[] | undefined;
  readonly preprocess: boolean;
  readonly model: string | undefined;
  private readonly options: FacialClusteringOptions;
  private embedding: Promise<EmbedSummary> | undefined;
  private store: FaceStore | undefined;
  private faceSet: FaceSet | undefined;
  private skipped: SkippedFile[] = [];
  private images = 0;
  private noFace: string[] = [];
  private embedLog: { when: Date; entries: LogEntries } | undefined;

  /** Checks the options and creates the output folder and its log.txt (opened for appending, never truncated). */
  constructor(options: FacialClusteringOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError(`Expected an options object but received ${options === null ? 'null' : typeof options}`);
    const { pathlist, preprocess = true, model, threads } = options;
    if (pathlist !== undefined) {
      const list = typeof pathlist === 'string' ? [pathlist] : pathlist;
      if (!Array.isArray(list) || list.some((p) => typeof p !== 'string' || p === '')) {
        throw new TypeError(`Expected a path or an array of paths for pathlist but received ${Array.isArray(list) ? 'an array with a non-path' : typeof pathlist}`);
      }
      if (list.length === 0) throw new RangeError('Expected at least one path in pathlist but received an empty array');
      this.pathlist = list.map((p) => path.resolve(p));
    }
    if (typeof preprocess !== 'boolean') throw new TypeError(`Expected a boolean for preprocess but received ${typeof preprocess}`);
    if (model !== undefined && (typeof model !== 'string' || model === '')) {
      throw new TypeError(`Expected 'default' or a path to an .onnx file for model but received ${JSON.stringify(model)}`);
    }
    if (threads !== undefined) expectNumber('threads', threads, { min: 1, max: 256, integer: true });
    this.preprocess = preprocess;
    this.model = model;
    this.options = options;
    this.outPath = prepareOutDir(options.outPath ?? 'faceclust-out');
    this.storePath = path.join(this.outPath, STORE_FILE);
    fs.closeSync(fs.openSync(path.join(this.outPath, 'log.txt'), 'a'));
  }

  /**
   * Finds the photos and embeds every face not yet in the store (once per instance; clustering calls do it
   * themselves when needed). Appends an `embed` block to log.txt.
   * @throws UsageError when an input is missing or holds no image; AbortError when `signal` aborts.
   */
  async embed(): Promise<EmbedSummary> {
    const summary = await this.prepare();
    this.flushEmbedLog();
    return summary;
  }

  /** Embeds once; the log entries wait for the call that needed them (one block per call). */
  private prepare(): Promise<EmbedSummary> {
    this.embedding ??= this.runEmbed().catch((err) => {
      this.embedding = undefined;
      if (!(err instanceof AbortError)) {
        appendLog(this.outPath, 'embed (failed)', new Date(), [
          ['command', this.options.command ?? 'FacialClustering.embed()'],
          ['inputs', this.pathlist?.join('\n') ?? '(every photo in the store)'],
          ['error', (err as Error)?.message ?? String(err)],
        ]);
      }
      throw err;
    });
    return this.embedding;
  }

  /**
   * The store keys photos by path and model only, so photos embedded as crops (`preprocess: false`) would
   * be reused as if detected, and the reverse: one output folder holds one mode, recorded beside the store.
   */
  private checkDetectMode(): void {
    const file = path.join(this.outPath, MODE_FILE);
    const mode = this.preprocess ? 'detect' : 'crops';
    const prev = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : undefined;
    if (prev && prev !== mode) {
      throw new UsageError(
        `${this.outPath} holds faces embedded ${prev === 'crops' ? 'as ready crops (--no-detect / preprocess: false)' : 'with face detection'}; ` +
          `${this.preprocess ? 'pass --no-detect (preprocess: false)' : 'drop --no-detect (preprocess: true)'} or use another output folder`,
      );
    }
    if (!prev) fs.writeFileSync(file, `${mode}\n`);
  }

  private flushEmbedLog(): void {
    if (!this.embedLog) return;
    appendLog(this.outPath, this.pathlist ? 'embed' : 'load store', this.embedLog.when, [
      ['command', this.options.command ?? 'FacialClustering.embed()'],
      ...this.embedLog.entries,
    ]);
    this.embedLog = undefined;
  }

  private async runEmbed(): Promise<EmbedSummary> {
    const start = performance.now();
    const when = new Date();
    const { onProgress, signal, threads } = this.options;
    const skipped: SkippedFile[] = [];
    let embedded = 0;
    let cached = 0;
    let files: string[] | undefined;
    if (this.pathlist) {
      const missing = this.pathlist.filter((p) => !fs.existsSync(p));
      if (missing.length) throw new UsageError(missing.map((p) => `Input not found: ${p}`).join('\n'));
      const found = await findImages(this.pathlist);
      skipped.push(...found.problems);
      if (found.files.length === 0) {
        throw new UsageError(`No images found in ${this.pathlist.join(', ')} (looked recursively for .${[...IMAGE_EXTENSIONS].join(', .')} files)`);
      }
      files = found.files;
      this.checkDetectMode();
      let done = 0;
      for await (const ev of embedImages(files, { storePath: this.storePath, model: this.model, detect: this.preprocess, threads, signal })) {
        done++;
        if (ev.status === 'done') embedded++;
        else if (ev.status === 'cached') cached++;
        else skipped.push({ path: ev.path, reason: ev.error ?? 'skipped' });
        onProgress?.(ev);
      }
      if (signal?.aborted) {
        appendLog(this.outPath, 'embed (interrupted)', when, [
          ['command', this.options.command ?? 'FacialClustering.embed()'],
          ['inputs', this.pathlist.join('\n')],
          ['images', `${done} of ${files.length} processed (${embedded} embedded now, ${cached} already in the store)`],
          ['store', this.storePath],
          ['resume', 'run the same command again: finished photos are not redone'],
        ]);
        throw new AbortError(done, files.length, this.outPath);
      }
    }
    if (!fs.existsSync(this.storePath)) {
      throw new UsageError(`No embedding store at ${this.storePath}: run \`faceclust embed <folders> --out ${this.outPath}\` first`);
    }
    this.store = FaceStore.open(this.storePath);
    const model = this.store.modelId(this.model);
    this.faceSet = this.store.loadFaces(model, files ? { files } : {});
    if (files) {
      this.images = files.length;
    } else {
      const rows = this.store.listImages({ model });
      if (rows.length === 0) throw new UsageError(`The store ${this.storePath} holds no photos embedded with model ${model}: run \`faceclust embed\` first`);
      this.images = rows.length;
      for (const r of rows) if (r.status !== 'done') skipped.push({ path: r.path, reason: r.error ?? r.status });
    }
    this.skipped = skipped;
    const summary: EmbedSummary = {
      images: this.images, embedded, cached, skipped, faces: this.faceSet.faces.length, noFace: [], model, storePath: this.storePath, ms: performance.now() - start,
    };
    const noFace = noFaceFiles(this.store, model, files);
    this.noFace = noFace;
    summary.noFace = noFace;
    this.embedLog = {
      when,
      entries: [
        ['inputs', this.pathlist?.join('\n') ?? '(every photo in the store)'],
        ['detect', this.preprocess ? 'yes (detect and align faces)' : 'no (inputs are face crops)'],
        ['model', model],
        ['images', files ? `${files.length} (${embedded} embedded now, ${cached} already in the store, ${skipped.length} skipped)` : this.images],
        ['no face found', noFace.length ? `${noFace.length}\n${noFace.slice(0, 50).join('\n')}${noFace.length > 50 ? '\n…' : ''}` : 0],
        ['faces', summary.faces],
        ['skipped', listSkipped(skipped)],
        ['embed time', ms(summary.ms)],
        ['store', this.storePath],
      ],
    };
    return summary;
  }

  /** Chinese Whispers over the faces (defaults: see README, "Defaults"). */
  async chineseWhispers(options: ChineseWhispersCallOptions = {}): Promise<ClusteringResult> {
    const p = cwParams(checkCallOptions(options));
    const saveas = expectSaveAs(options.saveas);
    const near = neighborParams(options);
    return this.cluster('cw', p, saveas, gateOptions(options), near, 1, (v, dim, hnsw) =>
      chineseWhispers(v, dim, { threshold: p.threshold, iterations: p.iterations, seed: p.seed, minClusterSize: p.minClusterSize, metric: p.metric, backend: p.backend, ...hnsw }),
    );
  }

  /** DBSCAN over the faces; its noise is `no_class` (cluster −1). */
  async dbscan(options: DbscanCallOptions = {}): Promise<ClusteringResult> {
    const p = dbscanParams(checkCallOptions(options));
    const saveas = expectSaveAs(options.saveas);
    const near = neighborParams(options, p.minSamples - 1);
    return this.cluster('dbscan', p, saveas, gateOptions(options), near, p.minSamples - 1, (v, dim, hnsw) =>
      dbscan(v, dim, { eps: p.eps, minSamples: p.minSamples, metric: p.metric, backend: p.backend, ...hnsw }),
    );
  }

  /** Closes the embedding store. */
  close(): void {
    this.store?.close();
    this.store = undefined;
  }

  private async cluster(
    method: Method,
    params: CwParams | DbscanParams,
    saveas: SaveAs,
    gateOpts: QualityGateOptions,
    near: NeighborParams,
    minK: number,
    run: (vectors: Float32Array, dim: number, hnsw: { neighbors: 'exact' } | { neighbors: 'hnsw'; hnsw: { index: HnswIndex; k: number; ef: number; maxNeighbors: number } }) => Promise<ClusterResult>,
  ): Promise<ClusteringResult> {
    await this.prepare();
    const embedded = this.embedLog?.entries ?? [];
    this.embedLog = undefined;
    const start = performance.now();
    const when = new Date();
    const set = this.faceSet!;
    const store = this.store!;
    const n = set.faces.length;
    const step = this.options.onStep ?? (() => {});
    step(`clustering ${n} faces (${method === 'cw' ? 'chinese whispers' : 'dbscan'})`);
    // the quality gate: rejected faces stay out of the graph (they would bridge people) and come back as no_class
    const gate = qualityGate(set.faces, gateOpts);
    const kept = gate.kept.length;
    const rows = gate.rejected ? keptRows(set.vectors, set.dim, gate.kept) : set.vectors;
    // hnsw: the index lives in <out>/hnsw/ and is reused or extended by later calls; the library's own
    // 'auto' would build a throwaway one, so the choice is made here (ts backend: no hnsw, as in the library)
    const useHnsw = kept > 0 && (near.neighbors === 'hnsw' || (near.neighbors === 'auto' && kept >= AUTO_HNSW_FROM && params.backend !== 'ts'));
    const search = hnswSearchParams(near, minK);
    let indexAction: string | undefined;
    let indexMs = 0;
    let res: ClusterResult;
    if (kept === 0) {
      res = { labels: new Int32Array(0), clusterCount: 0, noiseCount: 0, backend: 'ts', timings: { graphMs: 0, clusterMs: 0, totalMs: 0 }, graph: { edges: 0 } };
    } else if (useHnsw) {
      step(`preparing the hnsw index of ${kept} faces`);
      const t0 = performance.now();
      const ids = gate.rejected ? gate.kept.map((i) => set.faces[i]!.id) : set.faces.map((f) => f.id);
      const opened = await openHnswIndex(this.outPath, {
        vectors: rows, dim: set.dim, ids, model: set.model, metric: params.metric, M: near.M, efConstruction: near.efConstruction, persist: !gate.rejected,
      });
      indexMs = performance.now() - t0;
      indexAction = opened.action;
      res = await run(opened.index.vectors, set.dim, { neighbors: 'hnsw', hnsw: { index: opened.index, ...search } });
      if (opened.order) {
        // the index's row order (old faces, then added ones) back to the store's
        const labels = new Int32Array(kept);
        opened.order.forEach((row, r) => (labels[row] = res.labels[r]!));
        res = { ...res, labels };
      }
    } else {
      res = await run(rows, set.dim, { neighbors: 'exact' });
    }
    const neighbors: NeighborsUsed = {
      requested: near.neighbors,
      used: res.neighbors ?? 'exact',
      ...(res.neighbors === 'hnsw' ? { hnsw: { M: near.M, efConstruction: near.efConstruction, ...search }, index: indexAction } : {}),
    };
    if (gate.rejected) res = { ...res, labels: spreadLabels(res.labels, gate.kept, n), noiseCount: res.noiseCount + gate.rejected };
    const { distances, clusters } = clusterStats(set.vectors, set.dim, res.labels, res.clusterCount, params.metric);
    const faces: FaceResult[] = set.faces.map((f, i) => ({
      faceId: f.id, file: f.file, face: f.faceIndex, box: f.box, score: f.score, cluster: res.labels[i], distance: Number.isNaN(distances[i]) ? null : distances[i],
      ...(gate.reasons[i] ? { rejected: gate.reasons[i]! } : {}),
    }));
    const call = reserveCall(this.outPath);
    const names = callPaths(call, paramTag(method, params));
    const out = (name: string) => path.join(this.outPath, name);
    const result: ClusteringResult = {
      call, method, params, gate: { ...gateOpts, rejected: gate.rejected }, model: set.model, images: this.images, clusters: res.clusterCount, noise: res.noiseCount, faces, labels: res.labels,
      summaries: clusters, skipped: this.skipped, noFace: this.noFace, backend: res.backend, neighbors,
      timings: { indexMs, graphMs: res.timings.graphMs, clusterMs: res.timings.clusterMs, reportsMs: 0, totalMs: 0 },
      outputs: { log: out('log.txt'), xlsx: out(names.xlsx), report: path.join(out(names.report), 'report.html'), reportIndex: out('report.html') },
      saveas,
    };
    if (saveas) result.outputs.saveas = out(names.saveas);
    const command = this.options.command ?? `FacialClustering.${method === 'cw' ? 'chineseWhispers' : 'dbscan'}(${JSON.stringify({ ...params, saveas })})`;
    const crops = (id: number) => store.getCrop(id);
    const reportsStart = performance.now();
    const reportTotal = n * (saveas ? 3 : 2);
    let reportDone = 0;
    const onReport = this.options.onReportProgress;
    const tick = (k = 1) => {
      reportDone += k;
      onReport?.(reportDone, reportTotal);
    };
    step(`writing ${names.xlsx}`);
    await writeXlsx(result.outputs.xlsx, result, crops, { command, created: when }, tick);
    step(`writing ${names.report}/report.html and contact sheets`);
    await writeHtmlReport(out(names.report), result, crops, `faceclust call ${call}: ${method === 'cw' ? 'Chinese Whispers' : 'DBSCAN'}`, tick);
    writeReportIndex(this.outPath);
    if (saveas) step(`writing ${names.saveas}/`);
    if (saveas) await writeFolders(result.outputs.saveas!, result, saveas, crops, tick);
    result.timings.reportsMs = performance.now() - reportsStart;
    result.timings.totalMs = performance.now() - start;
    const sizes = clusters.filter((c) => c.cluster >= 0).map((c) => c.size);
    const from = new Map(embedded);
    appendLog(this.outPath, `call ${String(call).padStart(3, '0')}: ${method === 'cw' ? 'chinese whispers' : 'dbscan'}`, when, [
      ['command', command],
      ['inputs', from.get('inputs') ?? '(every photo in the store)'],
      ['detect', from.get('detect')],
      ['model', set.model],
      ['images', from.get('images') ?? this.images],
      ['no face found', from.get('no face found')],
      ['faces', n],
      ['method', method === 'cw' ? 'chinese whispers' : 'dbscan'],
      ['parameters', Object.entries({ ...params, saveas: saveas || 'no' }).map(([k, v]) => `${k}=${v}`).join(' ')],
      ['backend', res.backend],
      ['neighbors', describeNeighbors(neighbors, kept)],
      ['clusters', `${res.clusterCount}${sizes.length ? ` (sizes ${sizes.slice(0, 20).join(', ')}${sizes.length > 20 ? ', …' : ''})` : ''}`],
      ['no_class', `${res.noiseCount}${gate.rejected ? ` (${gate.rejected} rejected by the quality gate, reasons in the xlsx)` : ''}`],
      ['quality gate', gateOpts.minFaceQuality === undefined && gateOpts.minFaceSize === undefined ? 'off' : `${Object.entries(gateOpts).map(([k, v]) => `${k}=${v}`).join(' ')}: ${gate.rejected} of ${n} faces rejected`],
      ['graph edges', res.graph.edges],
      ['skipped', listSkipped(this.skipped)],
      ['timings', `${from.has('embed time') ? `embed ${from.get('embed time')}, ` : ''}${indexMs ? `hnsw index ${ms(indexMs)}, ` : ''}graph ${ms(res.timings.graphMs)}, cluster ${ms(res.timings.clusterMs)}, reports ${ms(result.timings.reportsMs)}, total ${ms(result.timings.totalMs)}`],
      ['store', this.storePath],
      ['outputs', [result.outputs.xlsx, result.outputs.report, result.outputs.saveas].filter(Boolean).join('\n')],
    ] satisfies LogEntries);
    return result;
  }
}

/** The log's `neighbors` line: the path that ran, why, and for hnsw its parameters and what became of the index. */
export function describeNeighbors(n: NeighborsUsed, faces: number): string {
  const why = n.requested === 'auto' ? ` (auto: ${faces} faces ${faces >= AUTO_HNSW_FROM ? '>=' : '<'} ${AUTO_HNSW_FROM})` : '';
  if (n.used === 'exact' || !n.hnsw) return `exact${why}`;
  const h = n.hnsw;
  return `hnsw${why}: M=${h.M} efConstruction=${h.efConstruction} k=${h.k} ef=${h.ef} maxNeighbors=${h.maxNeighbors}${n.index ? `\nindex ${n.index}` : ''}`;
}

/** The quality-gate thresholds of a call's options (validated by qualityGate). */
function gateOptions(o: { minFaceQuality?: number; minFaceSize?: number }): QualityGateOptions {
  qualityGate([], o); // validates now, before any embedding work
  return { ...(o.minFaceQuality === undefined ? {} : { minFaceQuality: o.minFaceQuality }), ...(o.minFaceSize === undefined ? {} : { minFaceSize: o.minFaceSize }) };
}

function checkCallOptions<T extends object>(options: T): T {
  if (typeof options !== 'object' || options === null) throw new TypeError(`Expected an options object but received ${options === null ? 'null' : typeof options}`);
  return options;
}

/** Photos read fine in which no face was found (of `files`, or of the whole store). */
function noFaceFiles(store: FaceStore, model: string, files: string[] | undefined): string[] {
  const wanted = files && new Set(files);
  return store.listImages({ model }).filter((r) => r.status === 'done' && r.faces === 0 && (!wanted || wanted.has(r.path))).map((r) => r.path);
}
