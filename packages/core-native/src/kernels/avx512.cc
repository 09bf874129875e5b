// AVX-512 (F/BW/VL/DQ + FMA) kernels. Compiled with its own -mavx512* flags; called only after
// capabilities.cc has checked the CPU and OS support the state. fp32 FMA is requested explicitly through
// intrinsics; the float64 recheck uses separate mul/add (the file is built with -ffp-contract=off).
#include <immintrin.h>

#include <cmath>

#include "kernels/kernels.h"
#include "kernels/reference.h"

namespace fc {
namespace {

// ---- fast fp32 pair distances (pairwise) ----

inline __mmask16 TailMask(size_t left) { return left >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << left) - 1); }

float SqEuclidean(const float* a, const float* b, size_t dim) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  size_t k = 0;
  for (; k + 32 <= dim; k += 32) {
    __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + k), _mm512_loadu_ps(b + k));
    __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(a + k + 16), _mm512_loadu_ps(b + k + 16));
    s0 = _mm512_fmadd_ps(d0, d0, s0);
    s1 = _mm512_fmadd_ps(d1, d1, s1);
  }
  for (; k < dim; k += 16) {
    __mmask16 m = TailMask(dim - k);
    __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + k), _mm512_maskz_loadu_ps(m, b + k));
    s0 = _mm512_fmadd_ps(d, d, s0);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

float Euclidean(const float* a, const float* b, size_t dim) { return std::sqrt(SqEuclidean(a, b, dim)); }

float Cosine(const float* a, const float* b, size_t dim) {
  __m512 ab = _mm512_setzero_ps(), aa = _mm512_setzero_ps(), bb = _mm512_setzero_ps();
  for (size_t k = 0; k < dim; k += 16) {
    __mmask16 m = TailMask(dim - k);
    __m512 va = _mm512_maskz_loadu_ps(m, a + k), vb = _mm512_maskz_loadu_ps(m, b + k);
    ab = _mm512_fmadd_ps(va, vb, ab);
    aa = _mm512_fmadd_ps(va, va, aa);
    bb = _mm512_fmadd_ps(vb, vb, bb);
  }
  float saa = _mm512_reduce_add_ps(aa), sbb = _mm512_reduce_add_ps(bb);
  if (saa == 0.0f || sbb == 0.0f) return 1.0f;
  return 1.0f - _mm512_reduce_add_ps(ab) / (std::sqrt(saa) * std::sqrt(sbb));
}

float Manhattan(const float* a, const float* b, size_t dim) {
  __m512 s = _mm512_setzero_ps();
  for (size_t k = 0; k < dim; k += 16) {
    __mmask16 m = TailMask(dim - k);
    s = _mm512_add_ps(s, _mm512_abs_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + k), _mm512_maskz_loadu_ps(m, b + k))));
  }
  return _mm512_reduce_add_ps(s);
}

float Chebyshev(const float* a, const float* b, size_t dim) {
  __m512 s = _mm512_setzero_ps();
  for (size_t k = 0; k < dim; k += 16) {
    __mmask16 m = TailMask(dim - k);
    s = _mm512_max_ps(s, _mm512_abs_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + k), _mm512_maskz_loadu_ps(m, b + k))));
  }
  return _mm512_reduce_max_ps(s);
}

// ---- float64 reference sums, one pair per lane ----
// Each lane performs exactly the scalar sequence (convert, subtract, multiply, add in k order), so results
// are bit-identical to kernels/reference.h; lanes only hide the latency of the sequential sum.

template <SumOp OP>
inline __m512d Step(__m512d s, __m512d a, __m512d b) {
  if (OP == kSumDot) return _mm512_add_pd(s, _mm512_mul_pd(a, b));
  __m512d d = _mm512_sub_pd(a, b);
  if (OP == kSumSqDiff) return _mm512_add_pd(s, _mm512_mul_pd(d, d));
  if (OP == kSumAbsDiff) return _mm512_add_pd(s, _mm512_abs_pd(d));
  // max: take d only when d > s, as the reference does.
  d = _mm512_abs_pd(d);
  return _mm512_mask_mov_pd(s, _mm512_cmp_pd_mask(d, s, _CMP_GT_OQ), d);
}

