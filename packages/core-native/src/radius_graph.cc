// Radius graph: a fast pass finds candidate pairs, a float64 pass decides them exactly.
//
// Fast pass (when the ISA has a tile kernel): the upper triangle is streamed as row blocks × column blocks of
// packed panels, never n×n. euclidean/sqeuclidean/cosine use the GEMM form (‖a‖²+‖b‖²−2a·b; cosine on rows
// normalised once), manhattan/chebyshev accumulate |a−b| directly. A pair is a candidate when its fp32 value is
// within a proven bound of the radius: fp32 dot products over `dim` terms err by at most γ_dim·‖a‖‖b‖
// (γ_dim = dim·u/(1−dim·u), u = 2⁻²⁴), and ‖a‖‖b‖ ≤ (‖a‖²+‖b‖²)/2; sums of non-negative |a−b| err by at most
// (dim+1)·u relative to themselves. With bf16 inputs (avx512bf16, amx) each product is also off by at most
// 2·2⁻⁹ relative (bf16 products are exact in fp32) plus flushed subnormals. The slack used below is about
// twice those bounds; on clustered face-like data it adds almost no candidates beyond the true edges.
// Exact pass: every candidate is recomputed with the float64 reference (same operations, same order), the
// decision is made on that value and it is what gets stored, so the graph equals the reference bit for bit.
#include "radius_graph.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

#include "aligned_buffer.h"
#include "args.h"
#include "capabilities.h"
#include "kernels/reference.h"
#include "parallel.h"
#include "promise_worker.h"
#include "tiles.h"

namespace fc {
namespace {

struct Edge {
  uint32_t i, j;
  float d;
};

class Builder {
 public:
  Builder(const Kernels& k, const float* x, size_t n, size_t dim, Metric metric, double radius, unsigned threads,
          const Cancellation& cancel)
      : k_(k), x_(x), n_(n), dim_(dim), metric_(metric), radius_(radius), threads_(threads), cancel_(cancel),
        sum_op_(SumOpFor(metric)) {}

  CsrGraph Run() {
    if (metric_ == kCosine) {
      norms_.resize(n_);
      ParallelFor(threads_, (n_ + 255) / 256, cancel_, [&](size_t b, unsigned) {
        for (size_t i = b * 256; i < std::min(n_, b * 256 + 256); ++i) norms_[i] = ref::Dot(Row(i), Row(i), dim_);
      });
    }
    std::vector<std::vector<Edge>> parts = UseTiles() ? TiledPass() : ReferencePass();
    cancel_.Check();
    return Merge(parts);
  }

 private:
  const float* Row(size_t i) const { return x_ + i * dim_; }

  // Decides pairs (row, js[t]) with the float64 reference and appends the kept ones.
  void Recheck(size_t row, const uint32_t* js, size_t count, std::vector<double>& sums, std::vector<Edge>& out) const {
    sums.resize(count);
    k_.reference_sums(sum_op_, Row(row), x_, dim_, js, count, sums.data());
    for (size_t t = 0; t < count; ++t) {
      double d = ref::DistanceFromSum(metric_, sums[t], norms_, row, js[t]);
      if (d <= radius_) out.push_back({static_cast<uint32_t>(row), js[t], static_cast<float>(d)});
    }
  }

  // The fp32 bounds need finite inputs whose squares and sums cannot overflow, and a radius >= 0.
  bool UseTiles() {
    if (!k_.tile || n_ < 2 || !(radius_ >= 0)) return false;
    float maxAbs = 0.0f;
    for (size_t t = 0, len = n_ * dim_; t < len; ++t) {
      float v = std::fabs(x_[t]);
      if (!(v <= maxAbs)) {
        if (!std::isfinite(v)) return false;
        maxAbs = v;
      }
    }
    max_abs_ = maxAbs;
    return metric_ == kManhattan || metric_ == kChebyshev ? maxAbs < 1e30f : maxAbs < 1e15f;
  }

  // Every pair through the reference: the scalar path, and inputs outside the fast pass's bounds.
  std::vector<std::vector<Edge>> ReferencePass() {
    constexpr size_t kRows = 16, kChunk = 4096;
    size_t units = (n_ + kRows - 1) / kRows;
    std::vector<std::vector<Edge>> parts(units);
    if (!(radius_ >= 0) && metric_ != kCosine) return parts;  // nothing can be <= a negative or NaN radius
    ParallelFor(threads_, units, cancel_, [&](size_t u, unsigned) {
      std::vector<uint32_t> js(kChunk);
      std::vector<double> sums;
      for (size_t i = u * kRows; i < std::min(n_, u * kRows + kRows); ++i) {
        for (size_t j0 = i + 1; j0 < n_; j0 += kChunk) {
          cancel_.Check();  // a unit is 16 rows × n columns in float64: seconds at 500k
          size_t count = std::min(kChunk, n_ - j0);
          for (size_t t = 0; t < count; ++t) js[t] = static_cast<uint32_t>(j0 + t);
          Recheck(i, js.data(), count, sums, parts[u]);
        }
      }
    });
    return parts;
  }

