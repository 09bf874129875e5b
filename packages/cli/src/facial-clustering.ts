/**
 * `FacialClustering`: the original module's API (`FacialClustering(pathlist, processor, out_path,
 * preprocess)` then `chinese_whispers(...)` / `DBSCAN(...)`), on @faceclust/embed and @faceclust/cluster.
 * Embedding happens once, lazily, into `<outPath>/faces.sqlite`; every clustering call reuses it, appends
 * a block to log.txt, writes its own xlsx and HTML report (and `saveas` folders), and returns its result.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  CHINESE_WHISPERS_PARAMS, chineseWhispers, DBSCAN_PARAMS, dbscan, hnswFolderStore, hnswSearchParams, METRICS,
  backendName, renumberLabels, type BackendOption, type ClusterResult, type Constraints, type MetricParams, type MetricSpace, type NeighborOptions, type NeighborStrategy,
} from '@faceclust/cluster';
import { embedImages, findImages, FaceStore, IMAGE_EXTENSIONS, type Correction, type EmbedEvent, type FaceSet } from '@faceclust/embed';
import { acquireWriteLock } from './lock.js';
import { assignNewFaces, type AssignOutcome } from './assign-new.js';
import { rowConstraints } from './constraints.js';
import { merge, move, namePerson, notFace, reject, separate, undo, type FaceRef } from './corrections.js';
import { exportPeople, type ExportOptions, type ExportSummary } from './export.js';
import { currentPeople, listPeople, planAdoption, proposePeople, type PersonEntry } from './people.js';
import { suggest, type SuggestOptions, type Suggestions } from './suggest.js';
import { clusterStats } from './cluster-stats.js';
import { clusterMetric, facesSpace, metricChoice, metricLabel, storedRows, type MetricChoice, type MetricName } from './metric.js';
import {
  cwParams, dbscanParams, describeParams, expectDistance, expectNumber, expectSaveAs, neighborParams, paramTag, UsageError,
  type CwParams, type DbscanParams, type HnswCallOptions, type NeighborParams, type SaveAs,
} from './options.js';
import { callPaths, HNSW_DIR, outputFolderMark, prepareOutDir, reserveCall, STORE_FILE } from './output.js';
import { writeFolders } from './reports/folders.js';
import { writeHtmlReport, writeReportIndex } from './reports/html.js';
import { appendLog, count, listSkipped, ms, type LogEntries } from './reports/log.js';
import { writeXlsx } from './reports/xlsx.js';
import { keptRows, qualityGate, spreadLabels, type GateResult, type QualityGateOptions } from './quality-gate.js';
import { toRecord, type ClusteringResult, type FaceResult, type Method, type NeighborsUsed, type PeopleMode, type PeopleOutcome, type SkippedFile } from './result.js';

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
  /** Embedding model: 'default' (built-in), 'default-int8' (its int8 quantisation, opt-in) or a path to an ArcFace-style .onnx file. */
  model?: string;
  /** Worker threads for embedding, default: every core. */
  threads?: number;
  /** Called once per photo while embedding. */
  onProgress?: (event: EmbedEvent) => void;
  /** Called as each later step starts (clustering, each report), with a line for people. */
  onStep?: (message: string) => void;
  /** Called while the reports are written: faces done over faces to do (each report counts every face). */
  onReportProgress?: (done: number, total: number) => void;
  /**
   * Aborts embedding (photos in flight are finished and stored; rejects with an AbortError) or a clustering
   * call (it stops within a second, keeps none of its outputs, logs itself as interrupted; rejects with a
   * CallAbortedError). The store is never left half-written.
   */
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
  /** Photos found again under a new path (moved, renamed or copied): their faces were reused, not embedded again. */
  moved: number;
  /** Photos embedded earlier that are no longer on disk: their faces are left out (`faceclust prune` forgets them). */
  missing: string[];
  /** Hidden files and folders (names starting with a dot) that were not searched. */
  hidden: string[];
  /** Folders not searched because they are faceclust output folders (this call's `outPath` among them). */
  skippedFolders: SkippedFile[];
  /** The lines above for a person (also in log.txt and every clustering result). */
  notices: string[];
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
  /**
   * After the passes, join clusters whose closest faces are at most this far apart (<= threshold; 0: off).
   * Default: 0.9 × the threshold (0.81 × for sqeuclidean, cosine and correlation), see README "Defaults".
   */
  mergeRadius?: number;
  /**
   * Distance: 'euclidean' (default), 'sqeuclidean', 'cosine', 'manhattan', 'chebyshev', or 'minkowski',
   * 'correlation', 'braycurtis', 'canberra', 'seuclidean', 'mahalanobis' (see the cluster README's metric
   * table; the default threshold follows the metric, and mahalanobis has none).
   */
  metric?: MetricName;
  /** The metric's parameters: minkowski's `p` (default 2) and weights `w`, seuclidean's `V`, mahalanobis' `VI` (default: from the faces). */
  metricParams?: MetricParams;
  backend?: BackendOption;
  /** true or 'faces': a folder per cluster with each face's crop; 'photos': with the whole photos. */
  saveas?: boolean | 'faces' | 'photos';
  /** Quality gate: faces whose quality (0–1, see quality-gate.ts) is below this go to no_class, with the reason. */
  minFaceQuality?: number;
  /** Quality gate: faces smaller than this (box height, photo pixels) go to no_class, with the reason. */
  minFaceSize?: number;
  /** Neighbour search: 'auto' (default: hnsw from 120,000 faces or when the exact graph would be too large, estimated from a sample; else exact), 'exact' or 'hnsw'. */
  neighbors?: NeighborStrategy;
  /** HNSW parameters; the index is kept in `<outPath>/hnsw/` and reused or extended by later calls. */
  hnsw?: HnswCallOptions;
  /** Faces of one photo may be one person (mirrors, collages); default false: they are kept apart. */
  allowSamePhoto?: boolean;
  /**
   * With a pathlist, on a folder that has people: cluster every face again (corrections honoured, ids and
   * names kept by matching) instead of assigning only the new faces. Default false.
   */
  recluster?: boolean;
}

