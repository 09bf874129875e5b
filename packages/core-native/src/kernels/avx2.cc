// AVX2 + FMA kernels (ymm). Same structure as avx512.cc with 8-wide fp32 / 4-wide fp64 lanes.
#include <immintrin.h>

#include <cmath>

#include "kernels/kernels.h"
#include "kernels/reference.h"

namespace fc {
namespace {

inline float HSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline float HMax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline __m256 Abs(__m256 v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }
inline __m256d Abs(__m256d v) { return _mm256_andnot_pd(_mm256_set1_pd(-0.0), v); }

// Loads the last dim % 8 values with zeros beyond.
inline __m256 LoadTail(const float* p, size_t left) {
  alignas(32) float buf[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (size_t i = 0; i < left; ++i) buf[i] = p[i];
  return _mm256_load_ps(buf);
}

float SqEuclidean(const float* a, const float* b, size_t dim) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  size_t k = 0;
  for (; k + 16 <= dim; k += 16) {
    __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + k), _mm256_loadu_ps(b + k));
    __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + k + 8), _mm256_loadu_ps(b + k + 8));
    s0 = _mm256_fmadd_ps(d0, d0, s0);
    s1 = _mm256_fmadd_ps(d1, d1, s1);
  }
  for (; k + 8 <= dim; k += 8) {
    __m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + k), _mm256_loadu_ps(b + k));
    s0 = _mm256_fmadd_ps(d, d, s0);
  }
  if (k < dim) {
    __m256 d = _mm256_sub_ps(LoadTail(a + k, dim - k), LoadTail(b + k, dim - k));
    s1 = _mm256_fmadd_ps(d, d, s1);
  }
  return HSum(_mm256_add_ps(s0, s1));
}

float Euclidean(const float* a, const float* b, size_t dim) { return std::sqrt(SqEuclidean(a, b, dim)); }

float Cosine(const float* a, const float* b, size_t dim) {
  __m256 ab = _mm256_setzero_ps(), aa = _mm256_setzero_ps(), bb = _mm256_setzero_ps();
  for (size_t k = 0; k < dim; k += 8) {
    bool full = k + 8 <= dim;
    __m256 va = full ? _mm256_loadu_ps(a + k) : LoadTail(a + k, dim - k);
    __m256 vb = full ? _mm256_loadu_ps(b + k) : LoadTail(b + k, dim - k);
    ab = _mm256_fmadd_ps(va, vb, ab);
    aa = _mm256_fmadd_ps(va, va, aa);
    bb = _mm256_fmadd_ps(vb, vb, bb);
  }
  float saa = HSum(aa), sbb = HSum(bb);
  if (saa == 0.0f || sbb == 0.0f) return 1.0f;
  return 1.0f - HSum(ab) / (std::sqrt(saa) * std::sqrt(sbb));
}

template <bool kMax>
float DiffImpl(const float* a, const float* b, size_t dim) {
  __m256 s = _mm256_setzero_ps();
  for (size_t k = 0; k < dim; k += 8) {
    bool full = k + 8 <= dim;
    __m256 d = Abs(_mm256_sub_ps(full ? _mm256_loadu_ps(a + k) : LoadTail(a + k, dim - k),
                                 full ? _mm256_loadu_ps(b + k) : LoadTail(b + k, dim - k)));
    s = kMax ? _mm256_max_ps(s, d) : _mm256_add_ps(s, d);
  }
  return kMax ? HMax(s) : HSum(s);
}
float Manhattan(const float* a, const float* b, size_t dim) { return DiffImpl<false>(a, b, dim); }
float Chebyshev(const float* a, const float* b, size_t dim) { return DiffImpl<true>(a, b, dim); }

// ---- float64 reference sums, one pair per lane (bit-identical to reference.h; see avx512.cc) ----

template <SumOp OP>
inline __m256d Step(__m256d s, __m256d a, __m256d b) {
  if (OP == kSumDot) return _mm256_add_pd(s, _mm256_mul_pd(a, b));
  __m256d d = _mm256_sub_pd(a, b);
  if (OP == kSumSqDiff) return _mm256_add_pd(s, _mm256_mul_pd(d, d));
  d = Abs(d);
  if (OP == kSumAbsDiff) return _mm256_add_pd(s, d);
  return _mm256_blendv_pd(s, d, _mm256_cmp_pd(d, s, _CMP_GT_OQ));
}

