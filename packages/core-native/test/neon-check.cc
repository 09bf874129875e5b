// NEON table against the scalar reference, cross-compiled for arm64 and run under qemu (scripts/check-neon.sh).
// Links only the core (no Node): the N-API symbols of radius_graph.cc stay unresolved and are never called.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <algorithm>
#include <vector>

#include "kernels/kernels.h"
#include "radius_graph.h"
namespace fc { const Kernels& ActiveKernels() { return NeonKernels(); } }
using namespace fc;
int main() {
  int failures = 0, checks = 0;
  std::mt19937 rng(7);
  std::normal_distribution<float> g(0.f, 1.f);
  for (size_t dim : {1, 3, 16, 31, 64, 130}) {
    for (size_t n : {0, 1, 2, 17, 300}) {
      std::vector<float> centres(5 * dim), x(n * dim);
      for (auto& v : centres) v = g(rng);
      for (size_t i = 0; i < n; ++i)
        for (size_t k = 0; k < dim; ++k) x[i * dim + k] = centres[(i % 5) * dim + k] + 0.3f * g(rng);
      for (int m = 0; m < kMetricCount; ++m) {
        // radius: median-ish distance of a few pairs
        double r = 0;
        if (n >= 2) r = ScalarKernels().distance[m](x.data(), x.data() + dim, dim) * 1.01;
        CsrGraph a = RadiusGraph(ScalarKernels(), x.data(), n, dim, static_cast<Metric>(m), r, 2, Cancellation());
        CsrGraph b = RadiusGraph(NeonKernels(), x.data(), n, dim, static_cast<Metric>(m), r, 2, Cancellation());
        ++checks;
        if (a.offsets != b.offsets || a.indices != b.indices || a.distances != b.distances) {
          ++failures;
          std::printf("radius graph differs: dim=%zu n=%zu metric=%d edges %zu vs %zu\n", dim, n, m, a.indices.size(), b.indices.size());
        }
        for (size_t i = 0; i + 1 < n && i < 20; ++i) {
          float ref = ScalarKernels().distance[m](x.data() + i * dim, x.data() + (i + 1) * dim, dim);
          float got = NeonKernels().distance[m](x.data() + i * dim, x.data() + (i + 1) * dim, dim);
          ++checks;
          if (std::fabs(ref - got) > 1e-4 * (1 + std::fabs(ref)) * std::max<size_t>(1, dim / 16)) {
            ++failures;
            std::printf("distance differs: dim=%zu metric=%d %g vs %g\n", dim, m, ref, got);
          }
        }
      }
    }
  }
  std::printf("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}
