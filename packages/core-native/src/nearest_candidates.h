// Candidates for the exact nearest neighbours of query rows among base rows (docs/ALGORITHMS.md, "Nearest
// neighbours"): per query, a sorted list of base rows that holds every one of its k nearest (within the radius).
// @faceclust/cluster rechecks them with the float64 reference and makes the choice.
#pragma once
#include <napi.h>

#include <cstdint>
#include <vector>

#include "cancel.h"
#include "kernels/kernels.h"

namespace fc {

struct CandidateLists {
  std::vector<uint32_t> offsets;  // nq + 1
  std::vector<int32_t> indices;   // query q's: indices[offsets[q] .. offsets[q+1]), ascending
};

// Rows of a row-major matrix: rows ids[0..n) when ids are given (read in place, not copied), else rows 0..n).
struct RowSet {
  const float* x;
  size_t n;
  const uint32_t* ids = nullptr;
};

// Throws the cancellation Failure when `cancel` is raised (checked between blocks of base rows). Candidates are
// positions in `base` (0..base.n), lists per position in `queries`.
CandidateLists NearestCandidates(const Kernels& kernels, RowSet base, RowSet queries, size_t dim, Metric metric, size_t k,
                                 double radius, unsigned threads, const Cancellation& cancel);

inline CandidateLists NearestCandidates(const Kernels& kernels, const float* base, size_t nb, const float* queries, size_t nq,
                                        size_t dim, Metric metric, size_t k, double radius, unsigned threads,
                                        const Cancellation& cancel) {
  return NearestCandidates(kernels, RowSet{base, nb}, RowSet{queries, nq}, dim, metric, k, radius, threads, cancel);
}

Napi::Value NearestCandidatesJs(const Napi::CallbackInfo& info);
Napi::Value NearestCandidatesSyncJs(const Napi::CallbackInfo& info);

}  // namespace fc
