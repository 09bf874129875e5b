// CPU feature detection (cpuid + xgetbv, including whether the OS saves AVX/AVX-512 state), the list of
// compiled and supported kernel tables, and the active one (best supported, FACECLUST_SIMD, or setIsa).
#pragma once
#include <napi.h>

#include <string>
#include <utility>
#include <vector>

#include "kernels/kernels.h"

namespace fc {

struct CpuFeatures {
  std::vector<std::pair<std::string, bool>> flags;  // in report order
  bool Has(const std::string& name) const;
};

const CpuFeatures& DetectCpu();
std::vector<std::string> CompiledIsas();
std::vector<std::string> SupportedIsas();
const char* ActiveIsa();
// Throws fc::Failure (ERR_FACECLUST_ISA) when `isa` is unknown, not compiled in, or not supported here.
void SetActiveIsa(const std::string& isa, const char* source);
// The table HNSW indexes are created and searched with: the active one, except that when the active one was
// chosen automatically and has no bf16 dot products, a CPU with vdpbf16ps gets the avx512bf16 table (avx512's
// with bf16 dot products). An index then keeps a bf16 search copy beside its links instead of reading the
// caller's fp32 rows: half the bytes, no second memory access per distance. avx512bf16 stays opt-in for the
// radius graph, where its wider candidate bound costs rechecks; hnsw rechecks every candidate anyway.
const Kernels& HnswKernels();
// Applies FACECLUST_SIMD if set (throws like SetActiveIsa), else picks the best supported table.
void InitIsaFromEnvironment();

Napi::Value CapabilitiesJs(const Napi::CallbackInfo& info);
Napi::Value SetIsaJs(const Napi::CallbackInfo& info);

}  // namespace fc
