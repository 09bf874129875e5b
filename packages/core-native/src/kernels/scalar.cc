// The reference: float64, k in order, sums start at +0, no FMA contraction (built with -ffp-contract=off).
// Every other path is tested against these functions.
#include <cmath>
#include <cstring>

#include "kernels/kernels.h"
#include "kernels/reference.h"

namespace fc {
namespace {

float DistanceRef(Metric m, const float* a, const float* b, size_t dim) {
  switch (m) {
    case kEuclidean: return static_cast<float>(std::sqrt(ref::SqDiff(a, b, dim)));
    case kSqEuclidean: return static_cast<float>(ref::SqDiff(a, b, dim));
    case kCosine: return static_cast<float>(ref::CosineFromSums(ref::Dot(a, b, dim), ref::Dot(a, a, dim), ref::Dot(b, b, dim)));
    case kManhattan: return static_cast<float>(ref::AbsDiff(a, b, dim));
    default: return static_cast<float>(ref::MaxAbs(a, b, dim));
  }
}

float Euclidean(const float* a, const float* b, size_t d) { return DistanceRef(kEuclidean, a, b, d); }
float SqEuclidean(const float* a, const float* b, size_t d) { return DistanceRef(kSqEuclidean, a, b, d); }
float Cosine(const float* a, const float* b, size_t d) { return DistanceRef(kCosine, a, b, d); }
float Manhattan(const float* a, const float* b, size_t d) { return DistanceRef(kManhattan, a, b, d); }
float Chebyshev(const float* a, const float* b, size_t d) { return DistanceRef(kChebyshev, a, b, d); }

void ReferenceSums(SumOp op, const float* a, const float* x, size_t dim, const uint32_t* js, size_t count,
                   double* out) {
  for (size_t t = 0; t < count; ++t) out[t] = ref::Sum(op, a, x + static_cast<size_t>(js[t]) * dim, dim);
}

// A bf16 value widened to fp32 (exact: bf16 is fp32's upper half).
inline double Widen(uint32_t upper) {
  float f;
  std::memcpy(&f, &upper, sizeof f);
  return f;
}

const Kernels kScalar = {
    "scalar",
    {Euclidean, SqEuclidean, Cosine, Manhattan, Chebyshev},
    DotBf16Reference,
    ReferenceSums,
    nullptr,
    {0, 0, 0},
    0,
};

}  // namespace

int32_t DotI8Reference(const int8_t* a, const int8_t* b, size_t bytes) {
  int32_t s = 0;
  for (size_t k = 0; k < bytes; ++k) s += static_cast<int32_t>(a[k]) * b[k];
  return s;
}

float DotBf16Reference(const uint32_t* a, const uint32_t* b, size_t words) {
  double s = 0.0;
  for (size_t w = 0; w < words; ++w) {
    s = s + Widen(a[w] << 16) * Widen(b[w] << 16);
    s = s + Widen(a[w] & 0xFFFF0000u) * Widen(b[w] & 0xFFFF0000u);
  }
  return static_cast<float>(s);
}

const Kernels& ScalarKernels() { return kScalar; }

}  // namespace fc
