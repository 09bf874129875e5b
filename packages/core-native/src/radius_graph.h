// All pairs within a radius, as a CSR graph equal to the float64 reference (docs/ALGORITHMS.md).
#pragma once
#include <napi.h>

#include "cancel.h"
#include "graph.h"
#include "kernels/kernels.h"

namespace fc {

// Throws the cancellation Failure when `cancel` is raised (checked between blocks of rows and columns).
CsrGraph RadiusGraph(const Kernels& kernels, const float* x, size_t n, size_t dim, Metric metric, double radius,
                     unsigned threads, const Cancellation& cancel);

Napi::Value RadiusGraphJs(const Napi::CallbackInfo& info);
Napi::Value RadiusGraphSyncJs(const Napi::CallbackInfo& info);

}  // namespace fc
