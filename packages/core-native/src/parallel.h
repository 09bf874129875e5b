// parallel_for over work items with dynamic scheduling; the first exception thrown by any worker is kept
// and rethrown after join (only the caller may turn it into a JS error). Cancellation is checked before
// each item is taken: items are taken in ascending order and every item taken is finished (unless `fn`
// itself checks and throws), so a cancelled run has done exactly items [0, k) for some k.
#pragma once
#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "cancel.h"

namespace fc {

inline unsigned ResolveThreads(unsigned requested) {
  unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  return requested == 0 ? hw : requested;
}

// fn(item, threadIndex) is called once for every item in [0, items), items taken in ascending order,
// until `cancel` is raised; then the threads stop taking items, are joined, and the cancellation is thrown.
template <typename Fn>
void ParallelFor(unsigned threads, size_t items, const Cancellation& cancel, Fn&& fn) {
  threads = static_cast<unsigned>(std::min<size_t>(ResolveThreads(threads), std::max<size_t>(items, 1)));
  if (threads <= 1) {
    for (size_t i = 0; i < items && !cancel.Requested(); ++i) fn(i, 0u);
    cancel.Check();
    return;
  }
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first;
  std::mutex mutex;
  auto run = [&](unsigned t) {
    try {
      for (size_t i; !failed.load(std::memory_order_relaxed) && !cancel.Requested() && (i = next.fetch_add(1)) < items;) {
        fn(i, t);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex);
      if (!first) first = std::current_exception();
      failed = true;
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(run, t);
  run(0);
  for (auto& th : pool) th.join();
  if (first) std::rethrow_exception(first);
  cancel.Check();
}

}  // namespace fc
