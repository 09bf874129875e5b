/** What a clustering call returns, and the `--json` shape derived from it. */
import type { BackendName, NeighborStrategy } from '@faceclust/cluster';
import type { ClusterSummary } from './cluster-stats.js';
import type { CwParams, DbscanParams, SaveAs } from './options.js';

export type Method = 'cw' | 'dbscan';

/** One face in a clustering. */
export interface FaceResult {
  /** The face's id in the embedding store. */
  faceId: number;
  /** Absolute path of the photo. */
  file: string;
  /** Index of the face within its photo (0, 1, …). */
  face: number;
  /** x, y, width, height in photo pixels. */
  box: [number, number, number, number];
  /** Detection confidence. */
  score: number;
  /** Cluster number, 0 = largest; −1 = no_class. */
  cluster: number;
  /** Distance to the centre of its cluster (clustering metric); null for no_class. */
  distance: number | null;
  /** Why the quality gate sent this face to no_class (absent when it was clustered). */
  rejected?: string;
  /** The folder's person its cluster matches (see people.ts), or null: no_class, or a cluster that matches nobody yet. */
  person: { id: number; name: string | null } | null;
}

/** The neighbour search of a call: what was asked, what ran and, for hnsw, its parameters and index. */
export interface NeighborsUsed {
  requested: NeighborStrategy;
  used: 'exact' | 'hnsw';
  /** Why that path (the library's `resolveNeighbors`), e.g. `auto: ~195M edges estimated from 2,000 sampled faces > budget 30M`. */
  reason?: string;
  /** The HNSW parameters used (absent for exact). */
  hnsw?: { M: number; efConstruction: number; k: number; ef: number; maxNeighbors: number };
  /** What happened to `<out>/hnsw/`: reused, added N faces, built (and why), or built in memory. */
  index?: string;
}

/**
 * What a call did with the folder's people: `proposed` (cluster: nothing written), `adopted` (the first run:
 * its clusters became the people), `assigned` (a later run: new faces joined known people or became new
 * ones), `reclustered` (run --recluster: every face clustered again, then adopted by matching).
 */
export type PeopleMode = 'proposed' | 'adopted' | 'assigned' | 'reclustered';

/** {@link ClusteringResult.people}. */
export interface PeopleOutcome {
  mode: PeopleMode;
  /** `assigned`: faces new to the people, how many joined a known person, how many new people the rest made. */
  newFaces?: number;
  assigned?: number;
  newPeople?: number;
  /** The constraints the clustering honoured (docs/ALGORITHMS.md, "Constraints"). */
  constraints: { confirmedPeople: number; confirmedFaces: number; cannotLinks: number; samePhotoPairs: number; allowSamePhoto: boolean };
  /** What happened to the people, for the log (e.g. adopted, or why they could not be written). */
  note?: string;
}

/** A photo that could not be read, with the reason. */
export interface SkippedFile {
  path: string;
  reason: string;
}

/** What {@link FacialClustering.chineseWhispers} and {@link FacialClustering.dbscan} return. */
export interface ClusteringResult {
  /** Call number in this output folder (1, 2, …): it names this call's outputs. */
  call: number;
  method: Method;
  params: CwParams | DbscanParams;
  /** The quality gate's thresholds (absent ones were off) and how many faces it rejected. */
  gate: { minFaceQuality?: number; minFaceSize?: number; rejected: number };
  /** Embedding model id (name + hash). */
  model: string;
  /** Photos considered (read or skipped). */
  images: number;
  /** Number of clusters (no_class excluded). */
  clusters: number;
  /** Faces left as no_class. */
  noise: number;
  /** One per face, in store order. */
  faces: FaceResult[];
  /** Labels as an Int32Array, aligned with `faces`. */
  labels: Int32Array;
  /** Largest cluster first, no_class last. */
  summaries: ClusterSummary[];
  skipped: SkippedFile[];
  /** Photos read fine in which no face was found. */
  noFace: string[];
  /** Photos embedded earlier that are no longer on disk: their faces were left out (`faceclust prune` forgets them). */
  missing: string[];
  /** Lines for the person beside the numbers: photos no longer found, hidden files and output folders skipped, a cluster holding most faces. */
  notices: string[];
  backend: BackendName;
  neighbors: NeighborsUsed;
  /** Edges of the neighbour graph the clustering ran on. */
  edges: number;
  /**
   * embedMs: finding and embedding the photos, when this call did it (0 when it only read the store); indexMs:
   * loading, extending or building the hnsw index (0 for exact); totalMs includes both.
   */
  timings: { embedMs: number; indexMs: number; graphMs: number; clusterMs: number; reportsMs: number; totalMs: number };
  /** Absolute paths of what this call wrote. */
  outputs: { log: string; xlsx: string; report: string; reportIndex: string; saveas?: string };
  saveas: SaveAs;
  people: PeopleOutcome;
}

