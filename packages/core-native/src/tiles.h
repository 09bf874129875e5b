// What the tiled fast passes share (radius_graph.cc, nearest_candidates.cc): packing rows into the panels the
// kernels' `tile` reads, and the per-row / per-column thresholds that make a tile's mask hold every pair whose
// float64 reference distance is <= a given radius (the derivation is at the top of radius_graph.cc).
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "kernels/bf16.h"
#include "kernels/kernels.h"

namespace fc {

// Largest float <= v and smallest float >= v (thresholds are rounded in the safe direction).
inline float FloatDown(double v) {
  float f = static_cast<float>(v);
  return static_cast<double>(f) > v ? std::nextafter(f, -std::numeric_limits<float>::infinity()) : f;
}
inline float FloatUp(double v) {
  float f = static_cast<float>(v);
  return static_cast<double>(f) < v ? std::nextafter(f, std::numeric_limits<float>::infinity()) : f;
}

// Packs rows [first, first + count) of src (width rows per panel, zeros past count):
//   fp32:            dst[k * width + c]
//   bf16:            32-bit word bf16(x[2kk]) | bf16(x[2kk+1]) << 16 at [kk * width + c], kk < depth
//   bf16 row-major:  the same words at [c * depth + kk] (AMX A tiles)
// Words past the row's (dim + 1) / 2 pairs are zero (depth may be padded). With `scale`, row r's values are
// packed as float(x * scale[r]) (cosine: rows normalised while packing, as radius_graph.cc normalises them).
inline void PackPanel(float* dst, const float* src, size_t first, size_t count, size_t width, size_t dim, bool bf16,
                      size_t depth, bool rowMajor, const double* scale = nullptr, const uint32_t* ids = nullptr) {
  // row r of the panel's source: src's row ids[r] when ids are given, else row r
  auto source = [&](size_t r) { return src + static_cast<size_t>(ids ? ids[r] : r) * dim; };
  auto value = [&](const float* row, size_t r, size_t k) -> float {
    return scale ? static_cast<float>(row[k] * scale[r]) : row[k];
  };
  if (!bf16) {
    for (size_t c = 0; c < width; ++c) {
      const float* row = c < count ? source(first + c) : nullptr;
      for (size_t k = 0; k < dim; ++k) dst[k * width + c] = row ? value(row, first + c, k) : 0.0f;
    }
    return;
  }
  uint32_t* out = reinterpret_cast<uint32_t*>(dst);
  const size_t pairs = (dim + 1) / 2;
  for (size_t c = 0; c < width; ++c) {
    const float* row = c < count ? source(first + c) : nullptr;
    for (size_t kk = 0; kk < depth; ++kk) {
      uint32_t lo = row && kk < pairs ? ToBf16(value(row, first + c, 2 * kk)) : 0;
      uint32_t hi = row && 2 * kk + 1 < dim ? ToBf16(value(row, first + c, 2 * kk + 1)) : 0;
      out[rowMajor ? c * depth + kk : kk * width + c] = lo | (hi << 16);
    }
  }
}

// The tile thresholds for one metric on one kernel table: rows' and columns' values for a radius.
struct TileBounds {
  TileOp op;
  Metric metric;
  double slack = 0, tiny = 0, rel = 0;

  // max_abs: the largest |value| of the rows compared (bf16 flushes subnormals relative to it).
  TileBounds(const Kernels& k, Metric m, size_t dim, double max_abs)
      : op(m == kManhattan ? kTileL1 : m == kChebyshev ? kTileLinf : kTileDot), metric(m) {
    const double u = std::ldexp(1.0, -24), dimd = static_cast<double>(dim);
    const bool bf16 = op == kTileDot && k.tile_bf16_dot;
    if (op == kTileDot) {
      // fp32: γ_dim plus epilogue roundings. bf16: inputs rounded to 8 bits (2·2⁻⁹ per product) on top, and
      // flushed subnormals (absolute, `tiny`).
      slack = (4.0 * dimd + 40.0) * u + (bf16 ? std::ldexp(1.0, -7) : 0.0);
      tiny = 1e-36 + (bf16 ? dimd * std::ldexp(1.0, -120) * (1.0 + max_abs) : 0.0);
    } else {
      rel = op == kTileL1 ? (4.0 * dimd + 16.0) * u : 8.0 * u;
    }
  }

  // Column value (kTileDot): cosine 0 (rows normalised), else half‖b‖²·(1 − slack); nn = ‖b‖² in float64.
  float Col(double nn) const { return metric == kCosine ? 0.0f : FloatDown(0.5 * (1.0 - slack) * nn); }

  // Row value for radius r (nn = ‖a‖² in float64, unused for cosine and L1/L∞): the tile marks (a, b) when
  // acc − Col(b) >= Row(a) (kTileDot), or acc <= Row(a), which every pair with reference distance <= r meets.
  //   d² = ‖a‖² + ‖b‖² − 2a·b <= R² + slack·(‖a‖²+‖b‖²)  ⇔  a·b >= h_b + t_a
  float Row(double r, double nn) const {
    if (op != kTileDot) return FloatUp(r * (1.0 + rel) + 1e-36);
    if (metric == kCosine) return FloatDown(1.0 - r - slack - tiny);
    double r2 = (metric == kEuclidean ? r * r : r) * (1.0 + 1e-6);
    return FloatDown(0.5 * (1.0 - slack) * nn - 0.5 * r2 - tiny);
  }
};

}  // namespace fc
