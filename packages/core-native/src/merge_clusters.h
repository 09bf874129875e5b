// The merge pass after Chinese Whispers (docs/ALGORITHMS.md, "Merge pass"): clusters whose closest faces are
// within a radius are joined, closest pairs first, unless a cannot-link separates them.
#pragma once
#include <napi.h>

#include <cstdint>
#include <vector>

#include "cancel.h"

namespace fc {

// Cannot-links between nodes (the must-link groups the clustering ran on): `nodeLabels` is each node's label
// (the label of its rows), and the partners of each node are a CSR over the nodes.
struct MergeConstraints {
  const int32_t* nodeLabels;
  size_t nodes;
  const uint32_t* cannotOffsets;
  const int32_t* cannotIndices;
};

// `labels` holds each row's label, a value in [0, n). Returns the merged labels: every label of a joined
// set becomes the smallest of them. Throws the cancellation Failure when `cancel` is raised.
std::vector<int32_t> MergeClusters(const uint32_t* offsets, const int32_t* indices, const float* distances, size_t n,
                                   const int32_t* labels, double radius, const MergeConstraints* constrained,
                                   const Cancellation& cancel);

Napi::Value MergeClustersJs(const Napi::CallbackInfo& info);
Napi::Value MergeClustersSyncJs(const Napi::CallbackInfo& info);

}  // namespace fc
