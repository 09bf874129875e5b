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
// Applies FACECLUST_SIMD if set (throws like SetActiveIsa), else picks the best supported table.
void InitIsaFromEnvironment();

Napi::Value CapabilitiesJs(const Napi::CallbackInfo& info);
Napi::Value SetIsaJs(const Napi::CallbackInfo& info);

}  // namespace fc
