// Errors with a stable `code` (ERR_FACECLUST_*). Core code throws fc::Failure (no N-API); the binding layer
// turns it into a JS Error/TypeError/RangeError carrying the code, on the main thread only.
#pragma once
#include <napi.h>

#include <stdexcept>
#include <string>

namespace fc {

enum class ErrorKind { kError, kType, kRange };

struct Failure : std::runtime_error {
  Failure(const char* code, const std::string& message, ErrorKind kind = ErrorKind::kError)
      : std::runtime_error(message), code(code), kind(kind) {}
  std::string code;
  ErrorKind kind;
};

inline Napi::Error MakeJsError(Napi::Env env, const std::string& code, const std::string& message,
                               ErrorKind kind) {
  Napi::Error error = kind == ErrorKind::kType    ? Napi::TypeError::New(env, message)
                      : kind == ErrorKind::kRange ? Napi::RangeError::New(env, message)
                                                  : Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

inline Napi::Error MakeJsError(Napi::Env env, const Failure& f) {
  return MakeJsError(env, f.code, f.what(), f.kind);
}

}  // namespace fc
