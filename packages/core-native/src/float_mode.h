// Per-thread floating-point mode: flush-to-zero and denormals-are-zero (MXCSR on x86-64, FPCR.FZ on AArch64).
// For threads that run someone else's float kernels: onnxruntime's CPU provider slows down 3-8x on models
// whose weights or activations hold subnormal values, and its own set_denormal_as_zero option reaches only
// the first session's creating thread and its pool threads, not a worker thread that runs a session inline.
#pragma once
#include <napi.h>

namespace fc {

// Sets or clears FTZ+DAZ on the calling thread; returns whether both were set before. Returns false and
// changes nothing where the CPU has no such mode.
bool SetFlushDenormals(bool on);

Napi::Value SetFlushDenormalsJs(const Napi::CallbackInfo& info);

}  // namespace fc
