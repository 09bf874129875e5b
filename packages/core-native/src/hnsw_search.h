// hnswlib's insert and layer search, with the distances of one expansion computed as a batch: the unvisited
// links of a node are gathered first (under its lock in the build, then released), then each one's whole
// stored point is prefetched a few candidates ahead of the distance that reads it, where hnswlib prefetches the
// first cache line of the next one (a bf16 row spans 17 lines, an int8 row 9). The visiting order, the
// distances and the decisions are hnswlib's own (v0.8.0 addPoint, searchBaseLayer, searchBaseLayerST without
// deletions or filters), so a one-thread build links exactly as hnswlib's addPoint does. Measured, the batch
// alone saved little against hnswlib's own loop; the 2 MiB pages (AdviseHugePages) saved ~13 % of the build.
//
// A subclass, not a patch of the vendored headers: those stay byte-for-byte upstream (the benchmarks' hnswlib
// baseline compiles them as Python hnswlib does), and every member used here is public in hnswlib.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <queue>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#endif
#include "hnswlib.h"
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace fc {

class Hnsw : public hnswlib::HierarchicalNSW<float> {
 public:
  using Base = hnswlib::HierarchicalNSW<float>;
  using Base::Base;
  using tableint = hnswlib::tableint;
  using Queue = std::priority_queue<std::pair<float, tableint>, std::vector<std::pair<float, tableint>>, Base::CompareByFirst>;

  // Where the bytes a distance reads live for a stored point (its element data, or a row it names).
  struct Span {
    const char* first;
    size_t bytes;
  };
  using Locate = Span (*)(const void* data, const void* param);

  // Set by the owner when the stored data is not the point itself (row numbers into a matrix).
  Locate locate = nullptr;

  // Asks for 2 MiB pages under the element array (Linux, where transparent huge pages are "madvise"):
  // each distance reads a random element, and with 4 KiB pages nearly every one missed the TLB as well.
  void AdviseHugePages() const {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const uintptr_t page = 2u << 20, first = (reinterpret_cast<uintptr_t>(data_level0_memory_) + page - 1) & ~(page - 1);
    const uintptr_t end = (reinterpret_cast<uintptr_t>(data_level0_memory_) + max_elements_ * size_data_per_element_) & ~(page - 1);
    if (end > first) madvise(reinterpret_cast<void*>(first), end - first, MADV_HUGEPAGE);
#endif
  }

  // hnswlib's addPoint(point, label, -1) for a label not yet in the index.
  tableint Insert(const void* point, hnswlib::labeltype label);

  // Layer 0 from `ep` at width ef, read-only (no locks: nothing may insert meanwhile); farthest on top.
  Queue SearchLayer0(tableint ep, const void* point, size_t ef) const;

  // As hnswlib's searchKnn: greedy descent from the entry point through the upper layers, then layer 0 at
  // width ef. A search that does not start where the query's own links lead.
  Queue SearchFromTop(const void* point, size_t ef) const;

 private:
  // Greedy descent from `node` through layers from..to+1, as hnswlib's addPoint and searchKnn do it: the node
  // nearest `point` reached on layer to+1. `lock_node(n)` guards n's links while they are read (Insert:
  // other threads may be linking; a search after the build needs no lock).
  template <class LockNode>
  tableint Descend(const void* point, tableint node, int from, int to, LockNode lock_node) const;

  // Candidates prefetched ahead of the distance being computed (9 cache lines each for int8 rows of dim 512);
  // 8 searched faster than 3 in two A/B runs at 100k (README, "A million faces").
  static constexpr size_t kAhead = 8;

  void Prefetch(tableint id) const {
    const char* data = getDataByInternalId(id);
    Span s = locate ? locate(data, dist_func_param_) : Span{data, data_size_};
    const uintptr_t end = reinterpret_cast<uintptr_t>(s.first) + s.bytes;
    for (uintptr_t line = reinterpret_cast<uintptr_t>(s.first) & ~uintptr_t{63}; line < end; line += 64) {
      __builtin_prefetch(reinterpret_cast<const char*>(line));
    }
  }

  // Distances from `point` to batch[0..m), each candidate's bytes requested kAhead distances early.
  void Distances(const void* point, const tableint* batch, size_t m, float* out) const {
    for (size_t i = 0; i < m && i < kAhead; ++i) Prefetch(batch[i]);
    for (size_t i = 0; i < m; ++i) {
      if (i + kAhead < m) Prefetch(batch[i + kAhead]);
      out[i] = fstdistfunc_(point, getDataByInternalId(batch[i]), dist_func_param_);
    }

  }

  // hnswlib's searchBaseLayer (the build's search, on any layer, at width ef_construction_); the node's
  // links are copied under its lock, the distances computed after it is released.
  Queue SearchLayer(tableint ep, const void* point, int layer) const;

  // The best-first loop of both searches: kLocked for the build's (locks each node's links, stops only
  // with ef results), else the read-only query's.
  template <bool kLocked>
  Queue Search(tableint ep, const void* point, int layer, size_t ef) const;
};

template <bool kLocked>
Hnsw::Queue Hnsw::Search(tableint ep, const void* point, int layer, size_t ef) const {
  hnswlib::VisitedList* vl = visited_list_pool_->getFreeVisitedList();
  hnswlib::vl_type* visited = vl->mass;
  const hnswlib::vl_type tag = vl->curV;
  Queue top, candidates;
  float lower = fstdistfunc_(point, getDataByInternalId(ep), dist_func_param_);
  top.emplace(lower, ep);
  candidates.emplace(-lower, ep);
  visited[ep] = tag;
  std::vector<tableint> batch(std::max(maxM0_, maxM_));
  std::vector<float> dist(batch.size());
  while (!candidates.empty()) {
    const auto [negative, node] = candidates.top();
    // searchBaseLayer stops only with ef results; searchBaseLayerST<bare_bone> as soon as the best candidate
    // is worse than the worst result.
    if (-negative > lower && (!kLocked || top.size() == ef)) break;
    candidates.pop();
    size_t m = 0;
    {
      // hnswlib locks in const searches too (its vector of mutexes is not mutable)
      std::unique_lock<std::mutex> lock(const_cast<std::mutex&>(link_list_locks_[node]), std::defer_lock);
      if (kLocked) lock.lock();
      hnswlib::linklistsizeint* list = layer == 0 ? get_linklist0(node) : get_linklist(node, layer);
      const size_t size = getListCount(list);
      const tableint* links = reinterpret_cast<const tableint*>(list + 1);
      for (size_t j = 0; j < size; ++j) {
        const tableint id = links[j];
        if (visited[id] == tag) continue;
        visited[id] = tag;
        batch[m++] = id;
      }
    }
    Distances(point, batch.data(), m, dist.data());
    for (size_t j = 0; j < m; ++j) {
      if (top.size() < ef || lower > dist[j]) {
        candidates.emplace(-dist[j], batch[j]);
        top.emplace(dist[j], batch[j]);
        if (top.size() > ef) top.pop();
        lower = top.top().first;
      }
    }
    // the links of the node expanded next (hnswlib prefetches them too)
    if (!candidates.empty()) __builtin_prefetch(layer == 0 ? get_linklist0(candidates.top().second) : get_linklist(candidates.top().second, layer));
  }
  visited_list_pool_->releaseVisitedList(vl);
  return top;
}

inline Hnsw::Queue Hnsw::SearchLayer(tableint ep, const void* point, int layer) const {
  return Search<true>(ep, point, layer, ef_construction_);
}

inline Hnsw::Queue Hnsw::SearchLayer0(tableint ep, const void* point, size_t ef) const {
  return Search<false>(ep, point, 0, ef);
}

template <class LockNode>
inline Hnsw::tableint Hnsw::Descend(const void* point, tableint node, int from, int to, LockNode lock_node) const {
  float best = fstdistfunc_(point, getDataByInternalId(node), dist_func_param_);
  for (int level = from; level > to; --level) {
    for (bool changed = true; changed;) {
      changed = false;
      [[maybe_unused]] auto guard = lock_node(node);
      hnswlib::linklistsizeint* list = get_linklist(node, level);
      const tableint* links = reinterpret_cast<const tableint*>(list + 1);
      for (size_t j = 0, size = getListCount(list); j < size; ++j) {
        const float d = fstdistfunc_(point, getDataByInternalId(links[j]), dist_func_param_);
        if (d < best) {
          best = d;
          node = links[j];
          changed = true;
        }
      }
    }
  }
  return node;
}

inline Hnsw::Queue Hnsw::SearchFromTop(const void* point, size_t ef) const {
  const tableint node = Descend(point, enterpoint_node_, maxlevel_, 0, [](tableint) { return 0; });
  return SearchLayer0(node, point, ef);
}

inline Hnsw::tableint Hnsw::Insert(const void* point, hnswlib::labeltype label) {
  tableint cur = 0;
  {
    std::unique_lock<std::mutex> lock(label_lookup_lock);
    if (label_lookup_.count(label)) throw std::runtime_error("label " + std::to_string(label) + " is already indexed");
    if (cur_element_count >= max_elements_) throw std::runtime_error("The number of elements exceeds the specified limit");
    cur = static_cast<tableint>(cur_element_count);
    cur_element_count++;
    label_lookup_[label] = cur;
  }
  std::unique_lock<std::mutex> lockElement(link_list_locks_[cur]);
  const int level = getRandomLevel(mult_);
  element_levels_[cur] = level;
  std::unique_lock<std::mutex> lockGlobal(global);
  const int maxLevel = maxlevel_;
  if (level <= maxLevel) lockGlobal.unlock();
  tableint node = enterpoint_node_;
  std::memset(data_level0_memory_ + cur * size_data_per_element_ + offsetLevel0_, 0, size_data_per_element_);
  std::memcpy(getExternalLabeLp(cur), &label, sizeof(hnswlib::labeltype));
  std::memcpy(getDataByInternalId(cur), point, data_size_);
  if (level) {
    linkLists_[cur] = static_cast<char*>(malloc(size_links_per_element_ * level + 1));
    if (linkLists_[cur] == nullptr) throw std::runtime_error("Not enough memory: addPoint failed to allocate linklist");
    std::memset(linkLists_[cur], 0, size_links_per_element_ * level + 1);
  }
  if (static_cast<signed>(node) != -1) {
    if (level < maxLevel) {
      node = Descend(point, node, maxLevel, level, [this](tableint n) { return std::unique_lock<std::mutex>(link_list_locks_[n]); });
    }
    for (int l = std::min(level, maxLevel); l >= 0; --l) {
      Queue top = SearchLayer(node, point, l);
      node = mutuallyConnectNewElement(point, cur, top, l, false);
    }
  } else {
    enterpoint_node_ = 0;
    maxlevel_ = level;
  }
  if (level > maxLevel) {
    enterpoint_node_ = cur;
    maxlevel_ = level;
  }
  return cur;
}

}  // namespace fc
