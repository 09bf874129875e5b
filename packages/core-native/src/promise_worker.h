// Base for Promise-returning calls: an AsyncWorker whose Execute() runs core code (no N-API) on libuv's pool,
// keeps its typed-array inputs alive by reference (not copied), and rejects with a coded error. Each holds
// the call's Cancellation (cancel.h): a token raised before the worker starts rejects without running; one
// raised later is seen by the core code at its next check (between blocks, passes or batches).
#pragma once
#include <napi.h>

#include <exception>
#include <utility>
#include <vector>

#include "cancel.h"
#include "errors.h"

namespace fc {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, Cancellation cancel)
      : Napi::AsyncWorker(env, "faceclust"), cancel_(std::move(cancel)), deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  // Holds a JS value (an input typed array) until the worker is destroyed, so its memory stays valid.
  void Keep(const Napi::Value& v) { keep_.push_back(Napi::Persistent(v.As<Napi::Object>())); }

 protected:
  virtual void Run() = 0;  // worker thread: plain C++ only
  virtual Napi::Value Result(Napi::Env env) = 0;

  const Cancellation& cancel() const { return cancel_; }

  void Execute() override {
    try {
      cancel_.Check();
      Run();
    } catch (const Failure& f) {
      failure_ = f;
      SetError(f.what());
    } catch (const std::bad_alloc&) {
      failure_ = Failure("ERR_FACECLUST_MEMORY", "Out of memory");
      SetError("Out of memory");
    } catch (const std::exception& e) {
      failure_ = Failure("ERR_FACECLUST_INTERNAL", e.what());
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::HandleScope scope(Env());
    deferred_.Resolve(Result(Env()));
  }
  void OnError(const Napi::Error&) override {
    Napi::HandleScope scope(Env());
    deferred_.Reject(MakeJsError(Env(), failure_).Value());
  }

 private:
  Cancellation cancel_;
  Napi::Promise::Deferred deferred_;
  std::vector<Napi::ObjectReference> keep_;
  Failure failure_{"ERR_FACECLUST_INTERNAL", "unknown error"};
};

// Wraps a binding body so a Failure becomes a coded JS exception.
template <typename Fn>
Napi::Value Guard(const Napi::CallbackInfo& info, Fn&& fn) {
  try {
    return fn();
  } catch (const Failure& f) {
    throw MakeJsError(info.Env(), f);
  } catch (const std::bad_alloc&) {
    throw MakeJsError(info.Env(), "ERR_FACECLUST_MEMORY", "Out of memory", ErrorKind::kError);
  }
}

// For Promise-returning calls: argument errors reject the promise instead of throwing synchronously.
template <typename Fn>
Napi::Value GuardAsync(const Napi::CallbackInfo& info, Fn&& fn) {
  Napi::Env env = info.Env();
  auto reject = [&](const Napi::Error& e) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Reject(e.Value());
    return d.Promise();
  };
  try {
    return fn();
  } catch (const Failure& f) {
    return reject(MakeJsError(env, f));
  } catch (const std::bad_alloc&) {
    return reject(MakeJsError(env, "ERR_FACECLUST_MEMORY", "Out of memory", ErrorKind::kError));
  }
}

}  // namespace fc
