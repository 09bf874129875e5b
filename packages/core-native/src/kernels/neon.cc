// NEON (AArch64 Advanced SIMD) kernels; compiled only on arm64, where NEON is always present.
// Same structure as avx2.cc: 4-wide fp32, tile of MR rows × 8 columns; the float64 recheck is the scalar
// reference (exact by construction).
#include <arm_neon.h>

#include <cmath>

#include "kernels/kernels.h"
#include "kernels/reference.h"

namespace fc {
namespace {

float SqEuclidean(const float* a, const float* b, size_t dim) {
  float32x4_t s0 = vdupq_n_f32(0.0f), s1 = vdupq_n_f32(0.0f);
  size_t k = 0;
  for (; k + 8 <= dim; k += 8) {
    float32x4_t d0 = vsubq_f32(vld1q_f32(a + k), vld1q_f32(b + k));
    float32x4_t d1 = vsubq_f32(vld1q_f32(a + k + 4), vld1q_f32(b + k + 4));
    s0 = vfmaq_f32(s0, d0, d0);
    s1 = vfmaq_f32(s1, d1, d1);
  }
  float s = vaddvq_f32(vaddq_f32(s0, s1));
  for (; k < dim; ++k) {
    float d = a[k] - b[k];
    s += d * d;
  }
  return s;
}

float Euclidean(const float* a, const float* b, size_t dim) { return std::sqrt(SqEuclidean(a, b, dim)); }

float Cosine(const float* a, const float* b, size_t dim) {
  float32x4_t ab = vdupq_n_f32(0.0f), aa = vdupq_n_f32(0.0f), bb = vdupq_n_f32(0.0f);
  size_t k = 0;
  for (; k + 4 <= dim; k += 4) {
    float32x4_t va = vld1q_f32(a + k), vb = vld1q_f32(b + k);
    ab = vfmaq_f32(ab, va, vb);
    aa = vfmaq_f32(aa, va, va);
    bb = vfmaq_f32(bb, vb, vb);
  }
  float sab = vaddvq_f32(ab), saa = vaddvq_f32(aa), sbb = vaddvq_f32(bb);
  for (; k < dim; ++k) sab += a[k] * b[k], saa += a[k] * a[k], sbb += b[k] * b[k];
  if (saa == 0.0f || sbb == 0.0f) return 1.0f;
  return 1.0f - sab / (std::sqrt(saa) * std::sqrt(sbb));
}

float Manhattan(const float* a, const float* b, size_t dim) {
  float32x4_t s = vdupq_n_f32(0.0f);
  size_t k = 0;
  for (; k + 4 <= dim; k += 4) s = vaddq_f32(s, vabdq_f32(vld1q_f32(a + k), vld1q_f32(b + k)));
  float r = vaddvq_f32(s);
  for (; k < dim; ++k) r += std::fabs(a[k] - b[k]);
  return r;
}

float Chebyshev(const float* a, const float* b, size_t dim) {
  float32x4_t s = vdupq_n_f32(0.0f);
  size_t k = 0;
  for (; k + 4 <= dim; k += 4) s = vmaxq_f32(s, vabdq_f32(vld1q_f32(a + k), vld1q_f32(b + k)));
  float r = vmaxvq_f32(s);
  for (; k < dim; ++k) r = std::fmax(r, std::fabs(a[k] - b[k]));
  return r;
}

void ReferenceSums(SumOp op, const float* a, const float* x, size_t dim, const uint32_t* js, size_t count,
                   double* out) {
  for (size_t t = 0; t < count; ++t) out[t] = ref::Sum(op, a, x + static_cast<size_t>(js[t]) * dim, dim);
}

constexpr int kNR = 8;
constexpr int kMrDot = 8;   // 16 accumulators of 32 q registers
constexpr int kMrDiff = 6;

template <TileOp OP, int MR>
void TileImpl(const float* ap, const float* bp, size_t dim, const float* row_t, const float* col_h,
              uint64_t* masks) {
  float32x4_t c0[MR], c1[MR];
  for (int r = 0; r < MR; ++r) c0[r] = c1[r] = vdupq_n_f32(0.0f);
  for (size_t k = 0; k < dim; ++k) {
    const float32x4_t b0 = vld1q_f32(bp + k * kNR), b1 = vld1q_f32(bp + k * kNR + 4);
    const float* a = ap + k * MR;
    for (int r = 0; r < MR; ++r) {
      const float32x4_t va = vdupq_n_f32(a[r]);
      if (OP == kTileDot) {
        c0[r] = vfmaq_f32(c0[r], va, b0);
        c1[r] = vfmaq_f32(c1[r], va, b1);
      } else if (OP == kTileL1) {
        c0[r] = vaddq_f32(c0[r], vabdq_f32(va, b0));
        c1[r] = vaddq_f32(c1[r], vabdq_f32(va, b1));
      } else {
        c0[r] = vmaxq_f32(c0[r], vabdq_f32(va, b0));
        c1[r] = vmaxq_f32(c1[r], vabdq_f32(va, b1));
      }
    }
  }
  for (int r = 0; r < MR; ++r) {
    alignas(16) float v[8];
    vst1q_f32(v, c0[r]);
    vst1q_f32(v + 4, c1[r]);
    uint64_t m = 0;
    for (int c = 0; c < kNR; ++c) {
      bool hit = OP == kTileDot ? (v[c] - col_h[c] >= row_t[r]) : (v[c] <= row_t[r]);
      m |= static_cast<uint64_t>(hit) << c;
    }
    masks[r] = m;
  }
}

void Tile(TileOp op, const float* ap, const float* bp, size_t dim, const float* row_t, const float* col_h,
          uint64_t* masks) {
  switch (op) {
    case kTileDot: return TileImpl<kTileDot, kMrDot>(ap, bp, dim, row_t, col_h, masks);
    case kTileL1: return TileImpl<kTileL1, kMrDiff>(ap, bp, dim, row_t, col_h, masks);
    default: return TileImpl<kTileLinf, kMrDiff>(ap, bp, dim, row_t, col_h, masks);
  }
}

const Kernels kNeon = {
    "neon",
    {Euclidean, SqEuclidean, Cosine, Manhattan, Chebyshev},
    DotBf16Reference,  // bf16 HNSW rows are only created on x86 bf16 paths; a loaded one searches with the reference
    ReferenceSums,
    Tile,
    {kMrDot, kMrDiff, kMrDiff},
    kNR,
};

}  // namespace

const Kernels& NeonKernels() { return kNeon; }

}  // namespace fc
