#include "chinese_whispers.h"

#include <limits>

#include "args.h"
#include "graph.h"
#include "mulberry32.h"
#include "promise_worker.h"

namespace fc {

namespace {

// kConstrained is a template parameter so that the unconstrained loop compiles exactly as before.
template <bool kConstrained>
ChineseWhispersResult Passes(const uint32_t* offsets, const int32_t* indices, const float* distances, size_t n,
                             uint32_t iterations, uint32_t seed, bool unitWeights, const CwConstraints* c,
                             const Cancellation& cancel) {
  ChineseWhispersResult result;
  result.labels.resize(n);
  std::vector<int32_t>& label = result.labels;
  std::vector<uint32_t> order(n);
  for (size_t i = 0; i < n; ++i) label[i] = static_cast<int32_t>(i), order[i] = static_cast<uint32_t>(i);
  // Per-label sums for the node being visited; `stamp` marks which entries belong to it (no clearing).
  std::vector<double> sum(n, 0.0);
  std::vector<uint32_t> stamp(n, 0);
  // Constrained: labels held by the visited node's cannot-link partners, marked with the same visit number.
  std::vector<uint32_t> forbidden(kConstrained ? n : 0, 0);
  std::vector<int32_t> touched;
  uint32_t visit = 0;
  Mulberry32 rng(seed);
  for (uint32_t it = 0; it < iterations; ++it) {
    for (size_t i = n; i-- > 1;) std::swap(order[i], order[rng.Below(static_cast<uint32_t>(i + 1))]);
    size_t changes = 0;
    for (size_t o = 0; o < n; ++o) {
      // A pass over a dense graph (100M edges) takes about a second: check within it, not only between passes.
      if ((o & 4095) == 0) cancel.Check();
      const uint32_t v = order[o];
      const uint32_t begin = offsets[v], end = offsets[v + 1];
      if (begin == end) continue;
      if (++visit == 0) {
        std::fill(stamp.begin(), stamp.end(), 0), visit = 1;
        if constexpr (kConstrained) std::fill(forbidden.begin(), forbidden.end(), 0);
      }
      touched.clear();
      for (uint32_t e = begin; e < end; ++e) {
        const int32_t l = label[indices[e]];
        // explicit weights (a contracted graph's) or the distance-derived ones
        const double w = kConstrained && c->weights ? c->weights[e] : unitWeights ? 1.0 : 1.0 / (1.0 + static_cast<double>(distances[e]));
        if (stamp[l] != visit) stamp[l] = visit, sum[l] = 0.0, touched.push_back(l);
        sum[l] = sum[l] + w;
      }
      int32_t best;
      if constexpr (kConstrained) {
        for (uint32_t f = c->cannotOffsets[v]; f < c->cannotOffsets[v + 1]; ++f) forbidden[label[c->cannotIndices[f]]] = visit;
        best = -1;
        for (int32_t l : touched) {
          if (forbidden[l] == visit) continue;
          if (best < 0 || sum[l] > sum[best] || (sum[l] == sum[best] && l < best)) best = l;
        }
        if (best < 0) continue;  // every neighbouring label is forbidden: keep its own
      } else {
        best = touched[0];
        for (int32_t l : touched)
          if (sum[l] > sum[best] || (sum[l] == sum[best] && l < best)) best = l;
      }
      if (best != label[v]) label[v] = best, ++changes;
    }
    result.iterations = it + 1;
    if (changes == 0) break;
  }
  return result;
}

}  // namespace

ChineseWhispersResult ChineseWhispers(const uint32_t* offsets, const int32_t* indices, const float* distances,
                                      size_t n, uint32_t iterations, uint32_t seed, bool unitWeights,
                                      const CwConstraints* constrained, const Cancellation& cancel) {
  return constrained ? Passes<true>(offsets, indices, distances, n, iterations, seed, unitWeights, constrained, cancel)
                     : Passes<false>(offsets, indices, distances, n, iterations, seed, unitWeights, nullptr, cancel);
}

namespace {

struct CwArgs {
  const uint32_t* offsets;
  const int32_t* indices;
  const float* distances;
  size_t n;
  uint32_t iterations, seed;
  bool unit;
  bool constrained;
  CwConstraints c;
  const CwConstraints* Constraints() const { return constrained ? &c : nullptr; }
};

CwArgs ParseArgs(const Napi::CallbackInfo& info) {
  auto offsets = GetArray<uint32_t>(info, 0, "offsets");
  auto indices = GetArray<int32_t>(info, 1, "indices");
  auto distances = GetArray<float>(info, 2, "distances");
  size_t n = GetCount(info, 3, "n");
  size_t iterations = GetCount(info, 4, "iterations");
  double seed = GetNumber(info, 5, "seed");
  bool unit = GetBool(info, 6, "unitWeights");
  if (iterations < 1 || iterations > 0xFFFFFFFFull) {
    throw Failure("ERR_FACECLUST_ARG", "Expected iterations >= 1 but received " + std::to_string(iterations),
                  ErrorKind::kRange);
  }
  // cannotOffsets, cannotIndices (info[8..9]): both or none; weights (info[7]) only with them, and optional
  // there: a graph that no must-link contracted keeps the weights derived from its distances.
  const bool constrained = !IsAbsent(info, 7) || !IsAbsent(info, 8) || !IsAbsent(info, 9);
  const bool explicitWeights = constrained && !IsAbsent(info, 7);
  CwConstraints c{};
  // Explicit weights replace the distances, which may then be empty.
  CheckCsr(offsets.data, offsets.length, indices.data, indices.length, distances.length, !unit && !explicitWeights, n);
  if (constrained) {
    const double* weights = nullptr;
    if (explicitWeights) {
      auto w = GetArray<double>(info, 7, "weights");
      if (w.length < offsets.data[n]) {
        throw Failure("ERR_FACECLUST_GRAPH", "Expected weights to hold offsets[n] = " + std::to_string(offsets.data[n]) +
                                                 " edges but received length " + std::to_string(w.length),
                      ErrorKind::kRange);
      }
      weights = w.data;
    }
    auto cannotOffsets = GetArray<uint32_t>(info, 8, "cannotOffsets");
    auto cannotIndices = GetArray<int32_t>(info, 9, "cannotIndices");
    CheckCsr(cannotOffsets.data, cannotOffsets.length, cannotIndices.data, cannotIndices.length, 0, false, n,
             "cannotOffsets", "cannotIndices");
    c = {weights, cannotOffsets.data, cannotIndices.data};
  }
  return {offsets.data, indices.data, distances.data, n, static_cast<uint32_t>(iterations), ToUint32(seed), unit,
          constrained, c};
}

Napi::Object ToJs(Napi::Env env, const ChineseWhispersResult& r) {
  auto labels = Napi::Int32Array::New(env, r.labels.size());
  std::copy(r.labels.begin(), r.labels.end(), labels.Data());
  Napi::Object o = Napi::Object::New(env);
  o.Set("labels", labels);
  o.Set("iterations", r.iterations);
  return o;
}

class ChineseWhispersWorker : public PromiseWorker {
 public:
  ChineseWhispersWorker(Napi::Env env, const CwArgs& a, Cancellation cancel) : PromiseWorker(env, std::move(cancel)), a_(a) {}

