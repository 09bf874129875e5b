#include "dbscan.h"

#include "args.h"
#include "graph.h"
#include "promise_worker.h"

namespace fc {

namespace {

template <bool kConstrained>
std::vector<int32_t> Expand(const uint32_t* offsets, const int32_t* indices, size_t n, size_t minSamples,
                            const DbscanConstraints* c, const Cancellation& cancel) {
  std::vector<int32_t> label(n, -1);
  auto core = [&](size_t i) -> bool {
    if constexpr (kConstrained) {
      return c->core[i] != 0;
    } else {
      // The graph excludes the point itself; scikit-learn counts it, hence degree + 1.
      return static_cast<size_t>(offsets[i + 1] - offsets[i]) + 1 >= minSamples;
    }
  };
  std::vector<int32_t> stack;
  int32_t next = 0;
  size_t steps = 0;  // points scanned or popped: the flag is read every 4096
  for (size_t i = 0; i < n; ++i) {
    if ((++steps & 4095) == 0) cancel.Check();
    if (label[i] != -1 || !core(i)) continue;
    stack.push_back(static_cast<int32_t>(i));
    while (!stack.empty()) {
      if ((++steps & 4095) == 0) cancel.Check();
      const int32_t v = stack.back();
      stack.pop_back();
      if (label[v] != -1) continue;
      if constexpr (kConstrained) {
        // Refused: a cannot-link partner is already in this cluster. It stays unlabelled, free to seed or
        // join a later cluster.
        bool refused = false;
        for (uint32_t f = c->cannotOffsets[v]; f < c->cannotOffsets[v + 1] && !refused; ++f)
          refused = label[c->cannotIndices[f]] == next;
        if (refused) continue;
      }
      label[v] = next;
      if (!core(static_cast<size_t>(v))) continue;
      for (uint32_t e = offsets[v]; e < offsets[v + 1]; ++e)
        if (label[indices[e]] == -1) stack.push_back(indices[e]);
    }
    ++next;
  }
  return label;
}

}  // namespace

std::vector<int32_t> Dbscan(const uint32_t* offsets, const int32_t* indices, size_t n, size_t minSamples,
                            const DbscanConstraints* constrained, const Cancellation& cancel) {
  return constrained ? Expand<true>(offsets, indices, n, minSamples, constrained, cancel)
                     : Expand<false>(offsets, indices, n, minSamples, nullptr, cancel);
}

namespace {

struct DbscanArgs {
  const uint32_t* offsets;
  const int32_t* indices;
  size_t n, minSamples;
  bool constrained;
  DbscanConstraints c;
  const DbscanConstraints* Constraints() const { return constrained ? &c : nullptr; }
};

DbscanArgs ParseArgs(const Napi::CallbackInfo& info) {
  auto offsets = GetArray<uint32_t>(info, 0, "offsets");
  auto indices = GetArray<int32_t>(info, 1, "indices");
  size_t n = GetCount(info, 2, "n");
  size_t minSamples = GetCount(info, 3, "minSamples");
  if (minSamples < 1) {
    throw Failure("ERR_FACECLUST_ARG", "Expected minSamples >= 1 but received 0", ErrorKind::kRange);
  }
  CheckCsr(offsets.data, offsets.length, indices.data, indices.length, 0, false, n);
  // core, cannotOffsets, cannotIndices (info[4..6]): all three or none.
  const bool constrained = !IsAbsent(info, 4) || !IsAbsent(info, 5) || !IsAbsent(info, 6);
  DbscanConstraints c{};
  if (constrained) {
    auto core = GetArray<uint8_t>(info, 4, "core");
    auto cannotOffsets = GetArray<uint32_t>(info, 5, "cannotOffsets");
    auto cannotIndices = GetArray<int32_t>(info, 6, "cannotIndices");
    if (core.length != n) {
      throw Failure("ERR_FACECLUST_GRAPH", "Expected core.length == n = " + std::to_string(n) + " but received " +
                                               std::to_string(core.length),
                    ErrorKind::kRange);
    }
    CheckCsr(cannotOffsets.data, cannotOffsets.length, cannotIndices.data, cannotIndices.length, 0, false, n,
             "cannotOffsets", "cannotIndices");
    c = {core.data, cannotOffsets.data, cannotIndices.data};
  }
  return {offsets.data, indices.data, n, minSamples, constrained, c};
}

Napi::Value ToJs(Napi::Env env, const std::vector<int32_t>& labels) {
  auto out = Napi::Int32Array::New(env, labels.size());
  std::copy(labels.begin(), labels.end(), out.Data());
  return out;
}

class DbscanWorker : public PromiseWorker {
 public:
  DbscanWorker(Napi::Env env, const DbscanArgs& a, Cancellation cancel) : PromiseWorker(env, std::move(cancel)), a_(a) {}

 protected:
  void Run() override { labels_ = Dbscan(a_.offsets, a_.indices, a_.n, a_.minSamples, a_.Constraints(), cancel()); }
  Napi::Value Result(Napi::Env env) override { return ToJs(env, labels_); }

 private:
  DbscanArgs a_;
  std::vector<int32_t> labels_;
};

}  // namespace

Napi::Value DbscanSyncJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    DbscanArgs a = ParseArgs(info);
    return ToJs(info.Env(), Dbscan(a.offsets, a.indices, a.n, a.minSamples, a.Constraints(), Cancellation()));
  });
}

Napi::Value DbscanJs(const Napi::CallbackInfo& info) {
  return GuardAsync(info, [&]() -> Napi::Value {
    DbscanArgs a = ParseArgs(info);
    Cancellation cancel = GetCancel(info, 7);
    auto* worker = new DbscanWorker(info.Env(), a, std::move(cancel));
    worker->Keep(info[0]);
    worker->Keep(info[1]);
    if (a.constrained)
      for (int i = 4; i < 7; ++i) worker->Keep(info[i]);
    worker->Queue();
    return worker->Promise();
  });
}

}  // namespace fc
