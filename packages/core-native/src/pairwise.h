// Fast fp32 distances of every row of a to every row of b (na×nb output), through the active kernel table.
#pragma once
#include <napi.h>

#include "cancel.h"
#include "kernels/kernels.h"

namespace fc {

void Pairwise(const Kernels& k, const float* a, size_t na, const float* b, size_t nb, size_t dim, Metric metric,
              float* out, unsigned threads, const Cancellation& cancel);

Napi::Value PairwiseJs(const Napi::CallbackInfo& info);
Napi::Value PairwiseSyncJs(const Napi::CallbackInfo& info);
// dotBf16Sync(a, b): the active table's bf16 dot (the HNSW search distance on bf16 rows), for tests and
// kernel benchmarks.
Napi::Value DotBf16SyncJs(const Napi::CallbackInfo& info);
// dotI8Sync(a, b): the active table's int8 dot (the HNSW search distance on int8 rows), for tests.
Napi::Value DotI8SyncJs(const Napi::CallbackInfo& info);

}  // namespace fc
