// Chinese Whispers over a CSR graph (docs/ALGORITHMS.md): seeded shuffled order, in-place updates,
// ties to the smallest label, early stop when a pass changes nothing.
#pragma once
#include <napi.h>

#include <cstdint>
#include <vector>

#include "cancel.h"

namespace fc {

struct ChineseWhispersResult {
  std::vector<int32_t> labels;
  uint32_t iterations = 0;
};

// The constrained form (docs/ALGORITHMS.md, "Constraints"), over a graph whose nodes are must-link groups:
// an explicit weight per CSR entry (instead of one derived from the distance; null when no must-link
// contracted the graph, so the distances still give them) and the cannot-link partners of each node as a
// second CSR over the same nodes.
struct CwConstraints {
  const double* weights;
  const uint32_t* cannotOffsets;
  const int32_t* cannotIndices;
};

// Throws the cancellation Failure when `cancel` is raised (checked every 4096 nodes visited). `constrained`
// null: the unconstrained pass loop, unchanged.
ChineseWhispersResult ChineseWhispers(const uint32_t* offsets, const int32_t* indices, const float* distances,
                                      size_t n, uint32_t iterations, uint32_t seed, bool unitWeights,
                                      const CwConstraints* constrained, const Cancellation& cancel);

Napi::Value ChineseWhispersJs(const Napi::CallbackInfo& info);
Napi::Value ChineseWhispersSyncJs(const Napi::CallbackInfo& info);

}  // namespace fc
