#include "capabilities.h"

#include <atomic>
#include <cstdlib>
#include <thread>

#include "errors.h"
#include "args.h"
#include "promise_worker.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#define FACECLUST_X86 1
#include <cpuid.h>
#endif

namespace fc {
namespace {

#if FACECLUST_X86
void Cpuid(unsigned leaf, unsigned sub, unsigned r[4]) { __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]); }
unsigned long long Xgetbv0() {
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<unsigned long long>(hi) << 32) | lo;
}
#endif

CpuFeatures Detect() {
  CpuFeatures f;
#if FACECLUST_X86
  unsigned r1[4] = {0}, r7[4] = {0}, r71[4] = {0}, r0[4] = {0};
  Cpuid(0, 0, r0);
  unsigned maxLeaf = r0[0];
  Cpuid(1, 0, r1);
  if (maxLeaf >= 7) {
    Cpuid(7, 0, r7);
    if (r7[0] >= 1) Cpuid(7, 1, r71);
  }
  bool osxsave = (r1[2] >> 27) & 1;
  unsigned long long xcr0 = osxsave ? Xgetbv0() : 0;
  bool osAvx = (xcr0 & 0x6) == 0x6;            // XMM + YMM state saved by the OS
  bool osAvx512 = osAvx && (xcr0 & 0xe0) == 0xe0;  // + opmask, ZMM_Hi256, Hi16_ZMM
  auto bit = [](unsigned reg, int b) { return ((reg >> b) & 1) != 0; };
  f.flags = {
      {"sse4_2", bit(r1[2], 20)},
      {"avx", bit(r1[2], 28) && osAvx},
      {"fma", bit(r1[2], 12) && osAvx},
      {"f16c", bit(r1[2], 29) && osAvx},
      {"avx2", bit(r7[1], 5) && osAvx},
      {"osAvx512", osAvx512},
      {"avx512f", bit(r7[1], 16) && osAvx512},
      {"avx512dq", bit(r7[1], 17) && osAvx512},
      {"avx512bw", bit(r7[1], 30) && osAvx512},
      {"avx512vl", bit(r7[1], 31) && osAvx512},
      {"avx512vnni", bit(r7[2], 11) && osAvx512},
      {"avx512bf16", bit(r71[0], 5) && osAvx512},
      {"avx512fp16", bit(r7[3], 23) && osAvx512},
      {"amxbf16", bit(r7[3], 22) && (xcr0 & 0x60000) == 0x60000},
      {"amxtile", bit(r7[3], 24) && (xcr0 & 0x60000) == 0x60000},
      {"neon", false},
  };
#elif defined(__aarch64__)
  f.flags = {{"neon", true}};  // Advanced SIMD is mandatory on AArch64
#else
  f.flags = {{"neon", false}};
#endif
  return f;
}

struct Entry {
  const char* name;
  const Kernels* (*get)();
  bool (*supported)(const CpuFeatures&);
  // Chosen automatically when supported. avx512bf16 is opt-in: vdpbf16ps retires no more products per cycle
  // than fp32 FMA, and its wider bound yields more candidates to recheck (README).
  bool automatic = true;
};

const Entry kEntries[] = {
    {"scalar", [] { return &ScalarKernels(); }, [](const CpuFeatures&) { return true; }},
#if defined(FACECLUST_HAVE_AVX2)
    {"avx2", [] { return &Avx2Kernels(); }, [](const CpuFeatures& c) { return c.Has("avx2") && c.Has("fma"); }},
#endif
#if defined(FACECLUST_HAVE_AVX512)
    {"avx512", [] { return &Avx512Kernels(); },
     [](const CpuFeatures& c) {
       return c.Has("avx512f") && c.Has("avx512bw") && c.Has("avx512vl") && c.Has("avx512dq") && c.Has("fma") &&
              c.Has("avx2");
     }},
#endif
#if defined(FACECLUST_HAVE_AVX512BF16)
    {"avx512bf16", [] { return &Avx512Bf16Kernels(); },
     [](const CpuFeatures& c) {
       return c.Has("avx512f") && c.Has("avx512bw") && c.Has("avx512vl") && c.Has("avx512dq") && c.Has("fma") &&
              c.Has("avx2") && c.Has("avx512bf16") && c.Has("avx512vnni");
     },
     false},
#endif
#if defined(FACECLUST_HAVE_AMX)
    // avx512bf16 too: the amx table's HNSW bf16 dot is vdpbf16ps (every AMX-BF16 CPU has it).
    {"amx", [] { return &AmxKernels(); },
     [](const CpuFeatures& c) {
       return c.Has("avx512f") && c.Has("avx512bw") && c.Has("avx512vl") && c.Has("avx512dq") && c.Has("fma") &&
              c.Has("avx2") && c.Has("avx512bf16") && c.Has("avx512vnni") && c.Has("amxbf16") && c.Has("amxtile") && AmxPermitted();
     }},
#endif
#if defined(FACECLUST_HAVE_NEON)
    {"neon", [] { return &NeonKernels(); }, [](const CpuFeatures& c) { return c.Has("neon"); }},
#endif
};

