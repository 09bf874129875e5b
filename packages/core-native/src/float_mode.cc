#include "float_mode.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <xmmintrin.h>
#endif

#include "args.h"
#include "promise_worker.h"

namespace fc {

bool SetFlushDenormals(bool on) {
#if defined(__x86_64__) || defined(_M_X64)
  constexpr unsigned kFtz = 1u << 15, kDaz = 1u << 6;  // MXCSR bits
  const unsigned csr = _mm_getcsr();
  const bool was = (csr & (kFtz | kDaz)) == (kFtz | kDaz);
  _mm_setcsr(on ? (csr | kFtz | kDaz) : (csr & ~(kFtz | kDaz)));
  return was;
#elif defined(__aarch64__)
  constexpr unsigned long kFz = 1ul << 24;  // FPCR.FZ flushes both inputs and results
  unsigned long fpcr;
  __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
  const bool was = (fpcr & kFz) != 0;
  fpcr = on ? (fpcr | kFz) : (fpcr & ~kFz);
  __asm__ volatile("msr fpcr, %0" : : "r"(fpcr));
  return was;
#else
  (void)on;
  return false;
#endif
}

Napi::Value SetFlushDenormalsJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    return Napi::Boolean::New(info.Env(), SetFlushDenormals(GetBool(info, 0, "on")));
  });
}

}  // namespace fc