  std::vector<std::vector<Edge>> TiledPass() {
    const TileOp op = metric_ == kManhattan ? kTileL1 : metric_ == kChebyshev ? kTileLinf : kTileDot;
    const size_t mr = static_cast<size_t>(k_.tile_mr[op]), nr = static_cast<size_t>(k_.tile_nr);
    const size_t panels = (n_ + nr - 1) / nr;
    const bool bf16 = op == kTileDot && k_.tile_bf16_dot;
    const bool amx = bf16 && k_.tile_amx;
    // 32-bit words per packed row: dim fp32 values, or (dim+1)/2 bf16 pairs (AMX: padded to 16 pairs).
    const size_t depth = !bf16 ? dim_ : amx ? ((dim_ + 1) / 2 + 15) / 16 * 16 : (dim_ + 1) / 2;
    const TileBounds bounds(k_, metric_, dim_, max_abs_);

    // Source rows for the fast pass (cosine: normalised once) and per-row/per-column thresholds.
    const float* src = x_;
    std::vector<float> normalised;
    std::vector<float> rowT(n_), colH(panels * nr, std::numeric_limits<float>::infinity());
    if (op == kTileDot && metric_ == kCosine) {
      normalised.resize(n_ * dim_);
      ParallelFor(threads_, n_, cancel_, [&](size_t i, unsigned) {
        double inv = norms_[i] > 0 ? 1.0 / std::sqrt(norms_[i]) : 0.0;
        for (size_t k = 0; k < dim_; ++k) normalised[i * dim_ + k] = static_cast<float>(Row(i)[k] * inv);
      });
      src = normalised.data();
      std::fill(rowT.begin(), rowT.end(), bounds.Row(radius_, 0.0));
      std::fill(colH.begin(), colH.begin() + n_, bounds.Col(0.0));
    } else if (op == kTileDot) {
      ParallelFor(threads_, n_, cancel_, [&](size_t i, unsigned) {
        double nn = ref::Dot(Row(i), Row(i), dim_);
        colH[i] = bounds.Col(nn);
        rowT[i] = bounds.Row(radius_, nn);
      });
    } else {
      std::fill(rowT.begin(), rowT.end(), bounds.Row(radius_, 0.0));
    }

    // B: every column panel packed once, k-major, nr values per k, zero-padded past n.
    AlignedFloats packedB(panels * nr * depth);
    ParallelFor(threads_, panels, cancel_, [&](size_t q, unsigned) {
      PackPanel(packedB.data() + q * nr * depth, src, q * nr, std::min(nr, n_ - q * nr), nr, dim_, bf16, depth, false);
    });

    // Row blocks of ~112 rows (A block in L2), column blocks of ~768 KiB of packed B (also L2).
    const size_t rowPanels = std::max<size_t>(1, 112 / mr);
    const size_t blockRows = rowPanels * mr;
    const size_t colPanels = std::max<size_t>(1, (768u << 10) / (nr * depth * sizeof(float)));
    const size_t units = (n_ + blockRows - 1) / blockRows;
    std::vector<std::vector<Edge>> parts(units);
    unsigned nthreads = ResolveThreads(threads_);
    struct Scratch {
      AlignedFloats a;
      std::vector<float> t;
      std::vector<std::vector<uint32_t>> cand;  // per row of the block; filled in ascending column order
      std::vector<double> sums;
    };
    std::vector<Scratch> scratch(nthreads);

    ParallelFor(threads_, units, cancel_, [&](size_t unit, unsigned tid) {
      Scratch& s = scratch[tid];
      const size_t i0 = unit * blockRows, i1 = std::min(n_, i0 + blockRows);
      const size_t P = (i1 - i0 + mr - 1) / mr;
      s.a.Resize(P * mr * depth);
      s.t.assign(P * mr, 0.0f);
      for (size_t p = 0; p < P; ++p) {
        const size_t first = i0 + p * mr;
        PackPanel(s.a.data() + p * mr * depth, src, first, std::min(mr, i1 - first), mr, dim_, bf16, depth, amx);
        for (size_t r = 0; r < mr && first + r < i1; ++r) s.t[p * mr + r] = rowT[first + r];
      }
      s.cand.resize(blockRows);
      for (auto& c : s.cand) c.clear();
      uint64_t masks[64];
      // A unit is ~112 rows × every later column (tens of ms at 50k, far more at 500k): the flag is read
      // once per column block of ~768 KiB, and the tile state is released before the cancellation is thrown.
      for (size_t qb = i0 / nr; qb < panels && !cancel_.Requested(); qb += colPanels) {
        const size_t qe = std::min(panels, qb + colPanels);
        for (size_t p = 0; p < P; ++p) {
          const size_t rlo = i0 + p * mr;
          for (size_t q = qb; q < qe; ++q) {
            if ((q + 1) * nr <= rlo + 1) continue;  // every column <= every row of the panel
            k_.tile(op, s.a.data() + p * mr * depth, packedB.data() + q * nr * depth, dim_, s.t.data() + p * mr,
                    colH.data() + q * nr, masks);
            for (size_t r = 0; r < mr; ++r) {
              const size_t i = rlo + r;
              if (i >= i1) break;
              for (uint64_t m = masks[r]; m; m &= m - 1) {
                size_t j = q * nr + static_cast<size_t>(__builtin_ctzll(m));
                if (j > i && j < n_) s.cand[i - i0].push_back(static_cast<uint32_t>(j));
              }
            }
          }
        }
      }
      if (k_.tile_finish) k_.tile_finish();
      cancel_.Check();
      // Column blocks, panels and mask bits are visited in ascending column order, so each row's list is sorted.
      std::vector<Edge>& out = parts[unit];
      for (size_t i = i0; i < i1; ++i) {
        if ((i & 15) == 0) cancel_.Check();
        Recheck(i, s.cand[i - i0].data(), s.cand[i - i0].size(), s.sums, out);
      }
    });
    return parts;
  }