std::atomic<const Kernels*> g_active{nullptr};
std::atomic<bool> g_forced{false};  // the active table was asked for (FACECLUST_SIMD, setIsa), not chosen

}  // namespace

bool CpuFeatures::Has(const std::string& name) const {
  for (const auto& p : flags)
    if (p.first == name) return p.second;
  return false;
}

const CpuFeatures& DetectCpu() {
  static const CpuFeatures features = Detect();
  return features;
}

std::vector<std::string> CompiledIsas() {
  std::vector<std::string> out;
  for (const auto& e : kEntries) out.push_back(e.name);
  return out;
}

std::vector<std::string> SupportedIsas() {
  std::vector<std::string> out;
  for (const auto& e : kEntries)
    if (e.supported(DetectCpu())) out.push_back(e.name);
  return out;
}

const Kernels& ActiveKernels() {
  const Kernels* k = g_active.load(std::memory_order_acquire);
  return k ? *k : ScalarKernels();
}

const char* ActiveIsa() { return ActiveKernels().name; }

void SetActiveIsa(const std::string& isa, const char* source) {
  std::string names;
  for (const auto& e : kEntries) {
    names += names.empty() ? "" : ", ";
    names += e.name;
    if (isa != e.name) continue;
    if (!e.supported(DetectCpu())) {
      throw Failure("ERR_FACECLUST_ISA", std::string(source) + ": instruction set '" + isa +
                                             "' is compiled in but not supported by this CPU/OS",
                    ErrorKind::kRange);
    }
    g_active.store(e.get(), std::memory_order_release);
    g_forced = true;
    return;
  }
  throw Failure("ERR_FACECLUST_ISA",
                std::string(source) + ": expected one of " + names + " but received '" + isa + "'",
                ErrorKind::kRange);
}

void InitIsaFromEnvironment() {
  const char* forced = std::getenv("FACECLUST_SIMD");
  if (forced && *forced) {
    SetActiveIsa(forced, "FACECLUST_SIMD");
    return;
  }
  const Kernels* best = &ScalarKernels();
  for (const auto& e : kEntries)
    if (e.automatic && e.supported(DetectCpu())) best = e.get();  // listed from least to most capable
  g_active.store(best, std::memory_order_release);
  g_forced = false;
}

const Kernels& HnswKernels() {
  const Kernels& active = ActiveKernels();
#if defined(FACECLUST_HAVE_AVX512BF16)
  if (!g_forced && !active.tile_bf16_dot) {
    for (const auto& e : kEntries)
      if (std::string(e.name) == "avx512bf16" && e.supported(DetectCpu())) return *e.get();
  }
#endif
  return active;
}

Napi::Value CapabilitiesJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto list = [&](const std::vector<std::string>& v) {
    Napi::Array a = Napi::Array::New(env, v.size());
    for (size_t i = 0; i < v.size(); ++i) a.Set(static_cast<uint32_t>(i), v[i]);
    return a;
  };
  Napi::Object o = Napi::Object::New(env);
  o.Set("compiled", list(CompiledIsas()));
  o.Set("supported", list(SupportedIsas()));
  o.Set("active", ActiveIsa());
  o.Set("hnsw", HnswKernels().name);
  Napi::Object features = Napi::Object::New(env);
  for (const auto& p : DetectCpu().flags) features.Set(p.first, p.second);
  o.Set("features", features);
  o.Set("hardwareThreads", std::thread::hardware_concurrency());
  o.Set("napiVersion", NAPI_VERSION);
  return o;
}

Napi::Value SetIsaJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    if (!info[0].IsString()) {
      throw Failure("ERR_FACECLUST_ISA", "Expected a string for isa but received " + Describe(info[0]),
                    ErrorKind::kType);
    }
    SetActiveIsa(info[0].As<Napi::String>().Utf8Value(), "setIsa");
    return info.Env().Undefined();
  });
}

}  // namespace fc
