// Nearest-neighbour candidates (docs/ALGORITHMS.md, "Nearest neighbours"): the radius graph's tiles over query
// panels × base panels, never nq×nb, then the fp32 distance kernel on what the tiles let through.
//
// A base row j is a candidate of query q when its fp32 value f (kernels' `distance`, as `pairwise` computes it)
// is at most reach(v_q) and reachRef(radius), v_q being the k-th smallest fp32 value of q so far: the contract
// of the docs, whose bounds (ρ, α, ε) are those of the `distance` kernels. Rows seen with f <= v_q have reference
// distance <= RefAbove(v_q), so the true k-th is too; a tile (radius_graph.cc's, its thresholds in tiles.h) set
// to min(radius, RefAbove(v_q)) therefore marks every row that can still be among the k nearest, and only the
// marked rows get an fp32 distance. v_q only decreases, so tightening a query's tile threshold between tiles
// drops nothing needed. Base rows are visited in ascending order, so each list comes out sorted.
// Inputs outside the bounds' assumptions (a non-finite value or |value| >= 1e15; cosine: a non-zero row of norm
// < 1e-10) and tables without tiles take every pair, the former through the scalar table's distance (the float64
// reference, rounded once: within every bound).
#include "nearest_candidates.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "aligned_buffer.h"
#include "args.h"
#include "capabilities.h"
#include "kernels/reference.h"
#include "parallel.h"
#include "promise_worker.h"
#include "tiles.h"

namespace fc {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

class Finder {
 public:
  Finder(const Kernels& kernels, RowSet base, RowSet queries, size_t dim, Metric metric, size_t k, double radius,
         unsigned threads, const Cancellation& cancel)
      : kt_(kernels), base_(base.x), queries_(queries.x), base_ids_(base.ids), query_ids_(queries.ids), nb_(base.n),
        nq_(queries.n), dim_(dim), metric_(metric), k_(std::max<size_t>(1, std::min(k, base.n))), radius_(radius),
        threads_(threads), cancel_(cancel),
        cosine_(metric == kCosine) {
    const double u = std::ldexp(1.0, -24), dimd = static_cast<double>(dim);
    // |fp32 − reference| <= ρ·reference + α (sums of non-negative terms; α: flushed subnormals), or <= ε for
    // cosine: about twice the bounds derived in the docs.
    rho_ = 2.0 * (dimd + 8.0) * u;
    eps_ = 4.0 * (dimd + 16.0) * u;
    grow_ = (1.0 + rho_) / (1.0 - rho_) * (1.0 + 1e-12);
    radius_cut_ = cosine_ ? radius + eps_ : (1.0 + rho_) * (1.0 + 1e-12) * radius + kAlpha;
  }

  CandidateLists Run() {
    kth_.assign(nq_ * k_, kInf);
    cut_.assign(nq_, radius_cut_);
    cand_.resize(nq_);
    fast_.resize(nq_);
    if (nq_ > 0 && nb_ > 0) {
      const bool safe = Inspect();
      if (!safe) ScanPass(ScalarKernels());
      else if (!kt_.tile) ScanPass(kt_);
      else TiledPass();
    }
    cancel_.Check();
    CandidateLists out;
    out.offsets.assign(nq_ + 1, 0);
    uint64_t total = 0;
    for (size_t i = 0; i < nq_; ++i) {
      Prune(i);
      total += cand_[i].size();
      if (total > 0xFFFFFFFFull) {
        throw Failure("ERR_FACECLUST_GRAPH_TOO_LARGE",
                      "The nearest-neighbour candidates number more than 2^32-1; lower k or the radius", ErrorKind::kRange);
      }
      out.offsets[i + 1] = static_cast<uint32_t>(total);
    }
    out.indices.resize(total);
    for (size_t i = 0; i < nq_; ++i) std::copy(cand_[i].begin(), cand_[i].end(), out.indices.begin() + out.offsets[i]);
    return out;
  }

 private:
  static constexpr double kAlpha = 1e-17;

  const float* Query(size_t i) const { return queries_ + static_cast<size_t>(query_ids_ ? query_ids_[i] : i) * dim_; }
  const float* Base(size_t j) const { return base_ + static_cast<size_t>(base_ids_ ? base_ids_[j] : j) * dim_; }

  // The largest fp32 value a row of the true k nearest can have, given the fp32 k-th value v so far.
  double ReachFast(double v) const { return cosine_ ? v + 2.0 * eps_ : grow_ * (v + kAlpha) + kAlpha; }
  // The largest reference distance of a row whose fp32 value is <= v.
  double RefAbove(double v) const { return cosine_ ? v + eps_ : (v + kAlpha) / (1.0 - rho_) * (1.0 + 1e-12); }

