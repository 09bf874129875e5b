#include "cancel.h"

#include "args.h"
#include "promise_worker.h"

namespace fc {
namespace {

using Flag = std::shared_ptr<std::atomic<bool>>;

// Type tag of token handles, so that another external (an HNSW index) is refused instead of misread.
const napi_type_tag kCancelTag = {0x6661636563616e63ull, 0x656c746f6b656e31ull};

Flag& TokenFlag(const Napi::CallbackInfo& info, size_t i) {
  Napi::Value v = info[i];
  if (!v.IsExternal() || !v.As<Napi::External<Flag>>().CheckTypeTag(&kCancelTag)) {
    throw Failure("ERR_FACECLUST_ARG", "Expected a cancel token for cancel but received " + Describe(v), ErrorKind::kType);
  }
  return *v.As<Napi::External<Flag>>().Data();
}

}  // namespace

Cancellation GetCancel(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsUndefined()) return Cancellation();
  return Cancellation(TokenFlag(info, i));
}

Napi::Value CancelTokenJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    auto token = Napi::External<Flag>::New(info.Env(), new Flag(std::make_shared<std::atomic<bool>>(false)),
                                           [](Napi::Env, Flag* p) { delete p; });
    token.TypeTag(&kCancelTag);
    return token;
  });
}

Napi::Value CancelJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    TokenFlag(info, 0)->store(true, std::memory_order_relaxed);
    return info.Env().Undefined();
  });
}

}  // namespace fc
