// mulberry32 exactly as docs/ALGORITHMS.md (and the TypeScript backend) define it.
#pragma once
#include <cmath>
#include <cstdint>

namespace fc {

class Mulberry32 {
 public:
  explicit Mulberry32(uint32_t seed) : state_(seed) {}
  uint32_t Next() {
    state_ += 0x6D2B79F5u;
    uint32_t t = state_;
    t = (t ^ (t >> 15)) * (t | 1u);
    t ^= t + (t ^ (t >> 7)) * (t | 61u);
    return t ^ (t >> 14);
  }
  // Uniform integer in [0, m).
  uint32_t Below(uint32_t m) { return static_cast<uint32_t>((static_cast<uint64_t>(Next()) * m) >> 32); }

 private:
  uint32_t state_;
};

// JavaScript's `value >>> 0` (ToUint32) for any number.
inline uint32_t ToUint32(double v) {
  if (!std::isfinite(v)) return 0;
  double t = std::trunc(v);
  double m = std::fmod(t, 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return static_cast<uint32_t>(m);
}

}  // namespace fc
