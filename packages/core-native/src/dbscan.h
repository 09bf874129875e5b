// DBSCAN over a radius graph (scikit-learn's definition; docs/ALGORITHMS.md gives the exact visiting order).
#pragma once
#include <napi.h>

#include <cstdint>
#include <vector>

#include "cancel.h"

namespace fc {

// The constrained form (docs/ALGORITHMS.md, "Constraints"), over a graph whose nodes are must-link groups:
// core flags decided by the caller, and the cannot-link partners of each node as a second CSR.
struct DbscanConstraints {
  const uint8_t* core;
  const uint32_t* cannotOffsets;
  const int32_t* cannotIndices;
};

// Throws the cancellation Failure when `cancel` is raised (checked every 4096 points popped or scanned).
// `constrained` null: the unconstrained expansion, unchanged (minSamples decides the core points).
std::vector<int32_t> Dbscan(const uint32_t* offsets, const int32_t* indices, size_t n, size_t minSamples,
                            const DbscanConstraints* constrained, const Cancellation& cancel);

Napi::Value DbscanJs(const Napi::CallbackInfo& info);
Napi::Value DbscanSyncJs(const Napi::CallbackInfo& info);

}  // namespace fc
