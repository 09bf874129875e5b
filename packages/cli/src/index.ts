/**
 * faceclust: find the unique people in a pile of photos. `FacialClustering` embeds every face once into
 * an output folder and clusters them (Chinese Whispers or DBSCAN) as often as you like, writing log.txt,
 * an xlsx and an HTML report per call. The `faceclust` command line is built on it.
 */
export { FacialClustering, AbortError, CallAbortedError } from './facial-clustering.js';
export type { FacialClusteringOptions, EmbedSummary, ChineseWhispersCallOptions, DbscanCallOptions, ReclusterOptions, ReclusterResult } from './facial-clustering.js';
export type { ClusteringResult, FaceResult, SkippedFile, JsonOutput, Method, NeighborsUsed, PeopleMode, PeopleOutcome } from './result.js';
export { toJson } from './result.js';
export type { ClusterSummary } from './cluster-stats.js';
export { DEFAULTS, metricDefault, UsageError } from './options.js';
export { OutputError } from './output.js';
export { prune } from './prune.js';
export { exportPeople, sidecarXml, isOwnSidecar } from './export.js';
export type { ExportOptions, ExportSummary, ExportFormat, SidecarName, SidecarRegion } from './export.js';
export { adoptCall, listPeople, matchPeople } from './people.js';
export { listCorrections, merge, move, namePerson, notFace, parseFaceRef, reject, removePerson, separate, undo } from './corrections.js';
export type { FaceRef } from './corrections.js';
export type { Correction } from '@faceclust/embed';
export type { AdoptResult, PersonEntry } from './people.js';
export type { PruneResult } from './prune.js';
export { averageLinkage, suggest, type SuggestOptions, type Suggestions, type SuggestedPair, type SuggestedPerson, type SuggestedOutlier } from './suggest.js';
export { startServer, type ServeOptions, type RunningServer } from './serve/server.js';
export type { CwParams, DbscanParams, SaveAs, HnswCallOptions } from './options.js';
export type { MetricName, MetricRecord } from './metric.js';
