#include "dbscan.h"

#include "args.h"
#include "graph.h"
#include "promise_worker.h"

namespace fc {

std::vector<int32_t> Dbscan(const uint32_t* offsets, const int32_t* indices, size_t n, size_t minSamples,
                            const Cancellation& cancel) {
  std::vector<int32_t> label(n, -1);
  // The graph excludes the point itself; scikit-learn counts it, hence degree + 1.
  auto core = [&](size_t i) { return static_cast<size_t>(offsets[i + 1] - offsets[i]) + 1 >= minSamples; };
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
      label[v] = next;
      if (!core(static_cast<size_t>(v))) continue;
      for (uint32_t e = offsets[v]; e < offsets[v + 1]; ++e)
        if (label[indices[e]] == -1) stack.push_back(indices[e]);
    }
    ++next;
  }
  return label;
}

namespace {

struct DbscanArgs {
  const uint32_t* offsets;
  const int32_t* indices;
  size_t n, minSamples;
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
  return {offsets.data, indices.data, n, minSamples};
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
  void Run() override { labels_ = Dbscan(a_.offsets, a_.indices, a_.n, a_.minSamples, cancel()); }
  Napi::Value Result(Napi::Env env) override { return ToJs(env, labels_); }

 private:
  DbscanArgs a_;
  std::vector<int32_t> labels_;
};

}  // namespace

Napi::Value DbscanSyncJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    DbscanArgs a = ParseArgs(info);
    return ToJs(info.Env(), Dbscan(a.offsets, a.indices, a.n, a.minSamples, Cancellation()));
  });
}

Napi::Value DbscanJs(const Napi::CallbackInfo& info) {
  return GuardAsync(info, [&]() -> Napi::Value {
    DbscanArgs a = ParseArgs(info);
    Cancellation cancel = GetCancel(info, 4);
    auto* worker = new DbscanWorker(info.Env(), a, std::move(cancel));
    worker->Keep(info[0]);
    worker->Keep(info[1]);
    worker->Queue();
    return worker->Promise();
  });
}

}  // namespace fc