// Rows of 8 candidates are streamed (sequential loads the prefetcher follows), 8 values at a time, converted
// to double and transposed so that lane t holds candidate t; then the 8 k-steps run in order per lane.
inline void Transpose8x8(__m512d r[8]) {
  const __m512i lo128 = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13), hi128 = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
  const __m512i lo256 = _mm512_setr_epi64(0, 1, 2, 3, 8, 9, 10, 11), hi256 = _mm512_setr_epi64(4, 5, 6, 7, 12, 13, 14, 15);
  __m512d t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm512_unpacklo_pd(r[i], r[i + 1]);      // k0 k2 k4 k6 of rows i, i+1
    t[i + 1] = _mm512_unpackhi_pd(r[i], r[i + 1]);  // k1 k3 k5 k7
  }
  for (int i = 0; i < 8; i += 4) {
    u[i + 0] = _mm512_permutex2var_pd(t[i], lo128, t[i + 2]);      // k0 | k4 of 4 rows
    u[i + 1] = _mm512_permutex2var_pd(t[i], hi128, t[i + 2]);      // k2 | k6
    u[i + 2] = _mm512_permutex2var_pd(t[i + 1], lo128, t[i + 3]);  // k1 | k5
    u[i + 3] = _mm512_permutex2var_pd(t[i + 1], hi128, t[i + 3]);  // k3 | k7
  }
  r[0] = _mm512_permutex2var_pd(u[0], lo256, u[4]);
  r[4] = _mm512_permutex2var_pd(u[0], hi256, u[4]);
  r[2] = _mm512_permutex2var_pd(u[1], lo256, u[5]);
  r[6] = _mm512_permutex2var_pd(u[1], hi256, u[5]);
  r[1] = _mm512_permutex2var_pd(u[2], lo256, u[6]);
  r[5] = _mm512_permutex2var_pd(u[2], hi256, u[6]);
  r[3] = _mm512_permutex2var_pd(u[3], lo256, u[7]);
  r[7] = _mm512_permutex2var_pd(u[3], hi256, u[7]);
}

// Two groups of 8 candidates in flight to hide the latency of the sequential sums.
template <SumOp OP, int G>
void SumsGroups(const float* a, const float* const* rows, size_t dim, double* out) {
  __m512d s[G];
  for (int g = 0; g < G; ++g) s[g] = _mm512_setzero_pd();
  size_t k = 0;
  for (; k + 8 <= dim; k += 8) {
    __m512d va[8];
    for (int q = 0; q < 8; ++q) va[q] = _mm512_set1_pd(static_cast<double>(a[k + q]));
    for (int g = 0; g < G; ++g) {
      __m512d r[8];
      for (int t = 0; t < 8; ++t) r[t] = _mm512_cvtps_pd(_mm256_loadu_ps(rows[g * 8 + t] + k));
      Transpose8x8(r);
      for (int q = 0; q < 8; ++q) s[g] = Step<OP>(s[g], va[q], r[q]);
    }
  }
  for (; k < dim; ++k) {
    __m512d va = _mm512_set1_pd(static_cast<double>(a[k]));
    for (int g = 0; g < G; ++g) {
      const float* const* rw = rows + g * 8;
      __m512d b = _mm512_setr_pd(rw[0][k], rw[1][k], rw[2][k], rw[3][k], rw[4][k], rw[5][k], rw[6][k], rw[7][k]);
      s[g] = Step<OP>(s[g], va, b);
    }
  }
  for (int g = 0; g < G; ++g) _mm512_storeu_pd(out + g * 8, s[g]);
}

