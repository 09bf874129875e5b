// The per-instruction-set kernel table. Each kernels/<isa>.cc fills one Kernels struct; capabilities.cc
// picks one at load time (or as forced by FACECLUST_SIMD / setIsa). Drivers (pairwise.cc, radius_graph.cc,
// hnsw_index.cc) only ever call through this table.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace fc {

enum Metric { kEuclidean = 0, kSqEuclidean, kCosine, kManhattan, kChebyshev, kMetricCount };

inline bool ParseMetric(const std::string& s, Metric* out) {
  static const char* names[kMetricCount] = {"euclidean", "sqeuclidean", "cosine", "manhattan", "chebyshev"};
  for (int m = 0; m < kMetricCount; ++m) {
    if (s == names[m]) {
      *out = static_cast<Metric>(m);
      return true;
    }
  }
  return false;
}

// What a radius-graph tile accumulates over k for each (row, column) of the tile.
enum TileOp {
  kTileDot = 0,  // Σ a_k b_k (fp32, FMA); candidate when acc - colH[c] >= rowT[r]
  kTileL1,       // Σ |a_k - b_k|;          candidate when acc <= rowT[r]
  kTileLinf,     // max |a_k - b_k|;        candidate when acc <= rowT[r]
  kTileOpCount
};

// What the float64 reference sums over k for a pair, in order, starting at +0 (see docs/ALGORITHMS.md).
enum SumOp {
  kSumSqDiff = 0,  // Σ (a_k - b_k)^2
  kSumDot,         // Σ a_k b_k
  kSumAbsDiff,     // Σ |a_k - b_k|
  kSumMaxAbs,      // max |a_k - b_k|
};

// The reference sum a metric's distance is computed from.
inline SumOp SumOpFor(Metric m) {
  switch (m) {
    case kEuclidean:
    case kSqEuclidean: return kSumSqDiff;
    case kCosine: return kSumDot;
    case kManhattan: return kSumAbsDiff;
    default: return kSumMaxAbs;
  }
}

struct Kernels {
  const char* name;

  // Fast fp32 distance of one pair (pairwise). The scalar table returns the float64 reference, rounded.
  float (*distance[kMetricCount])(const float* a, const float* b, size_t dim);

  // Σ a·b over bf16 pairs packed in 32-bit words (k even in the low half, k odd in the high half), `words` a
  // multiple of 32: the HNSW search distance on bf16 rows (hnsw_index.cc). The scalar table returns the
  // float64 sum in k order, rounded.
  float (*dot_bf16)(const uint32_t* a, const uint32_t* b, size_t words);

  // Reference sums (bit-exact float64, sequential k) of row `a` against rows x[js[t]*dim ..], t < count.
  void (*reference_sums)(SumOp op, const float* a, const float* x, size_t dim, const uint32_t* js, size_t count,
                         double* out);

  // Radius-graph tile: `tile_mr[op]` rows × `tile_nr` columns. A is packed k-major with tile_mr[op] values
  // per k; B is packed k-major with tile_nr values per k. masks[r] gets bit c set for candidates.
  // nullptr when this ISA has no tiled path (scalar: the driver checks every pair with reference_sums).
  void (*tile)(TileOp op, const float* a_packed, const float* b_packed, size_t dim, const float* row_t,
               const float* col_h, uint64_t* masks);
  int tile_mr[kTileOpCount];
  int tile_nr;
  // The kTileDot tile reads bf16 pairs (one 32-bit word per k-pair: k even low, k odd high) instead of fp32.
  bool tile_bf16_dot = false;
  // With tile_bf16_dot: A panels are row-major (depth words per row) and depth is padded to 16 words (AMX).
  bool tile_amx = false;
  // Called on the worker thread after its last tile call of a block (AMX releases its tile state).
  void (*tile_finish)() = nullptr;
  // Σ a·b of int8 rows, exact, `bytes` a multiple of 64: the HNSW search distance on int8 rows (hnsw_index.cc).
  // nullptr: DotI8Reference.
  int32_t (*dot_i8)(const int8_t* a, const int8_t* b, size_t bytes) = nullptr;
  // New HNSW indexes store int8 rows (this table has a fast dot_i8: VNNI).
  bool hnsw_i8 = false;
};

const Kernels& ScalarKernels();
// The scalar table's dot_bf16, for tables with no faster one.
float DotBf16Reference(const uint32_t* a, const uint32_t* b, size_t words);
// dot_i8 for tables with no faster one.
int32_t DotI8Reference(const int8_t* a, const int8_t* b, size_t bytes);
#if defined(FACECLUST_HAVE_AVX2)
const Kernels& Avx2Kernels();
#endif
#if defined(FACECLUST_HAVE_AVX512)
const Kernels& Avx512Kernels();
#endif
#if defined(FACECLUST_HAVE_AVX512BF16)
const Kernels& Avx512Bf16Kernels();
#endif
#if defined(FACECLUST_HAVE_AMX)
const Kernels& AmxKernels();
bool AmxPermitted();  // asks Linux for the AMX tile state once
#endif
#if defined(FACECLUST_HAVE_NEON)
const Kernels& NeonKernels();
#endif

// The table in use (see capabilities.cc).
const Kernels& ActiveKernels();

}  // namespace fc