  // Offers base row j with fp32 value f to query i; true when i's k-th value went down.
  bool Offer(size_t i, size_t j, float f) {
    if (!(f <= cut_[i])) return false;
    cand_[i].push_back(static_cast<int32_t>(j));
    fast_[i].push_back(f);
    float* top = kth_.data() + i * k_;
    if (!(f < top[k_ - 1])) return false;
    size_t p = k_ - 1;
    while (p > 0 && top[p - 1] > f) {
      top[p] = top[p - 1];
      --p;
    }
    top[p] = f;
    cut_[i] = std::min(radius_cut_, ReachFast(top[k_ - 1]));
    if (cand_[i].size() > 4 * k_ + 256) Prune(i);
    return true;
  }

  // Drops query i's candidates whose fp32 value exceeds its cut, keeping the order.
  void Prune(size_t i) {
    std::vector<int32_t>& list = cand_[i];
    std::vector<float>& fast = fast_[i];
    size_t w = 0;
    for (size_t t = 0; t < list.size(); ++t) {
      if (fast[t] <= cut_[i]) {
        list[w] = list[t];
        fast[w++] = fast[t];
      }
    }
    list.resize(w);
    fast.resize(w);
  }

  // Norms (float64, as the thresholds need them) and whether the bounds' assumptions hold.
  bool Inspect() {
    const size_t rows = nb_ + nq_, blocks = (rows + 255) / 256;
    auto row = [&](size_t t) { return t < nb_ ? Base(t) : Query(t - nb_); };
    std::vector<float> blockMax(blocks, 0.0f);
    std::vector<uint8_t> blockBad(blocks, 0);  // a non-finite value
    ParallelFor(threads_, blocks, cancel_, [&](size_t blk, unsigned) {
      float m = 0.0f;
      for (size_t t = blk * 256; t < std::min(rows, blk * 256 + 256) && !blockBad[blk]; ++t) {
        const float* x = row(t);
        for (size_t c = 0; c < dim_; ++c) {
          float v = std::fabs(x[c]);
          if (!(v <= m)) {
            if (!std::isfinite(v)) {
              blockBad[blk] = 1;
              break;
            }
            m = v;
          }
        }
      }
      blockMax[blk] = m;
    });
    float maxAbs = 0.0f;
    for (size_t b = 0; b < blocks; ++b) {
      if (blockBad[b]) return false;
      maxAbs = std::max(maxAbs, blockMax[b]);
    }
    max_abs_ = maxAbs;
    if (!(maxAbs < 1e15f)) return false;
    if (metric_ == kEuclidean || metric_ == kSqEuclidean || cosine_) {
      nn_b_.resize(nb_);
      nn_q_.resize(nq_);
      ParallelFor(threads_, (nb_ + nq_ + 255) / 256, cancel_, [&](size_t blk, unsigned) {
        for (size_t t = blk * 256; t < std::min(nb_ + nq_, blk * 256 + 256); ++t) {
          if (t < nb_) nn_b_[t] = ref::Dot(Base(t), Base(t), dim_);
          else nn_q_[t - nb_] = ref::Dot(Query(t - nb_), Query(t - nb_), dim_);
        }
      });
      if (cosine_) {
        for (const auto* nn : {&nn_b_, &nn_q_})
          for (double s : *nn)
            if (s != 0 && !(std::sqrt(s) >= 1e-10)) return false;
      }
    }
    return true;
  }

  // Every pair through `table`'s distance: one query per item, the flag read every 4096 base rows.
  void ScanPass(const Kernels& table) {
    auto fn = table.distance[metric_];
    ParallelFor(threads_, nq_, cancel_, [&](size_t i, unsigned) {
      for (size_t j0 = 0; j0 < nb_; j0 += 4096) {
        cancel_.Check();
        for (size_t j = j0; j < std::min(nb_, j0 + 4096); ++j) Offer(i, j, fn(Query(i), Base(j), dim_));
      }
    });
  }

