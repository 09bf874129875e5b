// AMX-BF16 candidate pass: 32×32 blocks of dot products on the tile unit (TDPBF16PS, several times the fp32
// FMA rate: README), inputs as bf16 pairs, fp32 accumulation. Same error model and exact float64 recheck as
// avx512bf16 (see radius_graph.cc); everything except the dot-product tile is avx512's.
//
// Layouts (packed by radius_graph.cc when `tile_amx` is set; K padded with zeros to a multiple of 32):
//   A panel: 32 rows, row-major, `depth` 32-bit words (bf16 pairs) per row  → tiles of 16 rows × 64 bytes
//   B panel: k-pair-major, 32 words per pair (one per column)               → tiles of 16 pairs × 16 columns
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "kernels/kernels.h"

namespace fc {
namespace {

constexpr int kRows = 32, kCols = 32;

struct alignas(64) TileConfig {
  uint8_t palette = 1, start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

// Tile configuration is per-thread state: loaded on first use on a thread, released by Finish() after each
// block of work so that no thread (the main one included) keeps the 8 KiB AMX state live afterwards.
thread_local bool configured = false;

void Finish() {
  if (!configured) return;
  _tile_release();
  configured = false;
}

void EnsureConfigured() {
  if (configured) return;
  TileConfig cfg;
  for (int t = 0; t < 8; ++t) cfg.rows[t] = 16, cfg.colsb[t] = 64;
  _tile_loadconfig(&cfg);
  configured = true;
}

void TileDotAmx(const float* apf, const float* bpf, size_t dim, const float* row_t, const float* col_h,
                uint64_t* masks) {
  EnsureConfigured();
  const uint32_t* ap = reinterpret_cast<const uint32_t*>(apf);
  const uint32_t* bp = reinterpret_cast<const uint32_t*>(bpf);
  const size_t depth = ((dim + 1) / 2 + 15) / 16 * 16;  // words per A row, pair-rows of B
  const size_t strideA = depth * 4;
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (size_t kk = 0; kk < depth; kk += 16) {
    _tile_loadd(4, ap + kk, strideA);               // rows 0-15, 32 k
    _tile_loadd(5, ap + 16 * depth + kk, strideA);  // rows 16-31
    _tile_loadd(6, bp + kk * kCols, kCols * 4);     // 16 pairs × columns 0-15
    _tile_loadd(7, bp + kk * kCols + 16, kCols * 4);
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  alignas(64) float c[kRows][kCols];
  _tile_stored(0, &c[0][0], kCols * 4);
  _tile_stored(1, &c[0][16], kCols * 4);
  _tile_stored(2, &c[16][0], kCols * 4);
  _tile_stored(3, &c[16][16], kCols * 4);
  const __m512 h0 = _mm512_loadu_ps(col_h), h1 = _mm512_loadu_ps(col_h + 16);
  for (int r = 0; r < kRows; ++r) {
    const __m512 t = _mm512_set1_ps(row_t[r]);
    uint64_t m0 = _mm512_cmp_ps_mask(_mm512_sub_ps(_mm512_load_ps(&c[r][0]), h0), t, _CMP_GE_OQ);
    uint64_t m1 = _mm512_cmp_ps_mask(_mm512_sub_ps(_mm512_load_ps(&c[r][16]), h1), t, _CMP_GE_OQ);
    masks[r] = m0 | (m1 << 16);
  }
}

void Tile(TileOp op, const float* ap, const float* bp, size_t dim, const float* row_t, const float* col_h,
          uint64_t* masks) {
  if (op == kTileDot) return TileDotAmx(ap, bp, dim, row_t, col_h, masks);
  Avx512Kernels().tile(op, ap, bp, dim, row_t, col_h, masks);
}

Kernels Make() {
  Kernels k = Avx512Kernels();
  k.name = "amx";
  k.dot_bf16 = Avx512Bf16Kernels().dot_bf16;  // vdpbf16ps: capabilities.cc requires avx512bf16 for amx
  k.dot_i8 = Avx512Bf16Kernels().dot_i8;      // VNNI: capabilities.cc requires avx512vnni for amx
  k.hnsw_i8 = true;
  k.tile = Tile;
  k.tile_mr[kTileDot] = kRows;
  k.tile_bf16_dot = true;
  k.tile_amx = true;
  k.tile_finish = Finish;
  return k;
}

}  // namespace

const Kernels& AmxKernels() {
  static const Kernels k = Make();
  return k;
}

bool AmxPermitted() {
  // Linux keeps AMX tile data disabled until a process asks for it (ARCH_REQ_XCOMP_PERM, XTILEDATA).
  static const bool ok = syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XTILEDATA */) == 0;
  return ok;
}

}  // namespace fc
