// AVX-512 BF16 candidate pass (vdpbf16ps: two bf16 products per fp32 lane, twice the fp32 FMA rate).
// Only the dot-product tile differs from avx512.cc; everything else (pairwise fp32 kernels, float64 recheck,
// |a-b| tiles) is avx512's. The driver packs bf16 pairs (round-to-nearest-even, subnormals flushed) and widens
// the candidate bound accordingly (see radius_graph.cc), so the exact graph is unchanged.
#include <immintrin.h>

#include "kernels/kernels.h"

namespace fc {
namespace {

constexpr int kNR = 32;
constexpr int kMr = 14;

// ap: kMr dwords per k-pair (bf16 of k even in the low half, k odd in the high half); bp: kNR dwords per pair.
void TileDotBf16(const float* apf, const float* bpf, size_t dim, const float* row_t, const float* col_h,
                 uint64_t* masks) {
  const int32_t* ap = reinterpret_cast<const int32_t*>(apf);
  const int32_t* bp = reinterpret_cast<const int32_t*>(bpf);
  const size_t pairs = (dim + 1) / 2;
  __m512 c0[kMr], c1[kMr];
#pragma GCC unroll 16
  for (int r = 0; r < kMr; ++r) c0[r] = c1[r] = _mm512_setzero_ps();
  for (size_t kk = 0; kk < pairs; ++kk) {
    _mm_prefetch(reinterpret_cast<const char*>(bp + (kk + 8) * kNR), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(bp + (kk + 8) * kNR + 16), _MM_HINT_T0);
    const __m512bh b0 = (__m512bh)_mm512_load_si512(bp + kk * kNR);
    const __m512bh b1 = (__m512bh)_mm512_load_si512(bp + kk * kNR + 16);
    const int32_t* a = ap + kk * kMr;
#pragma GCC unroll 16
    for (int r = 0; r < kMr; ++r) {
      const __m512bh va = (__m512bh)_mm512_set1_epi32(a[r]);
      c0[r] = _mm512_dpbf16_ps(c0[r], va, b0);
      c1[r] = _mm512_dpbf16_ps(c1[r], va, b1);
    }
  }
  const __m512 h0 = _mm512_loadu_ps(col_h), h1 = _mm512_loadu_ps(col_h + 16);
#pragma GCC unroll 16
  for (int r = 0; r < kMr; ++r) {
    const __m512 t = _mm512_set1_ps(row_t[r]);
    uint64_t m0 = _mm512_cmp_ps_mask(_mm512_sub_ps(c0[r], h0), t, _CMP_GE_OQ);
    uint64_t m1 = _mm512_cmp_ps_mask(_mm512_sub_ps(c1[r], h1), t, _CMP_GE_OQ);
    masks[r] = m0 | (m1 << 16);
  }
}

void Tile(TileOp op, const float* ap, const float* bp, size_t dim, const float* row_t, const float* col_h,
          uint64_t* masks) {
  if (op == kTileDot) return TileDotBf16(ap, bp, dim, row_t, col_h, masks);
  Avx512Kernels().tile(op, ap, bp, dim, row_t, col_h, masks);
}

// HNSW search distance on bf16 rows: Σ a·b over `words` 32-bit words (bf16 pairs), words a multiple of 32.
float DotBf16(const uint32_t* a, const uint32_t* b, size_t words) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  for (size_t k = 0; k < words; k += 32) {
    acc0 = _mm512_dpbf16_ps(acc0, (__m512bh)_mm512_loadu_si512(a + k), (__m512bh)_mm512_loadu_si512(b + k));
    acc1 = _mm512_dpbf16_ps(acc1, (__m512bh)_mm512_loadu_si512(a + k + 16), (__m512bh)_mm512_loadu_si512(b + k + 16));
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

// HNSW search distance on int8 rows (VNNI; every AVX512-BF16 CPU has it): vpdpbusd multiplies unsigned by
// signed bytes, so a is offset by 128 (a xor 0x80) and 128·Σb taken back off. Exact in int32 for 64-byte
// multiples up to 2^16 bytes.
int32_t DotI8(const int8_t* a, const int8_t* b, size_t bytes) {
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  __m512i acc = _mm512_setzero_si512(), offset = _mm512_setzero_si512();
  for (size_t k = 0; k < bytes; k += 64) {
    const __m512i vb = _mm512_loadu_si512(b + k);
    acc = _mm512_dpbusd_epi32(acc, _mm512_xor_si512(_mm512_loadu_si512(a + k), flip), vb);
    offset = _mm512_dpbusd_epi32(offset, flip, vb);
  }
  return _mm512_reduce_add_epi32(_mm512_sub_epi32(acc, offset));
}

Kernels Make() {
  Kernels k = Avx512Kernels();
  k.name = "avx512bf16";
  k.dot_bf16 = DotBf16;
  k.dot_i8 = DotI8;
  k.hnsw_i8 = true;
  k.tile = Tile;
  k.tile_mr[kTileDot] = kMr;
  k.tile_bf16_dot = true;
  return k;
}

}  // namespace

const Kernels& Avx512Bf16Kernels() {
  static const Kernels k = Make();
  return k;
}

}  // namespace fc
