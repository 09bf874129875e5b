/**
 * @faceclust/cluster: cluster face embeddings by identity with Chinese Whispers or DBSCAN, on a native
 * SIMD backend (`@faceclust/core-native`) or a pure-TypeScript one that gives the same labels, and score
 * clusterings against ground truth. The exact algorithms are in docs/ALGORITHMS.md.
 */
export { chineseWhispers, chineseWhispersOnGraph, WEIGHTINGS } from './chinese-whispers.js';
export type { ChineseWhispersGraphOptions, ChineseWhispersOptions, Weighting } from './chinese-whispers.js';
export { dbscan, dbscanOnGraph } from './dbscan.js';
export { ConstraintConflictError } from './constraints.js';
export type { Constraints, RowPairs } from './constraints.js';
export type { DbscanGraphOptions, DbscanOptions } from './dbscan.js';
export { radiusGraph } from './radius-graph.js';
export type { RadiusGraphOptions } from './radius-graph.js';
export { edgeCount, filterGraph } from './graph.js';
export { HnswIndex, HNSW_DEFAULTS, HNSW_FILES } from './hnsw.js';
export { hnswFolderStore, HNSW_FACES_FILE } from './hnsw-store.js';
export type { HnswIndexStore, IndexRequest, OpenedIndex } from './hnsw-store.js';
export {
  CHINESE_WHISPERS_PARAMS, COMMON_PARAMS, METRIC_PARAMS, minkowskiP, MERGE_RATIO, defaultMergeRadius, mergeRadiusFor, DBSCAN_PARAMS, HNSW_PARAMS, NEAREST_NEIGHBORS_PARAMS, checkParam, hnswSearchParams, paramOrDefault, parseParamFlag, ruleText,
} from './params.js';
export type { ChoiceRule, IntegerRule, NumberRule, ParamRule, ParamSpec } from './params.js';
/** How every message renders a received value. */
export { describe } from './validate.js';
export type { HnswAddOptions, HnswBuildOptions, HnswGraph, HnswGraphOptions, HnswGraphStats, HnswLoadOptions } from './hnsw.js';
export { AUTO_EXACT_MAX_EDGES, AUTO_EXACT_MAX_EDGES_PER_FACE, AUTO_HNSW_FROM, AUTO_SAMPLE_ROWS, NEIGHBOR_STRATEGIES, resolveNeighbors } from './neighbors.js';
export type { HnswOptions, NeighborChoice, NeighborOptions, NeighborStrategy, ResolveNeighborsOptions } from './neighbors.js';
export type { NeighborGraph } from './graph.js';
export { evaluate } from './evaluate.js';
export type { Evaluation, PrecisionRecall } from './evaluate.js';
export { sweepGraph, sweepThresholds, thresholdRange, SWEEP_METHODS } from './sweep.js';
export type { SweepGraphOptions, SweepMethod, SweepOptions, SweepResult, SweepRow } from './sweep.js';
export { kDistances, kDistancesOnGraph } from './k-distance.js';
export { nearestNeighbors } from './nearest-neighbors.js';
export type { NearestNeighborsOptions, NearestNeighborsResult } from './nearest-neighbors.js';
export type { NeighborLists } from './knn.js';
export type { KDistanceOptions } from './k-distance.js';
export { suggestThreshold } from './suggest-threshold.js';
export type { SuggestOptions, ThresholdSuggestion } from './suggest-threshold.js';
export { renumberLabels } from './renumber.js';
export type { Renumbered } from './renumber.js';
export { METRICS } from './metrics.js';
export type { Metric } from './metrics.js';
export { BACKENDS, backendName } from './backend.js';
export type { BackendName, BackendOption } from './backend.js';
export type { VectorsInput } from './vectors.js';
export type { BackendOptions, CancelOptions, ClusterResult, MetricOptions, Timings } from './types.js';
export { EXTRA_METRICS, metricKind, metricSpace, metricUnits } from './metric-input.js';
export type { ClusterInput, ExtraMetric, MetricFunction, MetricInput, MetricParams, MetricSpace, PairDistance, PrecomputedGraph } from './metric-input.js';
