// Approximate neighbour graphs from an HNSW index (hnswlib's headers, compiled into this addon).
// The index stores each point as its row number only: distances read the caller's Float32Array through our
// runtime-dispatched kernels, so the embeddings live once, in JavaScript, and hnswlib's compile-time SIMD
// choice never matters.
#pragma once
#include <napi.h>

namespace fc {

Napi::Value HnswCreateJs(const Napi::CallbackInfo& info);
Napi::Value HnswLoadJs(const Napi::CallbackInfo& info);
Napi::Value HnswSaveJs(const Napi::CallbackInfo& info);
Napi::Value HnswCountJs(const Napi::CallbackInfo& info);
Napi::Value HnswAddJs(const Napi::CallbackInfo& info);
Napi::Value HnswKnnGraphJs(const Napi::CallbackInfo& info);

}  // namespace fc