template <SumOp OP>
void SumsImpl(const float* a, const float* x, size_t dim, const uint32_t* js, size_t count, double* out) {
  const float* rows[16];
  double tmp[16];
  for (size_t t = 0; t < count; t += 16) {
    const size_t m = count - t < 16 ? count - t : 16;
    for (size_t q = 0; q < 16; ++q) rows[q] = x + static_cast<size_t>(js[t + (q < m ? q : m - 1)]) * dim;
    if (m > 8) {
      SumsGroups<OP, 2>(a, rows, dim, tmp);
    } else {
      SumsGroups<OP, 1>(a, rows, dim, tmp);
    }
    for (size_t q = 0; q < m; ++q) out[t + q] = tmp[q];
  }
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

// ---- radius-graph tile: MR rows × 32 columns held in 2·MR zmm accumulators ----

constexpr int kNR = 32;
constexpr int kMrDot = 14;  // 28 accumulators + 2 B vectors + 1 broadcast
constexpr int kMrDiff = 8;  // |a-b| needs temporaries: 16 accumulators

template <TileOp OP, int MR>
void TileImpl(const float* ap, const float* bp, size_t dim, const float* row_t, const float* col_h,
              uint64_t* masks) {
  __m512 c0[MR], c1[MR];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) c0[r] = c1[r] = _mm512_setzero_ps();
  for (size_t k = 0; k < dim; ++k) {
    // B streams from L2 (a 32-column panel of dim 512 is 64 KiB); fetch a few k ahead.
    _mm_prefetch(reinterpret_cast<const char*>(bp + (k + 8) * kNR), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(bp + (k + 8) * kNR + 16), _MM_HINT_T0);
    const __m512 b0 = _mm512_load_ps(bp + k * kNR), b1 = _mm512_load_ps(bp + k * kNR + 16);
    const float* a = ap + k * MR;
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const __m512 va = _mm512_set1_ps(a[r]);
      if (OP == kTileDot) {
        c0[r] = _mm512_fmadd_ps(va, b0, c0[r]);
        c1[r] = _mm512_fmadd_ps(va, b1, c1[r]);
      } else if (OP == kTileL1) {
        c0[r] = _mm512_add_ps(c0[r], _mm512_abs_ps(_mm512_sub_ps(va, b0)));
        c1[r] = _mm512_add_ps(c1[r], _mm512_abs_ps(_mm512_sub_ps(va, b1)));
      } else {
        c0[r] = _mm512_max_ps(c0[r], _mm512_abs_ps(_mm512_sub_ps(va, b0)));
        c1[r] = _mm512_max_ps(c1[r], _mm512_abs_ps(_mm512_sub_ps(va, b1)));
      }
    }
  }
  if (OP == kTileDot) {
    const __m512 h0 = _mm512_loadu_ps(col_h), h1 = _mm512_loadu_ps(col_h + 16);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const __m512 t = _mm512_set1_ps(row_t[r]);
      uint64_t m0 = _mm512_cmp_ps_mask(_mm512_sub_ps(c0[r], h0), t, _CMP_GE_OQ);
      uint64_t m1 = _mm512_cmp_ps_mask(_mm512_sub_ps(c1[r], h1), t, _CMP_GE_OQ);
      masks[r] = m0 | (m1 << 16);
    }
  } else {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const __m512 t = _mm512_set1_ps(row_t[r]);
      uint64_t m0 = _mm512_cmp_ps_mask(c0[r], t, _CMP_LE_OQ);
      uint64_t m1 = _mm512_cmp_ps_mask(c1[r], t, _CMP_LE_OQ);
      masks[r] = m0 | (m1 << 16);
    }
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

// bf16 dot (HNSW search on bf16 rows) without vdpbf16ps: each bf16 widened to fp32 by a shift or a mask,
// then fp32 FMA.
float DotBf16(const uint32_t* a, const uint32_t* b, size_t words) {
  const __m512i upper = _mm512_set1_epi32(static_cast<int>(0xFFFF0000u));
  __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
  for (size_t k = 0; k < words; k += 16) {
    const __m512i va = _mm512_loadu_si512(a + k), vb = _mm512_loadu_si512(b + k);
    lo = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(va, 16)), _mm512_castsi512_ps(_mm512_slli_epi32(vb, 16)), lo);
    hi = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(va, upper)), _mm512_castsi512_ps(_mm512_and_si512(vb, upper)), hi);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(lo, hi));
}

const Kernels kAvx512 = {
    "avx512",
    {Euclidean, SqEuclidean, Cosine, Manhattan, Chebyshev},
    DotBf16,
    ReferenceSums,
    Tile,
    {kMrDot, kMrDiff, kMrDiff},
    kNR,
};

}  // namespace

const Kernels& Avx512Kernels() { return kAvx512; }

}  // namespace fc
