// Stand-in for Python hnswlib (whose wheel is not installable here): the same vendored hnswlib v0.8.0
// headers, used the way Python hnswlib's bindings use them. `Index('l2', dim).init_index(n, M, efC, seed)`,
// `add_items(data, num_threads)` (first row alone, then a ParallelFor of one row per job, as bindings.cpp does),
// `set_ef(ef)` and `knn_query(data, k, num_threads)`: fp32 rows in hnswlib's own L2Space, compiled with
// -O3 -march=native so hnswlib picks its AVX-512 distance. Not shipped in any package.
//
//   hnswlib-baseline <rows.f32> <n> <dim> <M> <efConstruction> <k> <ef> <threads> <seed>
// prints one JSON line: build and query seconds, wall and CPU (every thread).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include <sys/resource.h>

#include "hnswlib.h"

namespace {

// bindings.cpp's ParallelFor: threads take the next id from an atomic counter.
template <class Function>
void ParallelFor(size_t start, size_t end, size_t numThreads, Function fn) {
  if (numThreads <= 1) {
    for (size_t id = start; id < end; id++) fn(id, 0);
    return;
  }
  std::vector<std::thread> threads;
  std::atomic<size_t> current(start);
  std::exception_ptr lastException = nullptr;
  std::mutex lastExceptMutex;
  for (size_t threadId = 0; threadId < numThreads; ++threadId) {
    threads.push_back(std::thread([&, threadId] {
      while (true) {
        size_t id = current.fetch_add(1);
        if (id >= end) break;
        try {
          fn(id, threadId);
        } catch (...) {
          std::unique_lock<std::mutex> lastExcepLock(lastExceptMutex);
          lastException = std::current_exception();
          current = end;
          break;
        }
      }
    }));
  }
  for (auto& thread : threads) thread.join();
  if (lastException) std::rethrow_exception(lastException);
}

double Seconds(std::chrono::steady_clock::time_point a) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
}

// CPU seconds of every thread so far (user + system): on a shared machine, the work done, whatever the share.
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec * 1e-6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec * 1e-6;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 10) {
    std::fprintf(stderr, "usage: %s rows.f32 n dim M efConstruction k ef threads seed\n", argv[0]);
    return 2;
  }
  const size_t n = std::strtoull(argv[2], nullptr, 10), dim = std::strtoull(argv[3], nullptr, 10);
  const size_t M = std::strtoull(argv[4], nullptr, 10), efc = std::strtoull(argv[5], nullptr, 10);
  const size_t k = std::strtoull(argv[6], nullptr, 10), ef = std::strtoull(argv[7], nullptr, 10);
  const size_t threads = std::strtoull(argv[8], nullptr, 10), seed = std::strtoull(argv[9], nullptr, 10);
  std::vector<float> data(n * dim);
  std::ifstream in(argv[1], std::ios::binary);
  if (!in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(data.size() * sizeof(float)))) {
    std::fprintf(stderr, "cannot read %zu×%zu float32 from %s\n", n, dim, argv[1]);
    return 1;
  }
  hnswlib::L2Space space(dim);
  hnswlib::HierarchicalNSW<float> index(&space, n, M, efc, seed);
  double c0 = CpuSeconds();
  auto t0 = std::chrono::steady_clock::now();
  index.addPoint(data.data(), 0);
  ParallelFor(1, n, threads, [&](size_t row, size_t) { index.addPoint(data.data() + row * dim, row); });
  const double build = Seconds(t0), buildCpu = CpuSeconds() - c0;
  index.setEf(ef);
  std::vector<uint32_t> labels(n * k);
  std::vector<float> distances(n * k);
  c0 = CpuSeconds();
  t0 = std::chrono::steady_clock::now();
  ParallelFor(0, n, threads, [&](size_t row, size_t) {
    auto result = index.searchKnn(data.data() + row * dim, k);
    for (size_t i = result.size(); i-- > 0; result.pop()) {  // knn_query fills each row nearest first
      labels[row * k + i] = static_cast<uint32_t>(result.top().second);
      distances[row * k + i] = result.top().first;
    }
  });
  const double query = Seconds(t0), queryCpu = CpuSeconds() - c0;
  std::printf("{\"buildS\":%.3f,\"queryS\":%.3f,\"buildCpuS\":%.3f,\"queryCpuS\":%.3f,\"simd\":\"%s\"}\n", build, query, buildCpu, queryCpu,
#if defined(USE_AVX512)
              "avx512"
#elif defined(USE_AVX)
              "avx"
#else
              "sse"
#endif
  );
  return 0;
}
