#include "pairwise.h"

#include "args.h"
#include "capabilities.h"
#include "parallel.h"
#include "promise_worker.h"

namespace fc {
namespace {

struct PairwiseArgs {
  const float *a, *b;
  size_t na, nb, dim;
  Metric metric;
  float* out;
  unsigned threads;
};

PairwiseArgs ParseArgs(const Napi::CallbackInfo& info, bool async) {
  auto a = GetArray<float>(info, 0, "a");
  size_t na = GetCount(info, 1, "na");
  auto b = GetArray<float>(info, 2, "b");
  size_t nb = GetCount(info, 3, "nb");
  size_t dim = GetCount(info, 4, "dim");
  Metric metric = GetMetric(info, 5);
  auto out = GetArray<float>(info, 6, "out");
  unsigned threads = async ? GetThreads(info, 7) : 1;
  CheckMatrix(a.length, na, dim, "a", "na");
  CheckMatrix(b.length, nb, dim, "b", "nb");
  if (out.length != na * nb) {
    throw Failure("ERR_FACECLUST_DIM", "Expected out.length == na * nb = " + std::to_string(na * nb) +
                                           " but received length " + std::to_string(out.length),
                  ErrorKind::kRange);
  }
  return {a.data, b.data, na, nb, dim, metric, out.data, threads};
}

class PairwiseWorker : public PromiseWorker {
 public:
  PairwiseWorker(Napi::Env env, const PairwiseArgs& args, const Kernels& k, Cancellation cancel)
      : PromiseWorker(env, std::move(cancel)), p_(args), k_(k) {}

 protected:
  void Run() override { Pairwise(k_, p_.a, p_.na, p_.b, p_.nb, p_.dim, p_.metric, p_.out, p_.threads, cancel()); }
  Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

 private:
  PairwiseArgs p_;
  const Kernels& k_;
};

}  // namespace

void Pairwise(const Kernels& k, const float* a, size_t na, const float* b, size_t nb, size_t dim, Metric metric,
              float* out, unsigned threads, const Cancellation& cancel) {
  auto fn = k.distance[metric];
  constexpr size_t kRows = 8;
  ParallelFor(threads, (na + kRows - 1) / kRows, cancel, [&](size_t blk, unsigned) {
    for (size_t i = blk * kRows; i < std::min(na, blk * kRows + kRows); ++i)
      for (size_t j = 0; j < nb; ++j) out[i * nb + j] = fn(a + i * dim, b + j * dim, dim);
  });
}

Napi::Value PairwiseSyncJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    PairwiseArgs p = ParseArgs(info, false);
    Pairwise(ActiveKernels(), p.a, p.na, p.b, p.nb, p.dim, p.metric, p.out, 1, Cancellation());
    return info.Env().Undefined();
  });
}

Napi::Value DotBf16SyncJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    auto a = GetArray<uint32_t>(info, 0, "a");
    auto b = GetArray<uint32_t>(info, 1, "b");
    if (a.length != b.length || a.length % 32 != 0) {
      throw Failure("ERR_FACECLUST_DIM", "Expected a.length == b.length, a multiple of 32, but received lengths " +
                                             std::to_string(a.length) + " and " + std::to_string(b.length),
                    ErrorKind::kRange);
    }
    return Napi::Number::New(info.Env(), ActiveKernels().dot_bf16(a.data, b.data, a.length));
  });
}

Napi::Value DotI8SyncJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    auto a = GetArray<int8_t>(info, 0, "a");
    auto b = GetArray<int8_t>(info, 1, "b");
    if (a.length != b.length || a.length % 64 != 0) {
      throw Failure("ERR_FACECLUST_DIM", "Expected a.length == b.length, a multiple of 64, but received lengths " +
                                             std::to_string(a.length) + " and " + std::to_string(b.length),
                    ErrorKind::kRange);
    }
    const Kernels& k = ActiveKernels();
    return Napi::Number::New(info.Env(), (k.dot_i8 ? k.dot_i8 : DotI8Reference)(a.data, b.data, a.length));
  });
}

Napi::Value PairwiseJs(const Napi::CallbackInfo& info) {
  return GuardAsync(info, [&]() -> Napi::Value {
    PairwiseArgs p = ParseArgs(info, true);
    Cancellation cancel = GetCancel(info, 8);
    auto* worker = new PairwiseWorker(info.Env(), p, ActiveKernels(), std::move(cancel));
    worker->Keep(info[0]);
    worker->Keep(info[2]);
    worker->Keep(info[6]);
    worker->Queue();
    return worker->Promise();
  });
}

}  // namespace fc