template <SumOp OP>
void SumsImpl(const float* a, const float* x, size_t dim, const uint32_t* js, size_t count, double* out) {
  size_t t = 0;
  for (; t + 8 <= count; t += 8) {
    const long long d = static_cast<long long>(dim);
    __m256i i0 = _mm256_setr_epi64x(js[t] * d, js[t + 1] * d, js[t + 2] * d, js[t + 3] * d);
    __m256i i1 = _mm256_setr_epi64x(js[t + 4] * d, js[t + 5] * d, js[t + 6] * d, js[t + 7] * d);
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    for (size_t k = 0; k < dim; ++k) {
      __m256d va = _mm256_set1_pd(static_cast<double>(a[k]));
      s0 = Step<OP>(s0, va, _mm256_cvtps_pd(_mm256_i64gather_ps(x + k, i0, 4)));
      s1 = Step<OP>(s1, va, _mm256_cvtps_pd(_mm256_i64gather_ps(x + k, i1, 4)));
    }
    _mm256_storeu_pd(out + t, s0);
    _mm256_storeu_pd(out + t + 4, s1);
  }
  for (; t < count; ++t) out[t] = ref::Sum(OP, a, x + static_cast<size_t>(js[t]) * dim, dim);
}

void ReferenceSums(SumOp op, const float* a, const float* x, size_t dim, const uint32_t* js, size_t count,
                   double* out) {
  switch (op) {
    case kSumSqDiff: return SumsImpl<kSumSqDiff>(a, x, dim, js, count, out);
    case kSumDot: return SumsImpl<kSumDot>(a, x, dim, js, count, out);
    case kSumAbsDiff: return SumsImpl<kSumAbsDiff>(a, x, dim, js, count, out);
    default: return SumsImpl<kSumMaxAbs>(a, x, dim, js, count, out);
  }
}

// ---- radius-graph tile: MR rows × 16 columns (2 ymm per row) ----

constexpr int kNR = 16;
constexpr int kMrDot = 6;   // 12 accumulators + 2 B + 1 broadcast of 16 ymm
constexpr int kMrDiff = 4;  // room for |a-b| temporaries and the sign mask

template <TileOp OP, int MR>
void TileImpl(const float* ap, const float* bp, size_t dim, const float* row_t, const float* col_h,
              uint64_t* masks) {
  __m256 c0[MR], c1[MR];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) c0[r] = c1[r] = _mm256_setzero_ps();
  for (size_t k = 0; k < dim; ++k) {
    const __m256 b0 = _mm256_load_ps(bp + k * kNR), b1 = _mm256_load_ps(bp + k * kNR + 8);
    const float* a = ap + k * MR;
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const __m256 va = _mm256_broadcast_ss(a + r);
      if (OP == kTileDot) {
        c0[r] = _mm256_fmadd_ps(va, b0, c0[r]);
        c1[r] = _mm256_fmadd_ps(va, b1, c1[r]);
      } else if (OP == kTileL1) {
        c0[r] = _mm256_add_ps(c0[r], Abs(_mm256_sub_ps(va, b0)));
        c1[r] = _mm256_add_ps(c1[r], Abs(_mm256_sub_ps(va, b1)));
      } else {
        c0[r] = _mm256_max_ps(c0[r], Abs(_mm256_sub_ps(va, b0)));
        c1[r] = _mm256_max_ps(c1[r], Abs(_mm256_sub_ps(va, b1)));
      }
    }
  }
  const __m256 h0 = OP == kTileDot ? _mm256_loadu_ps(col_h) : _mm256_setzero_ps();
  const __m256 h1 = OP == kTileDot ? _mm256_loadu_ps(col_h + 8) : _mm256_setzero_ps();
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
    const __m256 t = _mm256_set1_ps(row_t[r]);
    uint64_t m0, m1;
    if (OP == kTileDot) {
      m0 = static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(_mm256_sub_ps(c0[r], h0), t, _CMP_GE_OQ)));
      m1 = static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(_mm256_sub_ps(c1[r], h1), t, _CMP_GE_OQ)));
    } else {
      m0 = static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(c0[r], t, _CMP_LE_OQ)));
      m1 = static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(c1[r], t, _CMP_LE_OQ)));
    }
    masks[r] = m0 | (m1 << 8);
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

// bf16 dot (HNSW search on bf16 rows): each bf16 widened to fp32 by a shift or a mask, then fp32 FMA.
float DotBf16(const uint32_t* a, const uint32_t* b, size_t words) {
  const __m256i upper = _mm256_set1_epi32(static_cast<int>(0xFFFF0000u));
  __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
  for (size_t k = 0; k < words; k += 8) {
    const __m256i va = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + k));
    const __m256i vb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + k));
    lo = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_slli_epi32(va, 16)), _mm256_castsi256_ps(_mm256_slli_epi32(vb, 16)), lo);
    hi = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_and_si256(va, upper)), _mm256_castsi256_ps(_mm256_and_si256(vb, upper)), hi);
  }
  return HSum(_mm256_add_ps(lo, hi));
}

const Kernels kAvx2 = {
    "avx2",
    {Euclidean, SqEuclidean, Cosine, Manhattan, Chebyshev},
    DotBf16,
    ReferenceSums,
    Tile,
    {kMrDot, kMrDiff, kMrDiff},
    kNR,
};

}  // namespace

const Kernels& Avx2Kernels() { return kAvx2; }

}  // namespace fc
