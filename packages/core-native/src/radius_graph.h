// All pairs within a radius, as a CSR graph equal to the float64 reference (docs/ALGORITHMS.md).
#pragma once
#include <napi.h>

#include "graph.h"
#include "kernels/kernels.h"

namespace fc {

CsrGraph RadiusGraph(const Kernels& kernels, const float* x, size_t n, size_t dim, Metric metric, double radius,
                     unsigned threads);

Napi::Value RadiusGraphJs(const Napi::CallbackInfo& info);
Napi::Value RadiusGraphSyncJs(const Napi::CallbackInfo& info);

}  // namespace fc
