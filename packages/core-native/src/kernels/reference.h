// Float64 reference sums shared by scalar.cc and the float64 recheck code of every ISA file (all compiled
// with -ffp-contract=off, so these are exactly the operations written: one rounding per + and *).
#pragma once
#include <cmath>
#include <cstddef>
#include <vector>

#include "kernels/kernels.h"

namespace fc {
namespace ref {

inline double SqDiff(const float* a, const float* b, size_t dim) {
  double s = 0.0;
  for (size_t k = 0; k < dim; ++k) {
    double d = static_cast<double>(a[k]) - static_cast<double>(b[k]);
    s = s + d * d;
  }
  return s;
}

inline double Dot(const float* a, const float* b, size_t dim) {
  double s = 0.0;
  for (size_t k = 0; k < dim; ++k) s = s + static_cast<double>(a[k]) * static_cast<double>(b[k]);
  return s;
}

inline double AbsDiff(const float* a, const float* b, size_t dim) {
  double s = 0.0;
  for (size_t k = 0; k < dim; ++k) s = s + std::fabs(static_cast<double>(a[k]) - static_cast<double>(b[k]));
  return s;
}

inline double MaxAbs(const float* a, const float* b, size_t dim) {
  double s = 0.0;
  for (size_t k = 0; k < dim; ++k) {
    double d = std::fabs(static_cast<double>(a[k]) - static_cast<double>(b[k]));
    if (d > s) s = d;
  }
  return s;
}

inline double Sum(SumOp op, const float* a, const float* b, size_t dim) {
  switch (op) {
    case kSumSqDiff: return SqDiff(a, b, dim);
    case kSumDot: return Dot(a, b, dim);
    case kSumAbsDiff: return AbsDiff(a, b, dim);
    default: return MaxAbs(a, b, dim);
  }
}

// 1 - Σab / (sqrt(Σa²) · sqrt(Σb²)); 1 when either norm is 0.
inline double CosineFromSums(double dot, double aa, double bb) {
  if (aa == 0.0 || bb == 0.0) return 1.0;
  return 1.0 - dot / (std::sqrt(aa) * std::sqrt(bb));
}

// The distance of rows i and j from their reference sum (SumOpFor(m)); `norms` (Σx² per row) is read for
// cosine only.
inline double DistanceFromSum(Metric m, double s, const std::vector<double>& norms, size_t i, size_t j) {
  switch (m) {
    case kEuclidean: return std::sqrt(s);
    case kCosine: return CosineFromSums(s, norms[i], norms[j]);
    default: return s;
  }
}

}  // namespace ref
}  // namespace fc