/**
 * The `--json` object: `{ call, method, params, clusters, noise, edges, timings, faces: [{ file, face, box,
 * score, cluster }] }`; params includes `neighbors` (the path that ran) and, for hnsw, `hnsw: { M,
 * efConstruction, k, ef, maxNeighbors }` and `index` (what became of `<out>/hnsw/`). Timings are in ms.
 */
export interface JsonOutput {
  call: number;
  method: Method;
  params: (CwParams | DbscanParams) & { neighbors: 'exact' | 'hnsw'; hnsw?: { M: number; efConstruction: number; k: number; ef: number; maxNeighbors: number }; index?: string };
  clusters: number;
  noise: number;
  edges: number;
  timings: ClusteringResult['timings'];
  people: PeopleOutcome;
  /** `person`: the folder's person the face's cluster matches (null: none yet, or no_class), with its `name`. */
  faces: { file: string; face: number; box: [number, number, number, number]; score: number; cluster: number; person: number | null; name: string | null; faceId: number }[];
}

export function toJson(r: ClusteringResult): JsonOutput {
  return { ...jsonHead(r), faces: r.faces.map(jsonFace) };
}

/** Faces per write of {@link writeJson}. */
const JSON_FACES_PER_WRITE = 10_000;

/**
 * Writes `JSON.stringify(toJson(r))` (the same bytes) in pieces of {@link JSON_FACES_PER_WRITE} faces: the
 * whole text of a million faces, and its million face objects, were held at once at the end of a call.
 */
export function writeJson(r: ClusteringResult, write: (text: string) => void): void {
  // faces is the object's last key: its text ends with "faces":[]}
  const head = JSON.stringify({ ...jsonHead(r), faces: [] });
  write(head.slice(0, -2));
  for (let at = 0; at < r.faces.length; at += JSON_FACES_PER_WRITE) {
    const part = r.faces.slice(at, at + JSON_FACES_PER_WRITE).map((f) => JSON.stringify(jsonFace(f)));
    write((at === 0 ? '' : ',') + part.join(','));
  }
  write(']}');
}

function jsonHead(r: ClusteringResult): Omit<JsonOutput, 'faces'> {
  return {
    call: r.call,
    method: r.method,
    params: { ...r.params, neighbors: r.neighbors.used, ...(r.neighbors.reason ? { neighborsReason: r.neighbors.reason } : {}), ...(r.neighbors.hnsw ? { hnsw: r.neighbors.hnsw } : {}), ...(r.neighbors.index ? { index: r.neighbors.index } : {}) },
    clusters: r.clusters,
    noise: r.noise,
    edges: r.edges,
    timings: r.timings,
    people: r.people,
  };
}

function jsonFace(f: FaceResult): JsonOutput['faces'][number] {
  return { file: f.file, face: f.face, box: f.box, score: f.score, cluster: f.cluster, person: f.person?.id ?? null, name: f.person?.name ?? null, faceId: f.faceId };
}

/**
 * What the store keeps of a clustering call (its `calls` row, beside each face's id and label): enough for
 * later calls and tools to read any earlier call without its xlsx. Paths are absolute.
 */
export interface CallRecord {
  call: number;
  method: Method;
  params: CwParams | DbscanParams;
  gate: ClusteringResult['gate'];
  model: string;
  images: number;
  faces: number;
  clusters: number;
  noise: number;
  edges: number;
  backend: BackendName;
  neighbors: NeighborsUsed;
  /** Largest first, no_class last; the representative as a store face id. */
  summaries: { cluster: number; size: number; cohesion: number | null; representative: number }[];
  skipped: SkippedFile[];
  noFace: string[];
  missing: string[];
  notices: string[];
  saveas: SaveAs;
  timings: ClusteringResult['timings'];
  outputs: ClusteringResult['outputs'];
  people: PeopleOutcome;
}

export function toRecord(r: ClusteringResult): CallRecord {
  return {
    call: r.call, method: r.method, params: r.params, gate: r.gate, model: r.model, images: r.images, faces: r.faces.length,
    clusters: r.clusters, noise: r.noise, edges: r.edges, backend: r.backend, neighbors: r.neighbors,
    summaries: r.summaries.map((c) => ({ cluster: c.cluster, size: c.size, cohesion: c.cohesion, representative: r.faces[c.representative]!.faceId })),
    skipped: r.skipped, noFace: r.noFace, missing: r.missing, notices: r.notices, saveas: r.saveas, timings: r.timings, outputs: r.outputs, people: r.people,
  };
}

/** `no_class` for −1, else the cluster number: the name used in the xlsx and the folders. */
export function clusterName(cluster: number): string {
  return cluster < 0 ? 'no_class' : String(cluster);
}
