// A CSR neighbour graph as produced by the core (plain vectors; converted to typed arrays on the main thread),
// and the cheap structural checks applied to graphs received from JavaScript.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "errors.h"

namespace fc {

struct CsrGraph {
  std::vector<uint32_t> offsets;
  std::vector<int32_t> indices;
  std::vector<float> distances;
};

// offsets: n+1 non-decreasing values from 0; every index in [0, n); `edgeArrays` long enough. The names are
// those of the arguments in messages (a graph's, or the cannot-link CSR's).
inline void CheckCsr(const uint32_t* offsets, size_t offsetsLength, const int32_t* indices, size_t indicesLength,
                     size_t distancesLength, bool needDistances, size_t n, const std::string& offsetsName = "offsets",
                     const std::string& indicesName = "indices") {
  if (offsetsLength != n + 1) {
    throw Failure("ERR_FACECLUST_GRAPH", "Expected " + offsetsName + ".length == n + 1 = " + std::to_string(n + 1) +
                                             " but received " + std::to_string(offsetsLength),
                  ErrorKind::kRange);
  }
  if (offsets[0] != 0) {
    throw Failure("ERR_FACECLUST_GRAPH", "Expected " + offsetsName + "[0] == 0 but received " + std::to_string(offsets[0]),
                  ErrorKind::kRange);
  }
  for (size_t i = 0; i < n; ++i) {
    if (offsets[i + 1] < offsets[i]) {
      throw Failure("ERR_FACECLUST_GRAPH", "Expected non-decreasing " + offsetsName + " but " + offsetsName + "[" + std::to_string(i + 1) +
                                               "] = " + std::to_string(offsets[i + 1]) + " < " + offsetsName + "[" +
                                               std::to_string(i) + "] = " + std::to_string(offsets[i]),
                    ErrorKind::kRange);
    }
  }
  size_t m = offsets[n];
  if (m > indicesLength || (needDistances && m > distancesLength)) {
    throw Failure("ERR_FACECLUST_GRAPH", "Expected " + indicesName + (needDistances ? " (and distances)" : "") + " to hold " + offsetsName + "[n] = " + std::to_string(m) +
                                             " edges but received lengths " + std::to_string(indicesLength) +
                                             (needDistances ? " and " + std::to_string(distancesLength) : ""),
                  ErrorKind::kRange);
  }
  for (size_t e = 0; e < m; ++e) {
    if (indices[e] < 0 || static_cast<size_t>(indices[e]) >= n) {
      throw Failure("ERR_FACECLUST_GRAPH", "Expected " + indicesName + " in [0, n) = [0, " + std::to_string(n) +
                                               ") but received " + indicesName + "[" + std::to_string(e) +
                                               "] = " + std::to_string(indices[e]),
                    ErrorKind::kRange);
    }
  }
}

// Building a graph frees many small blocks (per-row lists) that glibc keeps in its arenas, resident, for the
// rest of the process: their pages are handed back before the next large allocation (README, "A million faces").
inline void ReleaseFreedMemory() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

inline Napi::Object CsrToJs(Napi::Env env, const CsrGraph& g) {
  ReleaseFreedMemory();
  auto offsets = Napi::Uint32Array::New(env, g.offsets.size());
  auto indices = Napi::Int32Array::New(env, g.indices.size());
  auto distances = Napi::Float32Array::New(env, g.distances.size());
  std::copy(g.offsets.begin(), g.offsets.end(), offsets.Data());
  std::copy(g.indices.begin(), g.indices.end(), indices.Data());
  std::copy(g.distances.begin(), g.distances.end(), distances.Data());
  Napi::Object o = Napi::Object::New(env);
  o.Set("offsets", offsets);
  o.Set("indices", indices);
  o.Set("distances", distances);
  return o;
}

}  // namespace fc