/** Options of {@link FacialClustering.dbscan}. */
export interface DbscanCallOptions {
  eps?: number;
  minSamples?: number;
  /** See {@link ChineseWhispersCallOptions.metric}. */
  metric?: MetricName;
  /** See {@link ChineseWhispersCallOptions.metricParams}. */
  metricParams?: MetricParams;
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
  /** See {@link ChineseWhispersCallOptions.allowSamePhoto}. */
  allowSamePhoto?: boolean;
  /** See {@link ChineseWhispersCallOptions.recluster}. */
  recluster?: boolean;
}

/** The store's meta key for `detect` or `crops`, the mode its faces were embedded in. */
const MODE_KEY = 'detect_mode';
/** Where that mode was kept before it moved into the store (still read). */
const LEGACY_MODE_FILE = '.faceclust-mode';

/** One clustering call as the methods describe it: validated parameters and the library call that clusters. */
interface CallSpec {
  method: Method;
  params: CwParams | DbscanParams;
  /** The call's metric: the faces are put in its space once (metric.ts), and every step computes there. */
  metric: MetricChoice;
  saveas: SaveAs;
  gateOpts: QualityGateOptions;
  near: NeighborParams;
  /** dbscan's minSamples − 1 (its core faces need that many neighbours); 1 for cw. */
  minK: number;
  /** The distance within which faces join: cw's threshold, dbscan's eps. */
  radius: number;
  people: PeopleOptions;
  /** Clusters rows of the metric's space (`space.rows` or some of them) with its metric. */
  run: (vectors: Float32Array, dim: number, space: MetricSpace, neighbors: NeighborOptions, constraints?: Constraints) => Promise<ClusterResult>;
}

/** How a call treats the folder's people (validated). */
interface PeopleOptions {
  allowSamePhoto: boolean;
  recluster: boolean;
}

/** Options of {@link FacialClustering.reclusterPerson}: a method and its parameters. */
export type ReclusterOptions =
  | (Pick<ChineseWhispersCallOptions, 'threshold' | 'iterations' | 'seed' | 'metric' | 'metricParams' | 'backend' | 'allowSamePhoto'> & { method?: 'cw' })
  | (Pick<DbscanCallOptions, 'eps' | 'minSamples' | 'metric' | 'metricParams' | 'backend' | 'allowSamePhoto'> & { method: 'dbscan' });

/** What {@link FacialClustering.reclusterPerson} did. */
export interface ReclusterResult {
  /** The correction it was stored as (`undo` reverses it); null when the person stayed whole (nothing stored). */
  correction: number | null;
  person: number;
  /** The person (first) and the new people, with their face counts. */
  people: { id: number; faces: number }[];
  /** Faces that went to nobody (DBSCAN's noise). */
  noise: number;
  summary: string;
}

