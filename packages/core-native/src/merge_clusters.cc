#include "merge_clusters.h"

#include <algorithm>

#include "args.h"
#include "graph.h"
#include "promise_worker.h"

namespace fc {

namespace {

struct Candidate {
  float distance;
  int32_t a, b;  // rows, a < b
};

// Union-find over label values; a set's root is its smallest label, so results do not depend on the order
// of unions beyond the candidates' own order.
struct LabelSets {
  std::vector<int32_t> parent;
  // The cannot-link partner nodes of each set's members, kept at the root.
  std::vector<std::vector<int32_t>> partners;

  explicit LabelSets(size_t n, bool constrained) : parent(n), partners(constrained ? n : 0) {
    for (size_t i = 0; i < n; ++i) parent[i] = static_cast<int32_t>(i);
  }
  int32_t Find(int32_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
};

}  // namespace

std::vector<int32_t> MergeClusters(const uint32_t* offsets, const int32_t* indices, const float* distances, size_t n,
                                   const int32_t* labels, double radius, const MergeConstraints* c,
                                   const Cancellation& cancel) {
  // The edges within the radius between two clusters: few, since most edges lie inside a cluster.
  std::vector<Candidate> candidates;
  for (size_t i = 0; i < n; ++i) {
    if ((i & 4095) == 0) cancel.Check();
    for (uint32_t e = offsets[i]; e < offsets[i + 1]; ++e) {
      const int32_t j = indices[e];
      // compared in double, as the TypeScript backend compares a float32 distance with a double radius
      if (static_cast<size_t>(j) > i && static_cast<double>(distances[e]) <= radius && labels[i] != labels[j])
        candidates.push_back({distances[e], static_cast<int32_t>(i), j});
    }
  }
  // Closest first; ties in row order (the order they were collected in), as the TypeScript backend's stable sort.
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& x, const Candidate& y) { return x.distance < y.distance; });

  LabelSets sets(n, c != nullptr);
  if (c) {
    for (size_t g = 0; g < c->nodes; ++g)
      for (uint32_t f = c->cannotOffsets[g]; f < c->cannotOffsets[g + 1]; ++f)
        sets.partners[c->nodeLabels[g]].push_back(c->cannotIndices[f]);
  }
  size_t steps = 0;
  for (const Candidate& k : candidates) {
    if ((++steps & 4095) == 0) cancel.Check();
    int32_t x = sets.Find(labels[k.a]), y = sets.Find(labels[k.b]);
    if (x == y) continue;
    if (c) {
      // Refused when a member of one set is cannot-linked to a member of the other (scan the shorter list).
      const bool xShorter = sets.partners[x].size() <= sets.partners[y].size();
      const int32_t other = xShorter ? y : x;
      bool refused = false;
      for (int32_t h : sets.partners[xShorter ? x : y])
        if (sets.Find(c->nodeLabels[h]) == other) {
          refused = true;
          break;
        }
      if (refused) continue;
    }
    if (y < x) std::swap(x, y);
    sets.parent[y] = x;
    if (c) {
      auto& into = sets.partners[x];
      auto& from = sets.partners[y];
      into.insert(into.end(), from.begin(), from.end());
      std::vector<int32_t>().swap(from);
    }
  }
  std::vector<int32_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = sets.Find(labels[i]);
  return out;
}

