// Rounding fp32 to bf16, shared by the AMX candidate pass (radius_graph.cc) and the HNSW bf16 row copies
// (hnsw_index.cc), so both round the same way.
#pragma once

#include <cstdint>
#include <cstring>

namespace fc {

// bf16 by round-to-nearest-even; subnormals become (signed) zero, as vdpbf16ps would treat them anyway.
inline uint32_t ToBf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  if ((u & 0x7f800000u) == 0) return (u >> 16) & 0x8000u;
  u += 0x7FFFu + ((u >> 16) & 1u);
  return u >> 16;
}

}  // namespace fc