/** Raised when `signal` aborts a clustering call: its incomplete outputs are gone, its log block says so. */
export class CallAbortedError extends Error {
  constructor(readonly call: number, readonly outPath: string) {
    super(`Call ${String(call).padStart(3, '0')} was interrupted: its incomplete outputs were removed and the store in ${outPath} is as it was`);
    this.name = 'CallAbortedError';
  }
}

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
  private missing: string[] = [];
  private notices: string[] = [];
  private embedMs = 0;
  private embedLog: { when: Date; entries: LogEntries } | undefined;

  /**
   * Checks the options and creates the output folder, or accepts it when it is empty or one faceclust made:
   * a folder holding other files is refused (UsageError), so nothing of the user's is ever overwritten.
   */
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
      throw new TypeError(`Expected 'default', 'default-int8' or a path to an .onnx file for model but received ${JSON.stringify(model)}`);
    }
    if (threads !== undefined) expectNumber('threads', threads, { min: 1, max: 256, integer: true });
    this.preprocess = preprocess;
    this.model = model;
    this.options = options;
    this.outPath = prepareOutDir(options.outPath ?? 'faceclust-out');
    this.storePath = path.join(this.outPath, STORE_FILE);
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
    this.embedding ??= this.runEmbed().catch((thrown) => {
      this.embedding = undefined;
      const err = this.explainStoreError(thrown);
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
   * be reused as if detected, and the reverse: one output folder holds one mode, recorded in its store.
   */
  private checkDetectMode(store: FaceStore): void {
    const mode = this.preprocess ? 'detect' : 'crops';
    const legacy = path.join(this.outPath, LEGACY_MODE_FILE);
    const prev = store.getMeta(MODE_KEY) ?? (fs.existsSync(legacy) ? fs.readFileSync(legacy, 'utf8').trim() : undefined);
    if (prev && prev !== mode) {
      throw new UsageError(
        `${this.outPath} holds faces embedded ${prev === 'crops' ? 'as ready crops (--no-detect / preprocess: false)' : 'with face detection'}; ` +
          `${this.preprocess ? 'pass --no-detect (preprocess: false)' : 'drop --no-detect (preprocess: true)'} or use another output folder`,
      );
    }
    if (store.getMeta(MODE_KEY) === undefined) store.setMeta(MODE_KEY, mode);
  }

  /**
   * A damaged store: one message that names it and says what to do, instead of SQLite's words alone.
   * Other errors pass through.
   */
  private explainStoreError(err: unknown): unknown {
    if ((err as { code?: string })?.code !== 'ERR_STORE_CORRUPT') return err;
    const photos = this.pathlist ? `the ${count(this.images, 'photo')} under ${this.pathlist.join(', ')}` : 'your photos';
    return new UsageError(
      `${(err as Error).message} Move it away (mv ${JSON.stringify(this.storePath)} ${JSON.stringify(`${this.storePath}.damaged`)}) and run again: ` +
        `${photos} will be embedded anew.`,
    );
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
    const notices: string[] = [];
    let embedded = 0;
    let cached = 0;
    let moved = 0;
    let files: string[] | undefined;
    let hidden: string[] = [];
    let skippedFolders: SkippedFile[] = [];
    if (this.pathlist) {
      const missingInputs = this.pathlist.filter((p) => !fs.existsSync(p));
      if (missingInputs.length) throw new UsageError(missingInputs.map((p) => `Input not found: ${p}`).join('\n'));
      const found = await findImages(this.pathlist, { skipFolder: outputFolderSkipper(this.outPath) });
      skipped.push(...found.problems);
      hidden = found.hidden;
      skippedFolders = found.skippedFolders;
      for (const f of skippedFolders) notices.push(`not searched: ${f.path} (${f.reason})`);
      if (hidden.length) notices.push(`${describeHidden(hidden)} skipped (names starting with a dot; listed in log.txt)`);
      if (found.files.length === 0) {
        throw new UsageError(`No images found in ${this.pathlist.join(', ')} (looked recursively for .${[...IMAGE_EXTENSIONS].join(', .')} files)`);
      }
      files = found.files;
      this.images = files.length;
      const release = acquireWriteLock(this.outPath, this.options.command ?? 'FacialClustering.embed()');
      try {
        const store = FaceStore.open(this.storePath);
        try {
          this.checkDetectMode(store);
        } finally {
          store.close();
        }
        let done = 0;
        for await (const ev of embedImages(files, { storePath: this.storePath, model: this.model, detect: this.preprocess, threads, signal })) {
          done++;
          if (ev.status === 'done') embedded++;
          else if (ev.status === 'cached') {
            cached++;
            if (ev.reused) moved++;
          } else skipped.push({ path: ev.path, reason: ev.error ?? 'skipped' });
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
      } finally {
        release();
      }
    }
    if (!fs.existsSync(this.storePath)) {
      throw new UsageError(`No embedding store at ${this.storePath}: run \`faceclust embed <folders> --out ${this.outPath}\` first`);
    }
    this.store = FaceStore.open(this.storePath);
    const model = this.store.modelId(this.model);
    const rows = this.store.listImages({ model });
    // photos embedded earlier that are gone: under the inputs (run), or anywhere (cluster); their faces stay out
    const found = files && new Set(files);
    const underInputs = (file: string) => !this.pathlist || this.pathlist.some((p) => file === p || file.startsWith(p.endsWith(path.sep) ? p : p + path.sep));
    const missing = rows.filter((r) => !found?.has(r.path) && underInputs(r.path) && !fs.existsSync(r.path)).map((r) => r.path);
    if (missing.length) {
      notices.push(
        `${count(missing.length, 'photo')} embedded earlier ${missing.length === 1 ? 'is' : 'are'} no longer found; their faces are left out — ` +
          `\`faceclust prune --out ${JSON.stringify(this.outPath)}\` forgets them`,
      );
    }
    if (!files) {
      if (rows.length === 0) throw new UsageError(`The store ${this.storePath} holds no photos embedded with model ${model}: run \`faceclust embed\` first`);
      const gone = new Set(missing);
      files = rows.filter((r) => !gone.has(r.path)).map((r) => r.path);
      this.images = files.length;
      for (const r of rows) if (r.status !== 'done' && !gone.has(r.path)) skipped.push({ path: r.path, reason: r.error ?? r.status });
    }
    // no landmarks: nothing a call writes shows them
    this.faceSet = this.store.loadFaces(model, { files, landmarks: false });
    this.skipped = skipped;
    this.missing = missing;
    this.notices = notices;
    const noFace = noFaceFiles(rows, files);
    this.noFace = noFace;
    this.embedMs = performance.now() - start;
    const summary: EmbedSummary = {
      images: this.images, embedded, cached, skipped, faces: this.faceSet.faces.length, noFace, moved, missing, hidden, skippedFolders, notices,
      model, storePath: this.storePath, ms: this.embedMs,
    };
    this.embedLog = {
      when,
      entries: [
        ['inputs', this.pathlist?.join('\n') ?? '(every photo in the store)'],
        ['detect', this.preprocess ? 'yes (detect and align faces)' : 'no (inputs are face crops)'],
        ['model', model],
        ['images', this.pathlist ? `${this.images} (${embedded} embedded now, ${cached} already in the store${moved ? ` (${moved} of them moved, renamed or copied)` : ''}, ${skipped.length} skipped)` : this.images],
        ['no face found', listPaths(noFace)],
        ['no longer found', missing.length ? `${listPaths(missing)}\n(\`faceclust prune\` forgets them)` : undefined],
        ['hidden, skipped', hidden.length ? listPaths(hidden) : undefined],
        ['folders skipped', skippedFolders.length ? skippedFolders.map((f) => `${f.path}: ${f.reason}`).join('\n') : undefined],
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
    return this.cluster(this.callSpec('cw', options));
  }

  /** DBSCAN over the faces; its noise is `no_class` (cluster −1). */
  async dbscan(options: DbscanCallOptions = {}): Promise<ClusteringResult> {
    return this.cluster(this.callSpec('dbscan', options));
  }

  /** A call's validated parameters and the library call that clusters, for both methods: one mapping of options to the library. */
  private callSpec(method: Method, options: ChineseWhispersCallOptions | DbscanCallOptions): CallSpec {
    const signal = this.options.signal;
    const saveas = expectSaveAs(checkCallOptions(options).saveas);
    const metric = metricChoice(options);
    const common = { saveas, gateOpts: gateOptions(options), people: peopleOptions(options), metric };
    const withConstraints = (constraints?: Constraints) => (constraints ? { constraints } : {});
    if (method === 'cw') {
      const p = cwParams(options as ChineseWhispersCallOptions);
      return {
        method, params: p, ...common, near: neighborParams(options, 1, metric), minK: 1, radius: p.threshold,
        run: (v, dim, space, neighbors, constraints) => chineseWhispers(v, dim, {
          threshold: p.threshold, iterations: p.iterations, seed: p.seed, minClusterSize: p.minClusterSize, mergeRadius: p.mergeRadius, ...clusterMetric(space), backend: p.backend, signal, ...neighbors, ...withConstraints(constraints),
        }),
      };
    }
    const p = dbscanParams(options as DbscanCallOptions);
    return {
      method, params: p, ...common, near: neighborParams(options, p.minSamples - 1, metric), minK: p.minSamples - 1, radius: p.eps,
      run: (v, dim, space, neighbors, constraints) => dbscan(v, dim, { eps: p.eps, minSamples: p.minSamples, ...clusterMetric(space), backend: p.backend, signal, ...neighbors, ...withConstraints(constraints) }),
    };
  }

  /**
   * Clusters one person's faces alone (their constraints honoured, exact neighbours) to split a wrong merge:
   * the part holding the person's confirmed faces (or the largest) keeps the person, id and name; each other
   * part becomes a new person; DBSCAN's noise belongs to nobody; faces of photos not loaded (no longer on disk,
   * or outside `pathlist`) stay with the person. Every other person is left as it is. Stored as a correction
   * (`undo` puts the person back) unless nothing changed (`correction` null). `method` defaults to 'cw'; the
   * options are the method's parameters and `allowSamePhoto`.
   */
  async reclusterPerson(person: number, options: ReclusterOptions = {}): Promise<ReclusterResult> {
    if (typeof person !== 'number' || !Number.isInteger(person)) throw new TypeError(`Expected an integer person id for person but received ${JSON.stringify(person)}`);
    if (person < 1) throw new RangeError(`Expected a person id >= 1 for person but received ${person}`);
    const { method = 'cw', ...opts } = checkCallOptions(options) as ReclusterOptions & { method?: unknown };
    if (method !== 'cw' && method !== 'dbscan') throw new RangeError(`Expected method to be one of 'cw', 'dbscan' but received ${JSON.stringify(method)}`);
    const ignored = Object.keys(opts).filter((k) => ['saveas', 'minFaceQuality', 'minFaceSize', 'neighbors', 'hnsw', 'recluster', 'minClusterSize'].includes(k));
    if (ignored.length) throw new TypeError(`Expected no ${ignored.join(', ')} for reclusterPerson (it clusters one person's faces, exactly, and writes no reports) but received ${ignored.join(', ')}`);
    const spec = this.callSpec(method, opts);
    await this.prepare();
    this.flushEmbedLog();
    const set = this.faceSet!;
    const store = this.store!;
    const command = this.options.command ?? `FacialClustering.reclusterPerson(${person}, ${JSON.stringify(options)})`;
    const release = acquireWriteLock(this.outPath, command);
    try {
      const entry = store.people.list().find((x) => x.id === person);
      if (!entry) throw new RangeError(`No person ${person} in ${this.storePath} (faceclust people lists them)`);
      const stored = store.people.constraints();
      const notFaces = new Set(stored.notFaces);
      const mine = new Set(entry.faceIds);
      const rows = set.faces.flatMap((f, i) => (mine.has(f.id) && !notFaces.has(f.id) ? [i] : []));
      const faces = rows.map((i) => set.faces[i]!);
      const start = performance.now();
      let labels: Int32Array = new Int32Array(rows.length);
      if (rows.length > 1) {
        const c = rowConstraints(faces, stored, { allowSamePhoto: spec.people.allowSamePhoto });
        const constrained = c.mustLink.length + c.cannotLink.length > 0 ? { mustLink: c.mustLink, cannotLink: c.cannotLink } : undefined;
        const space = facesSpace(set.vectors, set.dim, spec.metric);
        labels = (await spec.run(keptRows(space.rows, set.dim, Int32Array.from(rows)), set.dim, space, { neighbors: 'exact' }, constrained)).labels;
      }
      // the part with the confirmed faces keeps the person (constraints keep them in one part), else the largest (label 0)
      const confirmed = new Set(entry.confirmed);
      const keeper = labels.find((l, i) => l >= 0 && confirmed.has(faces[i]!.id)) ?? 0;
      const partCount = labels.reduce((m, l) => Math.max(m, l + 1), 0);
      const order = [keeper, ...Array.from({ length: partCount }, (_, l) => l).filter((l) => l !== keeper)];
      const parts = order.map((l) => faces.filter((_, i) => labels[i] === l).map((f) => f.id)).filter((part, k) => k === 0 || part.length > 0);
      const nobody = faces.filter((_, i) => labels[i]! < 0).map((f) => f.id);
      if (parts.length === 1 && nobody.length === 0) {
        return { correction: null, person, people: [{ id: person, faces: entry.faceIds.length }], noise: 0, summary: `person ${person} stays whole: its ${count(rows.length, 'face')} form one cluster at these parameters (nothing stored)` };
      }
      const c = store.people.split(person, parts, { nobody, command });
      appendLog(this.outPath, `correction ${c.id}: recluster person ${person}`, new Date(), [
        ['command', command],
        ['method', method === 'cw' ? 'chinese whispers' : 'dbscan'],
        ['parameters', describeParams(spec.params, ['minClusterSize'])],
        ['did', c.summary],
        ['time', ms(performance.now() - start)],
      ]);
      const stayed = entry.faceIds.length - rows.length; // photos not loaded: their faces stay
      return { correction: c.id, person, people: c.people.map((id, k) => ({ id, faces: parts[k]!.length + (k === 0 ? stayed : 0) })), noise: nobody.length, summary: c.summary };
    } finally {
      release();
    }
  }

  /** The folder's people, largest first, each with its faces (see `faceclust people`). */
  people(): PersonEntry[] {
    return listPeople(this.outPath);
  }

  /** Merges people into one, for good (see {@link merge}). */
  merge(people: number[], opts: { into?: number } = {}): Correction {
    return merge(this.outPath, people, { ...opts, command: this.options.command ?? `FacialClustering.merge(${JSON.stringify(people)})` });
  }

  /** Two people are different people, for good (see {@link separate}). */
  separate(a: number, b: number): Correction {
    return separate(this.outPath, a, b, { command: this.options.command ?? `FacialClustering.separate(${a}, ${b})` });
  }

  /** Moves faces to a person or a new one (see {@link move}). */
  move(faces: FaceRef[], to: number | 'new'): Correction {
    return move(this.outPath, faces, to, { command: this.options.command ?? `FacialClustering.move(${JSON.stringify(faces)}, ${JSON.stringify(to)})` });
  }

  /** "Not this person" (see {@link reject}). */
  reject(faces: FaceRef[], from: number): Correction {
    return reject(this.outPath, faces, from, { command: this.options.command ?? `FacialClustering.reject(${JSON.stringify(faces)}, ${from})` });
  }

  /** Marks detections that are not faces (see {@link notFace}). */
  notFace(faces: FaceRef[]): Correction {
    return notFace(this.outPath, faces, { command: this.options.command ?? `FacialClustering.notFace(${JSON.stringify(faces)})` });
  }

  /** Names a person (null removes the name). */
  name(person: number, name: string | null): Correction {
    return namePerson(this.outPath, person, name, { command: this.options.command ?? `FacialClustering.name(${person}, ${JSON.stringify(name)})` });
  }

  /** Undoes the latest correction; undefined when there is none. */
  undo(): Correction | undefined {
    return undo(this.outPath, { command: this.options.command ?? 'FacialClustering.undo()' });
  }

  /** Pairs of people that may be one, and faces far from their person (see {@link suggest}). */
  suggest(opts: SuggestOptions = {}): Promise<Suggestions> {
    return suggest(this.outPath, { signal: this.options.signal, ...opts });
  }

  /** Writes the people as csv, json or XMP sidecars (see {@link exportPeople}). */
  export(opts: ExportOptions): Promise<ExportSummary> {
    return exportPeople(this.outPath, { command: this.options.command ?? `FacialClustering.export(${JSON.stringify(opts)})`, ...opts });
  }

  /** Closes the embedding store. */
  close(): void {
    this.store?.close();
    this.store = undefined;
  }

  /** One clustering call: its number, its outputs, its log block (marked failed, its outputs removed, when it throws). */
  private async cluster(spec: CallSpec): Promise<ClusteringResult> {
    const { method, params, saveas, gateOpts } = spec;
    await this.prepare();
    const embedded = this.embedLog?.entries ?? [];
    const embedMs = this.embedLog ? this.embedMs : 0;
    this.embedLog = undefined;
    const start = performance.now();
    const when = new Date();
    const set = this.faceSet!;
    const store = this.store!;
    const methodName = method === 'cw' ? 'chinese whispers' : 'dbscan';
    const command = this.options.command ?? `FacialClustering.${method === 'cw' ? 'chineseWhispers' : 'dbscan'}(${JSON.stringify({ ...params, saveas })})`;
    const from = new Map(embedded);
    // a run changes the people: it holds the write lock from reading them to writing them, so no correction
    // made meanwhile is lost or overwritten; `cluster` only reads
    const release = this.pathlist ? acquireWriteLock(this.outPath, command) : () => {};
    const mode = peopleMode(Boolean(this.pathlist), store.people.list().length > 0, spec.people.recluster);
    let call: number;
    try {
      call = reserveCall(this.outPath, { kind: method, command, store });
    } catch (err) {
      release();
      throw this.explainStoreError(err);
    }
    const id = String(call).padStart(3, '0');
    // what every block of this call says, finished or failed
    const head: LogEntries = [
      ['command', command],
      ['inputs', from.get('inputs') ?? '(every photo in the store)'],
      ['detect', from.get('detect')],
      ['model', set.model],
      ['images', from.get('images') ?? this.images],
      ['no face found', from.get('no face found')],
      ['no longer found', from.get('no longer found') ?? (this.missing.length ? `${this.missing.length} (\`faceclust prune\` forgets them)` : undefined)],
      ['hidden, skipped', from.get('hidden, skipped')],
      ['folders skipped', from.get('folders skipped')],
      ['faces', set.faces.length],
      ['method', methodName],
      ['parameters', describeParams({ ...params, saveas: saveas || 'no' })],
    ];
    const written: string[] = [];
    try {
      const result = await this.clusterCall(call, spec, { command, when, embedMs, start, written, mode });
      const { res, gate, kept, warnings, personOfFace } = result.internals;
      if (personOfFace) this.writePeople(personOfFace);
      const sizes = result.summaries.filter((c) => c.cluster >= 0).map((c) => c.size);
      const { internals: _, ...pub } = result;
      store.endCall(call, { record: toRecord(pub), faceIds: Int32Array.from(pub.faces, (f) => f.faceId), labels: pub.labels });
      writeReportIndex(this.outPath, store.listCalls());
      appendLog(this.outPath, `call ${id}: ${methodName}`, when, [
        ...head,
        ['backend', res.backend],
        ['neighbors', describeNeighbors(result.neighbors)],
        ['clusters', `${res.clusterCount}${sizes.length ? ` (sizes ${sizes.slice(0, 20).join(', ')}${sizes.length > 20 ? ', …' : ''})` : ''}`],
        ['no_class', `${res.noiseCount}${gate.rejected ? ` (${gate.rejected} rejected by the quality gate, reasons in the xlsx)` : ''}`],
        ['quality gate', gateOpts.minFaceQuality === undefined && gateOpts.minFaceSize === undefined ? 'off' : `${Object.entries(gateOpts).map(([k, v]) => `${k}=${v}`).join(' ')}: ${gate.rejected} of ${set.faces.length} faces rejected`],
        ['graph edges', res.graph.edges],
        ['warnings', warnings.length ? warnings.join('\n') : undefined],
        ['skipped', listSkipped(this.skipped)],
        ['timings', `${embedMs ? `embed ${ms(embedMs)}, ` : ''}${result.timings.indexMs ? `hnsw index ${ms(result.timings.indexMs)}, ` : ''}graph ${ms(result.timings.graphMs)}, cluster ${ms(res.timings.clusterMs)}, reports ${ms(result.timings.reportsMs)}, total ${ms(result.timings.totalMs)}`],
        ['store', this.storePath],
        ['outputs', [result.outputs.xlsx, result.outputs.report, result.outputs.saveas].filter(Boolean).join('\n')],
        ["people", describePeople(result.people)],
      ] satisfies LogEntries);
      return pub;
    } catch (thrown) {
      const aborted = this.options.signal?.aborted === true;
      const err = aborted ? new CallAbortedError(call, this.outPath) : this.explainStoreError(thrown);
      const reason = aborted ? 'interrupted (the signal was aborted, e.g. Ctrl-C)' : ((err as Error)?.message ?? String(err));
      // what this call created is incomplete: it goes, so no half-written report or folder is mistaken for a result
      for (const p of written) fs.rmSync(p, { recursive: true, force: true });
      appendLog(this.outPath, `call ${id}: ${methodName} (${aborted ? 'interrupted' : 'failed'})`, when, [
        ...head,
        ['error', reason],
        ['outputs', written.length ? `none (the incomplete ${written.map((p) => path.basename(p)).join(', ')} removed)` : 'none'],
        ['store', this.storePath],
      ]);
      try {
        store.endCall(call, { error: reason });
      } catch {
        /* the store itself may be what failed; the log block says it */
      }
      throw err;
    } finally {
      release();
    }
  }

  /**
   * Writes what a `run` did to the folder's people, once its outputs are written (an interrupted or failed call
   * leaves the people as they were): the faces' people as planned (`personOfFace`: the adoption of the first
   * run or of `recluster`, or the new faces' people). The caller holds the write lock.
   */
  private writePeople(personOfFace: Map<number, number>): void {
    const entries = [...personOfFace];
    this.store!.people.assign(Int32Array.from(entries, (e) => e[0]), Int32Array.from(entries, (e) => e[1]));
  }

  /** The clustering and its outputs; every path it creates is pushed to `ctx.written` first, so a failure can remove it. */
  private async clusterCall(
    call: number,
    { method, params, metric, saveas, gateOpts, near, minK, radius, people, run }: CallSpec,
    ctx: { command: string; when: Date; embedMs: number; start: number; written: string[]; mode: PeopleMode },
  ): Promise<ClusteringResult & { internals: { res: ClusterResult; gate: { rejected: number }; kept: number; warnings: string[]; personOfFace?: Map<number, number> } }> {
    const set = this.faceSet!;
    const store = this.store!;
    const n = set.faces.length;
    const step = this.options.onStep ?? (() => {});
    // manhattan's range depends on the dimension, known only now
    if (method === 'cw') expectDistance(CHINESE_WHISPERS_PARAMS.threshold, (params as CwParams).threshold, metric, set.dim);
    else expectDistance(DBSCAN_PARAMS.eps, (params as DbscanParams).eps, metric, set.dim);
    // the faces in the metric's space, once: every step below (clustering, new faces, cohesion) measures there
    if (!(METRICS as readonly string[]).includes(metric.metric)) step(`putting the faces in the ${metricLabel(metric)} space`);
    const space = facesSpace(set.vectors, set.dim, metric);
    step(`clustering ${count(n, 'face')} (${method === 'cw' ? 'chinese whispers' : 'dbscan'})`);
    // the quality gate and the user's "not a face" marks: those faces stay out of the graph (they would bridge
    // people) and come back as no_class
    // the people before this call, read once (the call writes them only after its outputs, in cluster())
    const now = currentPeople(store);
    const stored = now.constraints;
    const gate = withNotFaces(qualityGate(set.faces, gateOpts), stored.notFaces, set.faces);
    const kept = gate.kept.length;
    const rows = gate.rejected ? keptRows(space.rows, set.dim, gate.kept) : space.rows;
    const keptFaces = gate.rejected ? Array.from(gate.kept, (i) => set.faces[i]!) : set.faces;
    const constraints = rowConstraints(keptFaces, stored, { allowSamePhoto: people.allowSamePhoto });
    const constrained = constraints.mustLink.length + constraints.cannotLink.length > 0 ? { mustLink: constraints.mustLink, cannotLink: constraints.cannotLink } : undefined;
    const { mode } = ctx;
    // the library decides exact or hnsw; with hnsw it reuses, extends or rebuilds the index kept in
    // <out>/hnsw/ (after the quality gate the rows are not the folder's faces: a throwaway index instead)
    // (a transformed metric's rows are not the stored embeddings either: a throwaway index; a pair-pass metric
    // has no HNSW search, neighborParams refused it, and is always exact)
    const search = hnswSearchParams(near, minK);
    const keepIndex = !gate.rejected && storedRows(space, set.vectors);
    const hnsw: NeighborOptions['hnsw'] = {
      M: near.M, efConstruction: near.efConstruction, ...search,
      ...(keepIndex ? { store: hnswFolderStore(path.join(this.outPath, HNSW_DIR), { tag: set.model }), ids: Int32Array.from(set.faces, (f) => f.id) } : {}),
    };
    const neighborsOf = (h: NeighborOptions['hnsw']): NeighborOptions => (space.kind === 'pairwise' ? { neighbors: 'exact' } : { neighbors: near.neighbors, hnsw: h });
    let assignment: AssignOutcome | undefined;
    const newPeople = new Map<number, number>(); // the new faces' people, to write
    let res: ClusterResult;
    if (kept === 0) {
      res = { labels: new Int32Array(0), clusterCount: 0, noiseCount: 0, backend: 'ts', timings: { graphMs: 0, clusterMs: 0, totalMs: 0 }, graph: { edges: 0 } };
    } else if (mode === 'assigned') {
      // new photos join the people there are; only the faces left over are clustered, among themselves
      const { personOf } = now;
      let restBackend: ClusterResult['backend'] | undefined;
      const started = performance.now();
      assignment = await assignNewFaces({
        vectors: rows, dim: set.dim, personOfRow: Int32Array.from(keptFaces, (f) => personOf.get(f.id) ?? -1),
        mustLink: constraints.mustLink, cannotLink: constraints.cannotLink, space, radius, backend: params.backend,
        signal: this.options.signal, nextPersonId: store.people.nextPersonId(),
        clusterRest: async (v, c) => {
          const r = await run(v, set.dim, space, neighborsOf({ M: near.M, efConstruction: near.efConstruction, ...search }), c);
          restBackend = r.backend;
          return r;
        },
      });
      keptFaces.forEach((f, i) => {
        if (!personOf.has(f.id) && assignment!.personOfRow[i]! >= 0) newPeople.set(f.id, assignment!.personOfRow[i]!);
      });
      res = {
        ...labelsOfPeople(assignment.personOfRow), backend: restBackend ?? assignment.backend ?? (await backendName(params.backend)), graph: { edges: 0 }, neighbors: 'exact',
        timings: { graphMs: assignment.searchMs, clusterMs: assignment.clusterMs, totalMs: performance.now() - started },
      };
    } else {
      res = await run(rows, set.dim, space, neighborsOf(hnsw), constrained);
    }
    const indexMs = res.index?.ms ?? 0;
    const notSaved = gate.rejected ? `for the ${kept} faces past the quality gate (not saved: its rows are not the folder's faces)` : `for the faces in the ${metricLabel(metric)} space (not saved: its rows are not the stored embeddings)`;
    const indexAction = res.neighbors === 'hnsw' ? (res.index?.action ?? `built in memory ${notSaved}`) : undefined;
    const neighbors: NeighborsUsed = {
      requested: near.neighbors,
      used: res.neighbors ?? 'exact',
      // the library's one decision says why its path ran (absent when new faces were only assigned)
      ...(res.neighborsReason ? { reason: res.neighborsReason } : space.kind === 'pairwise' ? { reason: `metric ${metricLabel(metric)}: a float64 pair pass, exact only` } : {}),
      ...(res.neighbors === 'hnsw' ? { hnsw: { M: near.M, efConstruction: near.efConstruction, ...search }, index: indexAction } : {}),
    };
    const labels = gate.rejected ? spreadLabels(res.labels, gate.kept, n) : res.labels;
    const noiseCount = res.noiseCount + gate.rejected;
    const { distances, clusters } = clusterStats(space.rows, set.dim, labels, res.clusterCount, space.kind === 'kernel' ? space.metric : space.distance);
    // the people this call shows: after a run, those it will write once its outputs are (an adoption, or the
    // new faces' people); after `cluster`, each cluster's matching person, a proposal only
    const faceIds = Int32Array.from(set.faces, (f) => f.id);
    let personOfFace: Map<number, number> | undefined;
    let note: string | undefined;
    if (mode === 'adopted' || mode === 'reclustered') {
      const plan = planAdoption(store, faceIds, labels, now);
      personOfFace = plan.personOfFace;
      note = mode === 'adopted'
        ? `this call adopted as the folder's people: ${count(plan.created, 'person', 'people')} (\`faceclust people\` lists them)`
        : `every face clustered again and adopted: ${count(plan.kept, 'person', 'people')} kept (ids and names), ${plan.created} new`;
    } else if (mode === 'assigned') personOfFace = newPeople;
    const shown = personOfFace && new Map([...now.personOf, ...personOfFace]);
    const proposed = shown ? undefined : proposePeople(store, faceIds, labels, now);
    const personOf = (i: number) => {
      if (proposed) return labels[i]! < 0 ? null : (proposed.get(labels[i]!) ?? null);
      const id = shown!.get(faceIds[i]!);
      return id === undefined || id < 0 ? null : { id, name: now.names.get(id) ?? null };
    };
    const peopleOutcome: PeopleOutcome = {
      mode,
      ...(assignment ? { newFaces: assignment.newFaces, assigned: assignment.assigned, newPeople: assignment.newPeople } : {}),
      constraints: { ...constraints.counts, allowSamePhoto: people.allowSamePhoto },
      ...(note ? { note } : {}),
    };
    const faces: FaceResult[] = set.faces.map((f, i) => ({
      faceId: f.id, file: f.file, face: f.faceIndex, box: f.box, score: f.score, cluster: labels[i], distance: Number.isNaN(distances[i]) ? null : distances[i],
      ...(gate.reasons[i] ? { rejected: gate.reasons[i]! } : {}),
      person: personOf(i),
    }));
    const names = callPaths(call, paramTag(method, params));
    const out = (name: string) => path.join(this.outPath, name);
    const warnings = clusteringNotices(clusters, n, method, this.outPath);
    const notices = [...this.notices, ...warnings];
    const result: ClusteringResult = {
      call, method, params, gate: { ...gateOpts, rejected: gate.rejected }, model: set.model, images: this.images, clusters: res.clusterCount, noise: noiseCount, faces, labels,
      summaries: clusters, skipped: this.skipped, noFace: this.noFace, missing: this.missing, notices, backend: res.backend, neighbors, edges: res.graph.edges,
      timings: { embedMs: ctx.embedMs, indexMs, graphMs: res.timings.graphMs - indexMs, clusterMs: res.timings.clusterMs, reportsMs: 0, totalMs: 0 },
      outputs: { log: out('log.txt'), xlsx: out(names.xlsx), report: path.join(out(names.report), 'report.html'), reportIndex: out('report.html') },
      saveas, people: peopleOutcome,
    };
    if (saveas) result.outputs.saveas = out(names.saveas);
    const crops = (faceId: number) => store.getCrop(faceId);
    const reportsStart = performance.now();
    const reportTotal = n * (saveas ? 3 : 2);
    let reportDone = 0;
    const onReport = this.options.onReportProgress;
    const signal = this.options.signal;
    const tick = (k = 1) => {
      signal?.throwIfAborted(); // the reports stop at the next face; cluster() removes what they wrote
      reportDone += k;
      onReport?.(reportDone, reportTotal);
    };
    signal?.throwIfAborted();
    step(`writing ${names.xlsx}`);
    ctx.written.push(result.outputs.xlsx);
    await writeXlsx(result.outputs.xlsx, result, crops, { command: ctx.command, created: ctx.when }, tick);
    step(`writing ${names.report}/ (pages and face sprites)`);
    ctx.written.push(out(names.report));
    await writeHtmlReport(out(names.report), result, crops, `faceclust call ${call}: ${method === 'cw' ? 'Chinese Whispers' : 'DBSCAN'}`, tick);
    if (saveas) {
      step(`writing ${names.saveas}/`);
      ctx.written.push(result.outputs.saveas!);
      await writeFolders(result.outputs.saveas!, result, saveas, crops, tick);
    }
    result.timings.reportsMs = performance.now() - reportsStart;
    result.timings.totalMs = performance.now() - ctx.start + ctx.embedMs;
    return { ...result, internals: { res, gate, kept, warnings, ...(personOfFace ? { personOfFace } : {}) } };
  }
}

/**
 * What a person should know about a clustering beyond its numbers: one cluster holding most of the faces
 * (a threshold too loose for the data or the metric), or every face alone (too tight).
 */
export function clusteringNotices(clusters: { cluster: number; size: number }[], faces: number, method: Method, outPath: string): string[] {
  const MIN_FACES = 10;
  if (faces < MIN_FACES) return [];
  const tune = `try \`faceclust tune --method ${method} --out ${JSON.stringify(outPath)}\``;
  const what = method === 'cw' ? 'threshold' : 'eps';
  const largest = clusters.filter((c) => c.cluster >= 0).reduce((m, c) => Math.max(m, c.size), 0);
  if (largest > faces / 2) return [`cluster 0 holds ${largest} of the ${faces} faces (${Math.round((100 * largest) / faces)}%): the ${what} may be too loose for this metric or these photos; ${tune}`];
  if (largest <= 1) return [`no two faces were put together: the ${what} may be too tight for this metric or these photos; ${tune}`];
  return [];
}

/** The log's `people` line: what the call did with the folder's people, and the constraints it honoured. */
export function describePeople(p: PeopleOutcome): string {
  const c = p.constraints;
  const what = {
    proposed: 'proposed only (faceclust people adopt makes a call the people)',
    adopted: 'adopted',
    assigned: `${count(p.newFaces ?? 0, 'new face')}: ${p.assigned ?? 0} joined known people, ${count(p.newPeople ?? 0, 'new person', 'new people')} from the rest`,
    reclustered: 'every face clustered again and adopted (ids and names kept by matching)',
  }[p.mode];
  const honoured = [
    c.confirmedFaces ? `${count(c.confirmedFaces, 'confirmed face')} of ${count(c.confirmedPeople, 'person', 'people')}` : '',
    c.cannotLinks ? count(c.cannotLinks, 'cannot link') : '',
    c.allowSamePhoto ? 'faces of one photo may be one person (--allow-same-photo)' : c.samePhotoPairs ? `${count(c.samePhotoPairs, 'same-photo pair')} kept apart` : '',
  ].filter(Boolean);
  return `${what}${p.note && p.mode !== 'adopted' ? `\n${p.note}` : p.note ? `: ${p.note}` : ''}${honoured.length ? `\nconstraints: ${honoured.join(', ')}` : ''}`;
}

/** The log's `neighbors` line: the path that ran, why, and for hnsw its parameters and what became of the index. */
export function describeNeighbors(n: NeighborsUsed): string {
  const why = n.requested === 'auto' && n.reason ? ` (${n.reason})` : '';
  if (n.used === 'exact' || !n.hnsw) return `exact${why}`;
  const h = n.hnsw;
  return `hnsw${why}: M=${h.M} efConstruction=${h.efConstruction} k=${h.k} ef=${h.ef} maxNeighbors=${h.maxNeighbors}${n.index ? `\nindex ${n.index}` : ''}`;
}

/**
 * What a call does with the folder's people: `cluster` proposes (writes nothing); the first `run` of a folder
 * adopts its clustering; a later `run` assigns its new faces, or with `recluster` clusters every face again
 * and adopts that.
 */
function peopleMode(run: boolean, hasPeople: boolean, recluster: boolean): PeopleMode {
  if (!run) return 'proposed';
  if (!hasPeople) return 'adopted';
  return recluster ? 'reclustered' : 'assigned';
}

/** Public labels from each row's person (−1 nobody): one cluster per person, the largest 0. */
function labelsOfPeople(personOfRow: Int32Array): { labels: Int32Array; clusterCount: number; noiseCount: number } {
  const firstRow = new Map<number, number>();
  const raw = Int32Array.from(personOfRow, (person, row) => {
    if (person < 0) return -1;
    if (!firstRow.has(person)) firstRow.set(person, row);
    return firstRow.get(person)!;
  });
  return renumberLabels(raw);
}

/** The quality gate's outcome with the faces the user marked "not a face" rejected too, with that reason. */
function withNotFaces(gate: GateResult, notFaces: Int32Array, faces: readonly { id: number }[]): GateResult {
  if (notFaces.length === 0) return gate;
  const marked = new Set(notFaces);
  const reasons = faces.map((f, i) => (marked.has(f.id) ? 'not a face (your correction: faceclust notface)' : gate.reasons[i]));
  const kept = Int32Array.from(Array.from(gate.kept).filter((i) => !marked.has(faces[i]!.id)));
  return { reasons, kept, rejected: faces.length - kept.length };
}

/** A call's people options, validated. */
function peopleOptions(o: { allowSamePhoto?: unknown; recluster?: unknown }): PeopleOptions {
  for (const key of ['allowSamePhoto', 'recluster'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') throw new TypeError(`Expected a boolean for ${key} but received ${JSON.stringify(o[key])}`);
  }
  return { allowSamePhoto: o.allowSamePhoto === true, recluster: o.recluster === true };
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

/** Photos read fine in which no face was found, of `files`. */
function noFaceFiles(rows: { path: string; status: string; faces: number }[], files: string[]): string[] {
  const wanted = new Set(files);
  return rows.filter((r) => r.status === 'done' && r.faces === 0 && wanted.has(r.path)).map((r) => r.path);
}

/** `2 hidden files and 1 hidden folder`. */
function describeHidden(hidden: string[]): string {
  const folders = hidden.filter((p) => {
    try {
      return fs.statSync(p).isDirectory();
    } catch {
      return false;
    }
  }).length;
  const files = hidden.length - folders;
  return [files ? count(files, 'hidden file') : '', folders ? count(folders, 'hidden folder') : ''].filter(Boolean).join(' and ');
}

/** A count, then up to 50 paths, one per line. */
function listPaths(paths: string[], max = 50): string | number {
  if (paths.length === 0) return 0;
  return `${paths.length}\n${paths.slice(0, max).join('\n')}${paths.length > max ? '\n…' : ''}`;
}

/**
 * What `findImages` must not search: this call's own output folder, and any folder faceclust made (it
 * holds a store or a faceclust log), so a default `./faceclust-out` inside the photos is never read back.
 */
function outputFolderSkipper(outPath: string): (dir: string) => string | undefined {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  const out = real(outPath);
  return (dir) => {
    if (real(dir) === out) return 'the output folder of this call';
    const mark = outputFolderMark(dir);
    return mark ? `a faceclust output folder: ${mark}` : undefined;
  };
}