  void TiledPass() {
    const TileBounds bounds(kt_, metric_, dim_, max_abs_);
    const TileOp op = bounds.op;
    const size_t mr = static_cast<size_t>(kt_.tile_mr[op]), nr = static_cast<size_t>(kt_.tile_nr);
    const bool bf16 = op == kTileDot && kt_.tile_bf16_dot;
    const bool amx = bf16 && kt_.tile_amx;
    // 32-bit words per packed row: dim fp32 values, or (dim+1)/2 bf16 pairs (AMX: padded to 16 pairs).
    const size_t depth = !bf16 ? dim_ : amx ? ((dim_ + 1) / 2 + 15) / 16 * 16 : (dim_ + 1) / 2;
    auto fn = kt_.distance[metric_];

    // Cosine tiles read rows normalised while packed (1/‖row‖; zero rows stay zero).
    std::vector<double> invQ, invB;
    if (op == kTileDot && cosine_) {
      invQ.resize(nq_);
      invB.resize(nb_);
      for (size_t i = 0; i < nq_; ++i) invQ[i] = nn_q_[i] > 0 ? 1.0 / std::sqrt(nn_q_[i]) : 0.0;
      for (size_t j = 0; j < nb_; ++j) invB[j] = nn_b_[j] > 0 ? 1.0 / std::sqrt(nn_b_[j]) : 0.0;
    }
    const double* scaleQ = invQ.empty() ? nullptr : invQ.data();
    const double* scaleB = invB.empty() ? nullptr : invB.data();
    auto rowThreshold = [&](size_t i) {
      double r = std::min(radius_, RefAbove(kth_[i * k_ + k_ - 1]));
      return bounds.Row(r, op == kTileDot && !cosine_ ? nn_q_[i] : 0.0);
    };

    // A: every query panel packed once, with its row thresholds (tightened as the k-th values go down).
    const size_t qPanels = (nq_ + mr - 1) / mr;
    AlignedFloats packedA(qPanels * mr * depth);
    std::vector<float> rowT(qPanels * mr, 0.0f);
    ParallelFor(threads_, qPanels, cancel_, [&](size_t p, unsigned) {
      PackPanel(packedA.data() + p * mr * depth, queries_, p * mr, std::min(mr, nq_ - p * mr), mr, dim_, bf16, depth,
                amx, scaleQ, query_ids_);
      for (size_t i = p * mr; i < std::min(nq_, p * mr + mr); ++i) rowT[i] = rowThreshold(i);
    });

    // B: ~4 MiB of base panels at a time, packed by all threads, then every query unit against them; within a
    // unit each base panel meets all the unit's query panels (it stays in L1/L2), in ascending base order.
    const size_t bPanels = (nb_ + nr - 1) / nr;
    const size_t colPanels = std::max<size_t>(1, (4u << 20) / (nr * depth * sizeof(float)));
    AlignedFloats packedB(std::min(colPanels, bPanels) * nr * depth);
    std::vector<float> colH(std::min(colPanels, bPanels) * nr, kInf);
    const size_t nthreads = ResolveThreads(threads_);
    // Units of at most ~112 query rows (the A panels in L2), as many per thread (balanced: each block ends at a
    // barrier).
    const size_t cap = std::max<size_t>(1, 112 / mr);
    const size_t units = std::min(qPanels, ((qPanels + cap - 1) / cap + nthreads - 1) / nthreads * nthreads);
    for (size_t qb = 0; qb < bPanels; qb += colPanels) {
      cancel_.Check();
      const size_t qe = std::min(bPanels, qb + colPanels);
      ParallelFor(threads_, qe - qb, cancel_, [&](size_t t, unsigned) {
        const size_t first = (qb + t) * nr, count = std::min(nr, nb_ - first);
        PackPanel(packedB.data() + t * nr * depth, base_, first, count, nr, dim_, bf16, depth, false, scaleB, base_ids_);
        for (size_t c = 0; c < nr; ++c) colH[t * nr + c] = c < count && op == kTileDot ? bounds.Col(cosine_ ? 0.0 : nn_b_[first + c]) : kInf;
      });
      ParallelFor(threads_, units, cancel_, [&](size_t unit, unsigned) {
        uint64_t masks[64];
        const size_t p0 = unit * qPanels / units, p1 = (unit + 1) * qPanels / units;
        for (size_t q = qb; q < qe; ++q) {
          const float* bp = packedB.data() + (q - qb) * nr * depth;
          const float* ch = colH.data() + (q - qb) * nr;
          for (size_t p = p0; p < p1; ++p) {
            kt_.tile(op, packedA.data() + p * mr * depth, bp, dim_, rowT.data() + p * mr, ch, masks);
            for (size_t r = 0; r < mr; ++r) {
              const size_t i = p * mr + r;
              if (i >= nq_) break;
              bool lower = false;
              for (uint64_t m = masks[r]; m; m &= m - 1) {
                const size_t j = q * nr + static_cast<size_t>(__builtin_ctzll(m));
                if (j >= nb_) break;  // bits ascend: the rest are padding too
                lower |= Offer(i, j, fn(Query(i), Base(j), dim_));
              }
              if (lower) rowT[i] = rowThreshold(i);
            }
          }
        }
        if (kt_.tile_finish) kt_.tile_finish();
      });
    }
  }