  // parts hold edges (i < j) sorted by (i, j) and ordered by row block; each row's neighbours come out in
  // ascending order: first every i < row (pass 1), then every j > row (pass 2).
  CsrGraph Merge(const std::vector<std::vector<Edge>>& parts) const {
    CsrGraph g;
    g.offsets.assign(n_ + 1, 0);
    uint64_t total = 0;
    for (const auto& part : parts) {
      total += 2 * part.size();
      for (const Edge& e : part) {
        ++g.offsets[e.i + 1];
        ++g.offsets[e.j + 1];
      }
    }
    if (total > 0xFFFFFFFFull) {
      throw Failure("ERR_FACECLUST_GRAPH_TOO_LARGE",
                    "The radius graph has " + std::to_string(total) + " directed edges, more than 2^32-1; lower the radius",
                    ErrorKind::kRange);
    }
    for (size_t i = 0; i < n_; ++i) g.offsets[i + 1] += g.offsets[i];
    g.indices.resize(total);
    g.distances.resize(total);
    std::vector<uint32_t> pos(g.offsets.begin(), g.offsets.end() - 1);
    for (const auto& part : parts)
      for (const Edge& e : part) {
        g.indices[pos[e.j]] = static_cast<int32_t>(e.i);
        g.distances[pos[e.j]++] = e.d;
      }
    for (const auto& part : parts)
      for (const Edge& e : part) {
        g.indices[pos[e.i]] = static_cast<int32_t>(e.j);
        g.distances[pos[e.i]++] = e.d;
      }
    return g;
  }

  const Kernels& k_;
  const float* x_;
  size_t n_, dim_;
  Metric metric_;
  double radius_;
  unsigned threads_;
  const Cancellation& cancel_;
  SumOp sum_op_;
  std::vector<double> norms_;
  double max_abs_ = 0;
};

struct RadiusArgs {
  const float* x;
  size_t n, dim;
  Metric metric;
  double radius;
  unsigned threads;
};

RadiusArgs ParseArgs(const Napi::CallbackInfo& info) {
  auto x = GetArray<float>(info, 0, "vectors");
  size_t n = GetCount(info, 1, "n");
  size_t dim = GetCount(info, 2, "dim");
  Metric metric = GetMetric(info, 3);
  double radius = GetNumber(info, 4, "radius");
  unsigned threads = GetThreads(info, 5);
  CheckMatrix(x.length, n, dim, "vectors", "n");
  if (n > 0x7FFFFFFF) throw Failure("ERR_FACECLUST_ARG", "Expected n < 2^31 but received " + std::to_string(n), ErrorKind::kRange);
  return {x.data, n, dim, metric, radius, threads};
}

class RadiusGraphWorker : public PromiseWorker {
 public:
  RadiusGraphWorker(Napi::Env env, const RadiusArgs& args, const Kernels& k, Cancellation cancel)
      : PromiseWorker(env, std::move(cancel)), args_(args), k_(k) {}

 protected:
  void Run() override {
    graph_ = RadiusGraph(k_, args_.x, args_.n, args_.dim, args_.metric, args_.radius, args_.threads, cancel());
  }
  Napi::Value Result(Napi::Env env) override { return CsrToJs(env, graph_); }

 private:
  RadiusArgs args_;
  const Kernels& k_;
  CsrGraph graph_;
};

}  // namespace

CsrGraph RadiusGraph(const Kernels& kernels, const float* x, size_t n, size_t dim, Metric metric, double radius,
                     unsigned threads, const Cancellation& cancel) {
  return Builder(kernels, x, n, dim, metric, radius, threads, cancel).Run();
}

Napi::Value RadiusGraphSyncJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    RadiusArgs a = ParseArgs(info);
    return CsrToJs(info.Env(), RadiusGraph(ActiveKernels(), a.x, a.n, a.dim, a.metric, a.radius, a.threads, Cancellation()));
  });
}

Napi::Value RadiusGraphJs(const Napi::CallbackInfo& info) {
  return GuardAsync(info, [&]() -> Napi::Value {
    RadiusArgs a = ParseArgs(info);
    Cancellation cancel = GetCancel(info, 6);
    auto* worker = new RadiusGraphWorker(info.Env(), a, ActiveKernels(), std::move(cancel));
    worker->Keep(info[0]);
    worker->Queue();
    return worker->Promise();
  });
}

}  // namespace fc
