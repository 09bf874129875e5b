import type { BackendName, BackendOption } from './backend.js';
import type { Metric } from './metrics.js';

/** The option of every long call: see "Cancellation" in the README. */
export interface CancelOptions {
  /**
   * Aborting it stops the call, which rejects with an AbortError (a `DOMException` named `'AbortError'`,
   * `cause` = `signal.reason`) within about a second, usually within milliseconds; already aborted, the
   * call rejects before any work. Must be an `AbortSignal` (else a TypeError).
   */
  signal?: AbortSignal;
}

/** Options every vector-level call takes. */
export interface BackendOptions {
  /** `'auto'` (default), `'native'` or `'ts'`: see {@link BackendOption}. */
  backend?: BackendOption;
  /** Worker threads for the native distance stage; default: every core. Ignored by the ts backend. */
  threads?: number;
}

/** Options of calls that compute distances. */
export interface MetricOptions extends BackendOptions {
  /** Distance metric, default `'euclidean'`. */
  metric?: Metric;
}

/** Wall-clock milliseconds spent in each stage of a call. */
export interface Timings {
  /** Building the radius graph (0 for the `*OnGraph` functions). */
  graphMs: number;
  /** Clustering the graph and renumbering the labels. */
  clusterMs: number;
  /** Chinese Whispers: the merge pass, part of clusterMs (0 when off). */
  mergeMs?: number;
  /** The whole call, validation, copying and backend loading included. */
  totalMs: number;
}

/** What {@link dbscan} and {@link chineseWhispers} (and their `*OnGraph` forms) return. */
export interface ClusterResult {
  /**
   * One label per row: clusters are numbered 0, 1, … by decreasing size (ties: the cluster whose lowest
   * row index is smallest comes first); −1 marks noise (DBSCAN noise, or a Chinese Whispers cluster
   * smaller than `minClusterSize`).
   */
  labels: Int32Array;
  /** Number of clusters (labels 0 … clusterCount−1). */
  clusterCount: number;
  /** Number of rows labelled −1. */
  noiseCount: number;
  /** The backend that ran. */
  backend: BackendName;
  timings: Timings;
  /** Chinese Whispers only: passes actually run (it stops after the first pass that changes nothing). */
  iterations?: number;
  /** `dbscan`/`chineseWhispers` only: how the neighbour graph was built ('exact' or 'hnsw', as `auto` chose). */
  neighbors?: 'exact' | 'hnsw';
  /** Why that path ran, e.g. `auto: ~195M edges estimated from 2,000 sampled faces > budget 30M`. */
  neighborsReason?: string;
  /** With `hnsw.store`, when the hnsw path ran: what became of the stored index and how long it took. */
  index?: { action: string; ms: number };
  /** The graph clustered: `edges` is its number of undirected edges (pairs within the threshold). */
  graph: { edges: number };
}
