// Argument access for the flat native surface: typed arrays by view (no copy) and plain numbers.
// Napi::TypedArrayOf<T>::Data() already includes the view's byteOffset, so subarray() views work.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "errors.h"
#include "kernels/kernels.h"

namespace fc {

template <typename T>
struct ArrayView {
  T* data = nullptr;
  size_t length = 0;
};

template <typename T>
inline const char* TypedArrayName();
template <>
inline const char* TypedArrayName<float>() { return "Float32Array"; }
template <>
inline const char* TypedArrayName<uint32_t>() { return "Uint32Array"; }
template <>
inline const char* TypedArrayName<int32_t>() { return "Int32Array"; }
template <>
inline const char* TypedArrayName<uint8_t>() { return "Uint8Array"; }
template <>
inline const char* TypedArrayName<int8_t>() { return "Int8Array"; }
template <>
inline const char* TypedArrayName<double>() { return "Float64Array"; }

template <typename T>
inline napi_typedarray_type TypedArrayType();
template <>
inline napi_typedarray_type TypedArrayType<float>() { return napi_float32_array; }
template <>
inline napi_typedarray_type TypedArrayType<uint32_t>() { return napi_uint32_array; }
template <>
inline napi_typedarray_type TypedArrayType<int32_t>() { return napi_int32_array; }
template <>
inline napi_typedarray_type TypedArrayType<uint8_t>() { return napi_uint8_array; }
template <>
inline napi_typedarray_type TypedArrayType<int8_t>() { return napi_int8_array; }
template <>
inline napi_typedarray_type TypedArrayType<double>() { return napi_float64_array; }

inline std::string Describe(const Napi::Value& v) {
  if (v.IsTypedArray()) return "a typed array of another type";
  if (v.IsArray()) return "an Array";
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsNumber()) return "number " + v.ToString().Utf8Value();
  if (v.IsExternal()) return "a native handle of another kind";
  return "a value of type " + std::string(v.IsString() ? "string" : v.IsObject() ? "object" : "other");
}

template <typename T>
inline ArrayView<T> GetArray(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != TypedArrayType<T>()) {
    throw Failure("ERR_FACECLUST_ARG",
                  std::string("Expected ") + TypedArrayName<T>() + " for " + name + " but received " + Describe(v),
                  ErrorKind::kType);
  }
  auto ta = v.As<Napi::TypedArrayOf<T>>();
  return {ta.Data(), ta.ElementLength()};
}

// An optional argument left out or passed as undefined (a zero-length typed array may have no data
// pointer, so presence is asked of the value, not of the view).
inline bool IsAbsent(const Napi::CallbackInfo& info, size_t i) { return info.Length() <= i || info[i].IsUndefined(); }

inline size_t GetCount(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = info[i];
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(d >= 0) || d != std::floor(d) || d > 9007199254740991.0) {
    throw Failure("ERR_FACECLUST_ARG",
                  std::string("Expected a non-negative integer for ") + name + " but received " + Describe(v),
                  v.IsNumber() ? ErrorKind::kRange : ErrorKind::kType);
  }
  return static_cast<size_t>(d);
}

inline double GetNumber(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) {
    throw Failure("ERR_FACECLUST_ARG", std::string("Expected a number for ") + name + " but received " + Describe(v),
                  ErrorKind::kType);
  }
  return v.As<Napi::Number>().DoubleValue();
}

inline bool GetBool(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsBoolean()) {
    throw Failure("ERR_FACECLUST_ARG", std::string("Expected a boolean for ") + name + " but received " + Describe(v),
                  ErrorKind::kType);
  }
  return v.As<Napi::Boolean>().Value();
}

inline Metric GetMetric(const Napi::CallbackInfo& info, size_t i) {
  Napi::Value v = info[i];
  if (v.IsString()) {
    Metric m;
    if (ParseMetric(v.As<Napi::String>().Utf8Value(), &m)) return m;
  }
  throw Failure("ERR_FACECLUST_METRIC",
                "Expected one of euclidean, sqeuclidean, cosine, manhattan, chebyshev for metric but received " +
                    (v.IsString() ? "'" + v.As<Napi::String>().Utf8Value() + "'" : Describe(v)),
                ErrorKind::kRange);
}

// The matrix must hold exactly rows×dim values; a mismatch is the most common caller bug.
inline void CheckMatrix(size_t length, size_t rows, size_t dim, const char* name, const char* rowsName) {
  if (rows != 0 && dim == 0) {
    throw Failure("ERR_FACECLUST_DIM", std::string("Expected dim >= 1 but received 0"), ErrorKind::kRange);
  }
  if (static_cast<double>(rows) * static_cast<double>(dim) != static_cast<double>(length)) {
    throw Failure("ERR_FACECLUST_DIM",
                  std::string("Expected ") + name + ".length == " + rowsName + " * dim = " + std::to_string(rows) +
                      " * " + std::to_string(dim) + " but received length " + std::to_string(length),
                  ErrorKind::kRange);
  }
}

inline unsigned GetThreads(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsUndefined()) return 0;
  size_t t = GetCount(info, i, "threads");
  return static_cast<unsigned>(t > 1024 ? 1024 : t);
}

}  // namespace fc
