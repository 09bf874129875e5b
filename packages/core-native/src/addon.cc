// Registers the native surface declared in native.ts; nothing else lives here.
#include <napi.h>

#include "cancel.h"
#include "capabilities.h"
#include "chinese_whispers.h"
#include "dbscan.h"
#include "errors.h"
#include "float_mode.h"
#include "hnsw_index.h"
#include "merge_clusters.h"
#include "nearest_candidates.h"
#include "pairwise.h"
#include "radius_graph.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  try {
    fc::InitIsaFromEnvironment();
  } catch (const fc::Failure& f) {
    throw fc::MakeJsError(env, f);
  }
  exports.Set("capabilities", Napi::Function::New(env, fc::CapabilitiesJs, "capabilities"));
  exports.Set("setIsa", Napi::Function::New(env, fc::SetIsaJs, "setIsa"));
  exports.Set("setFlushDenormals", Napi::Function::New(env, fc::SetFlushDenormalsJs, "setFlushDenormals"));
  exports.Set("cancelToken", Napi::Function::New(env, fc::CancelTokenJs, "cancelToken"));
  exports.Set("cancel", Napi::Function::New(env, fc::CancelJs, "cancel"));
  exports.Set("pairwise", Napi::Function::New(env, fc::PairwiseJs, "pairwise"));
  exports.Set("pairwiseSync", Napi::Function::New(env, fc::PairwiseSyncJs, "pairwiseSync"));
  exports.Set("dotBf16Sync", Napi::Function::New(env, fc::DotBf16SyncJs, "dotBf16Sync"));
  exports.Set("dotI8Sync", Napi::Function::New(env, fc::DotI8SyncJs, "dotI8Sync"));
  exports.Set("radiusGraph", Napi::Function::New(env, fc::RadiusGraphJs, "radiusGraph"));
  exports.Set("radiusGraphSync", Napi::Function::New(env, fc::RadiusGraphSyncJs, "radiusGraphSync"));
  exports.Set("nearestCandidates", Napi::Function::New(env, fc::NearestCandidatesJs, "nearestCandidates"));
  exports.Set("nearestCandidatesSync", Napi::Function::New(env, fc::NearestCandidatesSyncJs, "nearestCandidatesSync"));
  exports.Set("chineseWhispers", Napi::Function::New(env, fc::ChineseWhispersJs, "chineseWhispers"));
  exports.Set("chineseWhispersSync", Napi::Function::New(env, fc::ChineseWhispersSyncJs, "chineseWhispersSync"));
  exports.Set("dbscan", Napi::Function::New(env, fc::DbscanJs, "dbscan"));
  exports.Set("dbscanSync", Napi::Function::New(env, fc::DbscanSyncJs, "dbscanSync"));
  exports.Set("mergeClusters", Napi::Function::New(env, fc::MergeClustersJs, "mergeClusters"));
  exports.Set("mergeClustersSync", Napi::Function::New(env, fc::MergeClustersSyncJs, "mergeClustersSync"));
  exports.Set("hnswCreate", Napi::Function::New(env, fc::HnswCreateJs, "hnswCreate"));
  exports.Set("hnswLoad", Napi::Function::New(env, fc::HnswLoadJs, "hnswLoad"));
  exports.Set("hnswSave", Napi::Function::New(env, fc::HnswSaveJs, "hnswSave"));
  exports.Set("hnswCount", Napi::Function::New(env, fc::HnswCountJs, "hnswCount"));
  exports.Set("hnswAdd", Napi::Function::New(env, fc::HnswAddJs, "hnswAdd"));
  exports.Set("hnswKnnGraph", Napi::Function::New(env, fc::HnswKnnGraphJs, "hnswKnnGraph"));
  return exports;
}

}  // namespace

NODE_API_MODULE(faceclust_core, Init)
