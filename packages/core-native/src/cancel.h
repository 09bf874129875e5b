// Cancellation, one mechanism for every async call: a flag that JavaScript raises (cancel(token)) and the
// worker polls between blocks of work. Every Promise-returning call takes a token as its optional last
// argument; once the flag is up, the call's threads stop at their next check, are joined, and the promise
// rejects with ERR_FACECLUST_CANCELLED. The flag is shared (token handle and workers each hold a
// reference), so either may outlive the other. Header-only apart from the JS entry points (cancel.cc), so
// core code that links without Node (test/neon-check.cc) needs nothing more.
#pragma once
#include <napi.h>

#include <atomic>
#include <memory>
#include <utility>

#include "errors.h"

namespace fc {

class Cancellation {
 public:
  Cancellation() = default;  // never raised: sync calls, or no token given
  explicit Cancellation(std::shared_ptr<std::atomic<bool>> flag) : flag_(std::move(flag)) {}

  // Relaxed: the flag publishes nothing else, it only has to become visible (it does within nanoseconds).
  bool Requested() const { return flag_ && flag_->load(std::memory_order_relaxed); }

  // Throws the cancellation Failure when raised. Call it only where stopping leaves shared state valid.
  void Check() const {
    if (Requested()) throw Failure("ERR_FACECLUST_CANCELLED", "The operation was cancelled");
  }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

// The optional token at info[i]: absent or undefined gives a Cancellation that never fires; anything else but a
// token made by cancelToken() is a TypeError (ERR_FACECLUST_ARG).
Cancellation GetCancel(const Napi::CallbackInfo& info, size_t i);

Napi::Value CancelTokenJs(const Napi::CallbackInfo& info);  // cancelToken() -> a new, unraised token
Napi::Value CancelJs(const Napi::CallbackInfo& info);       // cancel(token): raises it (idempotent)

}  // namespace fc
