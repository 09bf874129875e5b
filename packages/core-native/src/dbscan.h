// DBSCAN over a radius graph (scikit-learn's definition; docs/ALGORITHMS.md gives the exact visiting order).
#pragma once
#include <napi.h>

#include <cstdint>
#include <vector>

namespace fc {

std::vector<int32_t> Dbscan(const uint32_t* offsets, const int32_t* indices, size_t n, size_t minSamples);

Napi::Value DbscanJs(const Napi::CallbackInfo& info);
Napi::Value DbscanSyncJs(const Napi::CallbackInfo& info);

}  // namespace fc