  const Kernels& kt_;
  const float *base_, *queries_;
  const uint32_t *base_ids_, *query_ids_;
  size_t nb_, nq_, dim_;
  Metric metric_;
  size_t k_;
  double radius_;
  unsigned threads_;
  const Cancellation& cancel_;
  bool cosine_;
  double rho_ = 0, eps_ = 0, grow_ = 0, radius_cut_ = 0;
  float max_abs_ = 0;
  std::vector<double> nn_b_, nn_q_;
  std::vector<float> kth_;    // per query, its k smallest fp32 values so far, ascending
  std::vector<double> cut_;   // per query, min(reachRef(radius), reach(k-th))
  std::vector<std::vector<int32_t>> cand_;
  std::vector<std::vector<float>> fast_;
};

struct NearestArgs {
  const float *base, *queries;
  size_t nb, nq, dim;
  Metric metric;
  size_t k;
  double radius;
  unsigned threads;
};

NearestArgs ParseArgs(const Napi::CallbackInfo& info) {
  auto base = GetArray<float>(info, 0, "base");
  size_t nb = GetCount(info, 1, "nb");
  auto queries = GetArray<float>(info, 2, "queries");
  size_t nq = GetCount(info, 3, "nq");
  size_t dim = GetCount(info, 4, "dim");
  Metric metric = GetMetric(info, 5);
  size_t k = GetCount(info, 6, "k");
  double radius = GetNumber(info, 7, "radius");
  unsigned threads = GetThreads(info, 8);
  CheckMatrix(base.length, nb, dim, "base", "nb");
  CheckMatrix(queries.length, nq, dim, "queries", "nq");
  if (nb > 0x7FFFFFFF) throw Failure("ERR_FACECLUST_ARG", "Expected nb < 2^31 but received " + std::to_string(nb), ErrorKind::kRange);
  if (k < 1) throw Failure("ERR_FACECLUST_ARG", "Expected k >= 1 but received 0", ErrorKind::kRange);
  if (!(radius >= 0)) {
    throw Failure("ERR_FACECLUST_ARG", "Expected radius >= 0 (Infinity for none) but received " + std::to_string(radius),
                  ErrorKind::kRange);
  }
  return {base.data, queries.data, nb, nq, dim, metric, k, radius, threads};
}

Napi::Object ListsToJs(Napi::Env env, const CandidateLists& c) {
  auto offsets = Napi::Uint32Array::New(env, c.offsets.size());
  auto indices = Napi::Int32Array::New(env, c.indices.size());
  std::copy(c.offsets.begin(), c.offsets.end(), offsets.Data());
  std::copy(c.indices.begin(), c.indices.end(), indices.Data());
  Napi::Object o = Napi::Object::New(env);
  o.Set("offsets", offsets);
  o.Set("indices", indices);
  return o;
}

class NearestWorker : public PromiseWorker {
 public:
  NearestWorker(Napi::Env env, const NearestArgs& args, const Kernels& k, Cancellation cancel)
      : PromiseWorker(env, std::move(cancel)), a_(args), k_(k) {}

 protected:
  void Run() override {
    lists_ = NearestCandidates(k_, a_.base, a_.nb, a_.queries, a_.nq, a_.dim, a_.metric, a_.k, a_.radius, a_.threads, cancel());
  }
  Napi::Value Result(Napi::Env env) override { return ListsToJs(env, lists_); }

 private:
  NearestArgs a_;
  const Kernels& k_;
  CandidateLists lists_;
};

}  // namespace

CandidateLists NearestCandidates(const Kernels& kernels, RowSet base, RowSet queries, size_t dim, Metric metric, size_t k,
                                 double radius, unsigned threads, const Cancellation& cancel) {
  return Finder(kernels, base, queries, dim, metric, k, radius, threads, cancel).Run();
}

Napi::Value NearestCandidatesSyncJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    NearestArgs a = ParseArgs(info);
    return ListsToJs(info.Env(), NearestCandidates(ActiveKernels(), a.base, a.nb, a.queries, a.nq, a.dim, a.metric, a.k,
                                                   a.radius, a.threads, Cancellation()));
  });
}

Napi::Value NearestCandidatesJs(const Napi::CallbackInfo& info) {
  return GuardAsync(info, [&]() -> Napi::Value {
    NearestArgs a = ParseArgs(info);
    Cancellation cancel = GetCancel(info, 9);
    auto* worker = new NearestWorker(info.Env(), a, ActiveKernels(), std::move(cancel));
    worker->Keep(info[0]);
    worker->Keep(info[2]);
    worker->Queue();
    return worker->Promise();
  });
}

}  // namespace fc
