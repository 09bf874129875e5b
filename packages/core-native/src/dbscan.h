// DBSCAN over a radius graph (scikit-learn's definition; docs/ALGORITHMS.md gives the exact visiting order).
#pragma once
#include <napi.h>

#include <cstdint>
#include <vector>

#include "cancel.h"

namespace fc {

// Throws the cancellation Failure when `cancel` is raised (checked every 4096 points popped or scanned).
std::vector<int32_t> Dbscan(const uint32_t* offsets, const int32_t* indices, size_t n, size_t minSamples,
                            const Cancellation& cancel);

Napi::Value DbscanJs(const Napi::CallbackInfo& info);
Napi::Value DbscanSyncJs(const Napi::CallbackInfo& info);

}  // namespace fc
