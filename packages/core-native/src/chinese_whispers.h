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

// Throws the cancellation Failure when `cancel` is raised (checked every 4096 nodes visited).
ChineseWhispersResult ChineseWhispers(const uint32_t* offsets, const int32_t* indices, const float* distances,
                                      size_t n, uint32_t iterations, uint32_t seed, bool unitWeights,
                                      const Cancellation& cancel);

Napi::Value ChineseWhispersJs(const Napi::CallbackInfo& info);
Napi::Value ChineseWhispersSyncJs(const Napi::CallbackInfo& info);

}  // namespace fc
