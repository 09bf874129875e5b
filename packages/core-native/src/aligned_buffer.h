// A 64-byte aligned, uninitialised float buffer for packed SIMD panels (aligned zmm loads).
#pragma once
#include <cstdlib>
#include <memory>
#include <new>

namespace fc {

class AlignedFloats {
 public:
  AlignedFloats() = default;
  explicit AlignedFloats(size_t count) { Resize(count); }
  void Resize(size_t count) {
    if (count <= capacity_) return;
    size_t bytes = ((count * sizeof(float) + 63) / 64) * 64;
    void* p = std::aligned_alloc(64, bytes == 0 ? 64 : bytes);
    if (!p) throw std::bad_alloc();
    data_.reset(static_cast<float*>(p));
    capacity_ = count;
  }
  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> data_;
  size_t capacity_ = 0;
};

}  // namespace fc