namespace {

struct MergeArgs {
  const uint32_t* offsets;
  const int32_t* indices;
  const float* distances;
  size_t n;
  const int32_t* labels;
  double radius;
  bool constrained;
  MergeConstraints c;
  const MergeConstraints* Constraints() const { return constrained ? &c : nullptr; }
};

MergeArgs ParseArgs(const Napi::CallbackInfo& info) {
  auto offsets = GetArray<uint32_t>(info, 0, "offsets");
  auto indices = GetArray<int32_t>(info, 1, "indices");
  auto distances = GetArray<float>(info, 2, "distances");
  size_t n = GetCount(info, 3, "n");
  auto labels = GetArray<int32_t>(info, 4, "labels");
  double radius = GetNumber(info, 5, "radius");
  CheckCsr(offsets.data, offsets.length, indices.data, indices.length, distances.length, true, n);
  if (labels.length != n) {
    throw Failure("ERR_FACECLUST_ARG", "Expected labels.length == n = " + std::to_string(n) + " but received " +
                                           std::to_string(labels.length),
                  ErrorKind::kRange);
  }
  for (size_t i = 0; i < n; ++i)
    if (labels.data[i] < 0 || static_cast<size_t>(labels.data[i]) >= n)
      throw Failure("ERR_FACECLUST_ARG", "Expected labels to lie in [0, n) but received " +
                                             std::to_string(labels.data[i]) + " at " + std::to_string(i),
                    ErrorKind::kRange);
  if (!(radius >= 0)) throw Failure("ERR_FACECLUST_ARG", "Expected radius >= 0", ErrorKind::kRange);
  // nodeLabels, cannotOffsets, cannotIndices (info[6..8]): all three or none.
  const bool constrained = !IsAbsent(info, 6) || !IsAbsent(info, 7) || !IsAbsent(info, 8);
  MergeConstraints c{};
  if (constrained) {
    auto nodeLabels = GetArray<int32_t>(info, 6, "nodeLabels");
    auto cannotOffsets = GetArray<uint32_t>(info, 7, "cannotOffsets");
    auto cannotIndices = GetArray<int32_t>(info, 8, "cannotIndices");
    const size_t nodes = nodeLabels.length;
    for (size_t i = 0; i < nodes; ++i)
      if (nodeLabels.data[i] < 0 || static_cast<size_t>(nodeLabels.data[i]) >= n)
        throw Failure("ERR_FACECLUST_ARG", "Expected nodeLabels to lie in [0, n)", ErrorKind::kRange);
    CheckCsr(cannotOffsets.data, cannotOffsets.length, cannotIndices.data, cannotIndices.length, 0, false, nodes,
             "cannotOffsets", "cannotIndices");
    c = {nodeLabels.data, nodes, cannotOffsets.data, cannotIndices.data};
  }
  return {offsets.data, indices.data, distances.data, n, labels.data, radius, constrained, c};
}

Napi::Value ToJs(Napi::Env env, const std::vector<int32_t>& labels) {
  auto out = Napi::Int32Array::New(env, labels.size());
  std::copy(labels.begin(), labels.end(), out.Data());
  return out;
}

class MergeClustersWorker : public PromiseWorker {
 public:
  MergeClustersWorker(Napi::Env env, const MergeArgs& a, Cancellation cancel)
      : PromiseWorker(env, std::move(cancel)), a_(a) {}

 protected:
  void Run() override {
    labels_ = MergeClusters(a_.offsets, a_.indices, a_.distances, a_.n, a_.labels, a_.radius, a_.Constraints(), cancel());
  }
  Napi::Value Result(Napi::Env env) override { return ToJs(env, labels_); }

 private:
  MergeArgs a_;
  std::vector<int32_t> labels_;
};

}  // namespace

Napi::Value MergeClustersSyncJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    MergeArgs a = ParseArgs(info);
    return ToJs(info.Env(), MergeClusters(a.offsets, a.indices, a.distances, a.n, a.labels, a.radius, a.Constraints(),
                                          Cancellation()));
  });
}

Napi::Value MergeClustersJs(const Napi::CallbackInfo& info) {
  return GuardAsync(info, [&]() -> Napi::Value {
    MergeArgs a = ParseArgs(info);
    Cancellation cancel = GetCancel(info, 9);
    auto* worker = new MergeClustersWorker(info.Env(), a, std::move(cancel));
    for (int i : {0, 1, 2, 4}) worker->Keep(info[i]);
    if (a.constrained)
      for (int i = 6; i < 9; ++i) worker->Keep(info[i]);
    worker->Queue();
    return worker->Promise();
  });
}

}  // namespace fc