 protected:
  void Run() override {
    result_ = ChineseWhispers(a_.offsets, a_.indices, a_.distances, a_.n, a_.iterations, a_.seed, a_.unit,
                              a_.Constraints(), cancel());
  }
  Napi::Value Result(Napi::Env env) override { return ToJs(env, result_); }

 private:
  CwArgs a_;
  ChineseWhispersResult result_;
};

}  // namespace

Napi::Value ChineseWhispersSyncJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CwArgs a = ParseArgs(info);
    return ToJs(info.Env(), ChineseWhispers(a.offsets, a.indices, a.distances, a.n, a.iterations, a.seed, a.unit,
                                            a.Constraints(), Cancellation()));
  });
}

Napi::Value ChineseWhispersJs(const Napi::CallbackInfo& info) {
  return GuardAsync(info, [&]() -> Napi::Value {
    CwArgs a = ParseArgs(info);
    Cancellation cancel = GetCancel(info, 10);
    auto* worker = new ChineseWhispersWorker(info.Env(), a, std::move(cancel));
    for (int i = 0; i < 3; ++i) worker->Keep(info[i]);
    if (a.constrained)
      for (int i = 7; i < 10; ++i)
        if (!IsAbsent(info, i)) worker->Keep(info[i]);  // weights may be absent
    worker->Queue();
    return worker->Promise();
  });
}

}  // namespace fc
