// HNSW index over rows of a Float32Array, built and queried in parallel batches off the event loop.
//
// hnswlib keeps a copy of every vector next to its links; here the "vector" it stores is the 4-byte row
// number and the distance functor dereferences the caller's matrix (set before every operation). Distances
// during build/search are the active ISA's fp32 kernels (euclidean ranks by squared distance). The kNN graph
// is then decided exactly: each candidate is recomputed with the float64 reference, kept when <= radius,
// and the directed kNN lists are symmetrised (union) into sorted CSR, the same form as the exact graph.
#include "hnsw_index.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "args.h"
#include "capabilities.h"
#include "graph.h"
#include "hnsw_search.h"
#include "kernels/bf16.h"
#include "kernels/reference.h"
#include "nearest_candidates.h"
#include "parallel.h"
#include "promise_worker.h"

namespace fc {
namespace {

// Three ways to store a point, fixed per index:
//  - rows: the 4-byte row number; distances read the caller's fp32 matrix through the active ISA's kernels.
//  - bf16: a search copy inside hnswlib's element (float ‖x‖², then the row as bf16 pairs, zero-padded to a
//    multiple of 32 words), next to the links hnswlib already fetches and prefetches: half the bytes of fp32
//    and vdpbf16ps. Chosen when created under a table whose dot products run on bf16 (HnswKernels(): amx,
//    avx512bf16, or avx512 chosen automatically on a CPU with vdpbf16ps) and without hnsw_i8, which since
//    int8 rows is none: indexes saved before are bf16; a loaded bf16 index runs under any table, through its
//    dot_bf16 kernel. For euclidean, sqeuclidean and cosine (rows normalised first), as int8.
//  - int8: as bf16, with the row scaled by 127 / max |x| and rounded to int8 (16-byte header: float ‖x‖², float
//    scale), zero-padded to a multiple of 64 bytes: half bf16's bytes again (9 cache lines for dim 512
//    instead of 17). Chosen instead of bf16 under a table with hnsw_i8 (amx, avx512bf16: VNNI); a loaded int8
//    index runs under any table, through dot_i8. At 100k on 2 cores of a Xeon with AMX: build 16 CPU s
//    instead of 24, graph 11 instead of 17, the same edges (README of @faceclust/cluster, "A million faces").
// Rounding only orders the search's candidates: every kept edge is decided on the float64 reference.
enum class Storage { kRows, kBf16, kI8 };

struct SpaceParam {
  const float* base = nullptr;  // kRows: the bound matrix
  size_t dim = 0;
  float (*fn)(const float*, const float*, size_t) = nullptr;
  size_t words = 0;  // kBf16
  float (*dot)(const uint32_t*, const uint32_t*, size_t) = nullptr;
  size_t bytes = 0;  // kI8
  int32_t (*dot_i8)(const int8_t*, const int8_t*, size_t) = nullptr;
  bool cosine = false;
};

constexpr size_t kI8Header = 16;

float RowDistance(const void* a, const void* b, const void* param) {
  const auto* p = static_cast<const SpaceParam*>(param);
  const uint32_t ia = *static_cast<const uint32_t*>(a), ib = *static_cast<const uint32_t*>(b);
  return p->fn(p->base + static_cast<size_t>(ia) * p->dim, p->base + static_cast<size_t>(ib) * p->dim, p->dim);
}

// The bytes RowDistance reads for a stored row number, for the search's prefetch.
Hnsw::Span RowSpan(const void* data, const void* param) {
  const auto* p = static_cast<const SpaceParam*>(param);
  return {reinterpret_cast<const char*>(p->base + static_cast<size_t>(*static_cast<const uint32_t*>(data)) * p->dim), p->dim * sizeof(float)};
}

float Bf16Distance(const void* a, const void* b, const void* param) {
  const auto* p = static_cast<const SpaceParam*>(param);
  const float* fa = static_cast<const float*>(a);
  const float* fb = static_cast<const float*>(b);
  float dot = p->dot(static_cast<const uint32_t*>(a) + 1, static_cast<const uint32_t*>(b) + 1, p->words);
  // cosine rows were normalised before rounding; euclidean ranks by ‖a‖² + ‖b‖² − 2a·b.
  return p->cosine ? 1.0f - dot : fa[0] + fb[0] - 2.0f * dot;
}

float I8Distance(const void* a, const void* b, const void* param) {
  const auto* p = static_cast<const SpaceParam*>(param);
  const float* fa = static_cast<const float*>(a);
  const float* fb = static_cast<const float*>(b);
  const int32_t q = p->dot_i8(static_cast<const int8_t*>(a) + kI8Header, static_cast<const int8_t*>(b) + kI8Header, p->bytes);
  const float dot = fa[1] * fb[1] * static_cast<float>(q);
  return p->cosine ? 1.0f - dot : fa[0] + fb[0] - 2.0f * dot;
}

class Space : public hnswlib::SpaceInterface<float> {
 public:
  size_t get_data_size() override {
    return storage == Storage::kRows ? sizeof(uint32_t) : storage == Storage::kBf16 ? sizeof(float) + param.words * 4 : kI8Header + param.bytes;
  }
  hnswlib::DISTFUNC<float> get_dist_func() override {
    return storage == Storage::kRows ? RowDistance : storage == Storage::kBf16 ? Bf16Distance : I8Distance;
  }
  void* get_dist_func_param() override { return &param; }
  Storage storage = Storage::kRows;
  SpaceParam param;
};

// One index: its space (which must outlive it), metric and dim; `busy` serialises operations.
struct Index {
  Space space;
  std::unique_ptr<Hnsw> hnsw;
  Metric metric = kEuclidean;
  size_t dim = 0;
  std::atomic<bool> busy{false};

  // Fixes the storage (before hnswlib is constructed or loaded).
  void Init(Metric m, size_t d, Storage storage) {
    metric = m;
    dim = d;
    space.storage = storage;
    space.param.dim = d;
    space.param.words = ((d + 1) / 2 + 31) / 32 * 32;
    space.param.bytes = (d + 63) / 64 * 64;
    space.param.cosine = m == kCosine;
  }

  // Tells the search where a stored point's bytes are (called once hnsw exists).
  void Attached() {
    hnsw->locate = space.storage == Storage::kRows ? RowSpan : nullptr;
    hnsw->AdviseHugePages();
  }

  // Points the distance functor at `x` with the active kernels; called on the main thread before queueing.
  void Bind(const float* x) {
    const Kernels& kernels = HnswKernels();
    space.param.base = x;
    space.param.fn = kernels.distance[metric == kEuclidean ? kSqEuclidean : metric];
    space.param.dot = kernels.dot_bf16;
    space.param.dot_i8 = kernels.dot_i8 ? kernels.dot_i8 : DotI8Reference;
  }

  // What hnswlib stores (and searches with) for row i: the row number, or the bf16 / int8 copy written into `buf`.
  const void* Point(const float* x, size_t i, uint32_t& row, std::vector<uint32_t>& buf) const {
    row = static_cast<uint32_t>(i);
    if (space.storage == Storage::kRows) return &row;
    const float* r = x + i * dim;
    double nn = ref::Dot(r, r, dim);
    double scale = metric == kCosine ? (nn > 0 ? 1.0 / std::sqrt(nn) : 0.0) : 1.0;
    float norm = static_cast<float>(nn);
    if (space.storage == Storage::kI8) {
      buf.assign((kI8Header + space.param.bytes) / 4, 0);
      double top = 0;
      for (size_t k = 0; k < dim; ++k) top = std::max(top, std::fabs(r[k] * scale));
      const double step = top / 127;  // one int8 unit
      float stepf = static_cast<float>(step);
      std::memcpy(&buf[0], &norm, 4);
      std::memcpy(&buf[1], &stepf, 4);
      auto* q = reinterpret_cast<int8_t*>(buf.data()) + kI8Header;
      for (size_t k = 0; k < dim && step > 0; ++k) q[k] = static_cast<int8_t>(std::max(-127.0, std::min(127.0, std::nearbyint(r[k] * scale / step))));
      return buf.data();
    }
    const size_t words = space.param.words;
    buf.assign(1 + words, 0);
    std::memcpy(&buf[0], &norm, 4);
    for (size_t w = 0; w < words && 2 * w < dim; ++w) {
      uint32_t lo = ToBf16(static_cast<float>(r[2 * w] * scale));
      uint32_t hi = 2 * w + 1 < dim ? ToBf16(static_cast<float>(r[2 * w + 1] * scale)) : 0;
      buf[1 + w] = lo | (hi << 16);
    }
    return buf.data();
  }
};

// Type tag of index handles, so that another external (a cancel token) is refused instead of misread.
const napi_type_tag kIndexTag = {0x66616365686e7377ull, 0x696e646578763031ull};

Index* GetIndex(const Napi::CallbackInfo& info, size_t i) {
  Napi::Value v = info[i];
  if (!v.IsExternal() || !v.As<Napi::External<Index>>().CheckTypeTag(&kIndexTag)) {
    throw Failure("ERR_FACECLUST_ARG", "Expected an HNSW index handle for index but received " + Describe(v), ErrorKind::kType);
  }
  return v.As<Napi::External<Index>>().Data();
}

Napi::Value Wrap(Napi::Env env, Index* index) {
  auto handle = Napi::External<Index>::New(env, index, [](Napi::Env, Index* p) { delete p; });
  handle.TypeTag(&kIndexTag);
  return handle;
}

// Claims the index for one operation; a second concurrent call is a caller bug, reported rather than raced.
struct Claim {
  explicit Claim(Index* index) : index_(index) {
    bool expected = false;
    if (!index->busy.compare_exchange_strong(expected, true)) {
      throw Failure("ERR_FACECLUST_BUSY", "The HNSW index is busy with another operation; await it first");
    }
  }
  ~Claim() { if (index_) index_->busy = false; }
  Index* Release() { Index* p = index_; index_ = nullptr; return p; }
  Index* index_;
};

void CheckRows(const Index& index, size_t length, size_t n) { CheckMatrix(length, n, index.dim, "vectors", "n"); }

// Adds rows [first, n) of the bound matrix; grows capacity first (resizeIndex is not thread-safe).
// Cancellation is checked between batches only (ParallelFor takes them in ascending order and finishes
// each one it took), so a cancelled add has indexed rows [first, m) for some m: the index stays a prefix of
// the matrix, hnswCount tells m, and a later add continues from there.
void AddRows(Index& index, const float* x, size_t first, size_t n, unsigned threads, const Cancellation& cancel) {
  auto& h = *index.hnsw;
  if (n > h.max_elements_) {
    h.resizeIndex(std::max(n, h.max_elements_ + h.max_elements_ / 2));
    h.AdviseHugePages();
  }
  if (first >= n) return;
  // The first point alone, so that parallel inserts start from an entry point.
  size_t start = first;
  uint32_t row;
  std::vector<uint32_t> buf;
  if (h.cur_element_count == 0) {
    h.Insert(index.Point(x, first, row, buf), first);
    ++start;
  }
  constexpr size_t kBatch = 64;
  ParallelFor(threads, (n - start + kBatch - 1) / kBatch, cancel, [&](size_t b, unsigned) {
    uint32_t r;
    std::vector<uint32_t> local;
    for (size_t i = start + b * kBatch, e = std::min(n, i + kBatch); i < e; ++i) h.Insert(index.Point(x, i, r, local), i);
  });
}

using Neighbours = std::vector<std::pair<int32_t, float>>;

// Every kept edge of the graph is decided here, on the float64 reference: whatever found the candidates (a
// search over rounded rows, a tiled pass), an edge is kept exactly when its reference distance is <= radius.
struct Decider {
  const Kernels& kernels;
  const float* x;
  size_t dim;
  Metric metric;
  const std::vector<double>& norms;  // cosine: each row's ‖x‖²
  double radius;
  size_t k;

  // Appends (j, distance) to `out` for each row j of `js` within the radius of row i, in the order of js.
  void Append(size_t i, const std::vector<uint32_t>& js, Neighbours& out) const {
    std::vector<double> sums(js.size());
    kernels.reference_sums(SumOpFor(metric), x + i * dim, x, dim, js.data(), js.size(), sums.data());
    for (size_t t = 0; t < js.size(); ++t) {
      const double d = ref::DistanceFromSum(metric, sums[t], norms, i, js[t]);
      if (d <= radius) out.emplace_back(static_cast<int32_t>(js[t]), static_cast<float>(d));
    }
  }

  // Appends, then keeps the k nearest (ties: the lower row), each row once (a pair's distance is always the same).
  void Join(size_t i, const std::vector<uint32_t>& js, Neighbours& out) const {
    Append(i, js, out);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second < b.second || (a.second == b.second && a.first < b.first); });
    out.erase(std::unique(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first == b.first; }), out.end());
    if (out.size() > k) out.resize(k);
  }
};

// What the graph's steps did, for the benchmarks and the README's accounting (counts of rows, and each step's
// wall time).
struct KnnStats {
  size_t shortRows = 0;   // rows left with fewer than kRetryBelow neighbours by the searches
  size_t exactRows = 0;   // of those, rows given their exact nearest among every row
  size_t followers = 0;   // of those, rows that took candidates from their group's row instead
  size_t closedParts = 0; // closed parts searched from the entry point
  size_t stillClosed = 0; // of those, parts compared exactly with each other
  double searchMs = 0, shortMs = 0, closedMs = 0, unionMs = 0;
};

class Stopwatch {
 public:
  // Milliseconds since the last lap (or construction).
  double Lap() {
    const auto now = std::chrono::steady_clock::now();
    const double ms = std::chrono::duration<double, std::milli>(now - last_).count();
    last_ = now;
    return ms;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// Rows with fewer kept neighbours than kRetryBelow after the search are completed from each other and, failing
// that, exactly (tiled candidates over every row, as nearestCandidates does, then the float64 reference):
// JoinShortRows, ExactNearest, JoinFollowers. Face identities are nearly orthogonal (≈ √2 between people, ≈ 0.9
// within one), so a search has little slope to follow towards a person with few faces, and less the more
// people there are: at 500k a 1024-wide third search still left small people split (25,859 clusters for
// 25,000 people), and at 1M a 256-wide second search cost more than the exact step it spared and left more
// people split than these steps do without it. No row is left with fewer than min(2, its exact count)
// neighbours (measurements: README, "A million faces").
constexpr size_t kRetryBelow = 2;
constexpr size_t kClosedPartWidth = 256;

// A closed part: a connected component of the directed lists whose faces all have fewer than k neighbours (so
// every list ends inside it: at most k faces). Searches from a face's own node explore the same neighbourhood
// for every face of a part, so a part that misses the rest of its person misses it from every face (at 250k,
// 44 people were split into such parts of 3 or more faces, every face of a part with exactly the others as
// neighbours). One face of each closed part, the smallest row, is therefore searched once more from hnswlib's
// entry point down, `width` wide: another path into the graph (at 250k: 36 people split by the graph without
// this step, 18 searching 64 wide, 6 searching 256 wide; README, "A million faces"). What it finds outside the part is decided on
// the float64 reference and joins that face's list (nearest first, at most k). A part that is a whole person
// finds nothing and is left as it is.
void ReachClosedParts(const Hnsw& h, const Decider& decide, size_t n, size_t width, const std::vector<uint32_t>& internal,
                      std::vector<Neighbours>& rows, KnnStats& stats, unsigned threads, const Cancellation& cancel) {
  const size_t k = decide.k, dim = decide.dim;
  std::vector<uint32_t> parent(n);
  for (size_t i = 0; i < n; ++i) parent[i] = static_cast<uint32_t>(i);
  auto find = [&](uint32_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  for (size_t i = 0; i < n; ++i) {
    for (const auto& [j, d] : rows[i]) {
      uint32_t a = find(static_cast<uint32_t>(i)), b = find(static_cast<uint32_t>(j));
      if (a != b) parent[std::max(a, b)] = std::min(a, b);  // the root is the smallest row
    }
  }
  std::vector<uint32_t> part(n), size(n, 0);
  std::vector<uint8_t> open(n, 0);  // a face of the component has k neighbours: its list may not end inside
  for (size_t i = 0; i < n; ++i) {
    const uint32_t r = part[i] = find(static_cast<uint32_t>(i));
    ++size[r];
    if (rows[i].size() >= k) open[r] = 1;
  }
  std::vector<uint32_t> reps;
  for (size_t i = 0; i < n; ++i) if (part[i] == i && !open[i] && size[i] <= k) reps.push_back(static_cast<uint32_t>(i));
  // Joins the rows js (found by a search) outside row i's part to i's list; the part's own faces are on it already.
  auto join = [&](uint32_t i, std::vector<uint32_t> js) {
    js.erase(std::remove_if(js.begin(), js.end(), [&](uint32_t j) { return j >= n || part[j] == part[i]; }), js.end());
    if (!js.empty()) decide.Join(i, js, rows[i]);
  };
  auto found = [&](Hnsw::Queue pq) {
    std::vector<uint32_t> js;
    for (; !pq.empty(); pq.pop()) js.push_back(static_cast<uint32_t>(h.getExternalLabel(pq.top().second)));
    return js;
  };
  ParallelFor(threads, reps.size(), cancel, [&](size_t q, unsigned) {
    join(reps[q], found(h.SearchFromTop(h.getDataByInternalId(internal[reps[q]]), width)));
  });
  stats.closedParts = reps.size();
  // Parts still closed: a person split into closed parts only (3 + 3 faces of 6) has no larger part for the
  // search to find. Their chosen faces are compared with each other exactly (one face per part: about n / 20
  // faces on face data, so the square stays small), and each joins the two nearest within the radius.
  std::vector<uint32_t> closed;
  for (uint32_t r : reps) {
    if (std::none_of(rows[r].begin(), rows[r].end(), [&](const auto& e) { return part[e.first] != r; })) closed.push_back(r);
  }
  stats.stillClosed = closed.size();
  if (closed.size() > 1) {
    const RowSet closedRows{decide.x, closed.size(), closed.data()};
    const size_t want = std::min<size_t>(closed.size(), 3);  // itself and two
    CandidateLists c = NearestCandidates(decide.kernels, closedRows, closedRows, dim, decide.metric, want, decide.radius, threads, cancel);
    ParallelFor(threads, closed.size(), cancel, [&](size_t q, unsigned) {
      std::vector<uint32_t> js;
      for (uint32_t t = c.offsets[q]; t < c.offsets[q + 1]; ++t) js.push_back(closed[static_cast<size_t>(c.indices[t])]);
      join(closed[q], std::move(js));
    });
  }
  // A part whose face found a way out: its other faces are searched too, starting at the nearest face found
  // outside (one face's edges into its person would leave Chinese Whispers free to keep the part's own label:
  // at 250k it then still split 46 people the graph joined, against 28 with these searches).
  std::vector<int64_t> door(n, -1);  // part root -> that nearest outside face
  for (uint32_t r : reps) {
    for (const auto& [j, d] : rows[r]) {
      if (part[j] != r) {
        door[r] = j;
        break;
      }
    }
  }
  std::vector<uint32_t> others;
  for (size_t i = 0; i < n; ++i) if (part[i] != i && door[part[i]] >= 0) others.push_back(static_cast<uint32_t>(i));
  ParallelFor(threads, others.size(), cancel, [&](size_t q, unsigned) {
    const uint32_t i = others[q];
    join(i, found(h.SearchLayer0(internal[door[part[i]]], h.getDataByInternalId(internal[i]), width)));
  });
}

// Rows left short by the searches, first among each other: the build links a small person's faces poorly at
// scale, so such a person is short in several faces, and m² pairs find them each other where the exact step's
// m·n would dominate the graph (README, "Graph"). Each row's nearest short rows join its list. Groups are the
// components so formed; only the rows still short and one row per group (the one with most neighbours) need
// their exact nearest among every row (`exactRows`); the groups' other rows (`followers`) take candidates from
// what their group's row finds (JoinFollowers).
void JoinShortRows(const Decider& decide, size_t n, const std::vector<uint32_t>& shortRows, std::vector<Neighbours>& rows,
                   std::vector<uint32_t>& group, std::vector<uint32_t>& exactRows, std::vector<uint32_t>& followers, unsigned threads,
                   const Cancellation& cancel) {
  const size_t m = shortRows.size();
  exactRows = shortRows;
  if (m < 2) return;
  const RowSet among{decide.x, m, shortRows.data()};
  CandidateLists c = NearestCandidates(decide.kernels, among, among, decide.dim, decide.metric, std::min(m, decide.k + 1), decide.radius,
                                       threads, cancel);
  ParallelFor(threads, m, cancel, [&](size_t q, unsigned) {
    const uint32_t i = shortRows[q];
    std::vector<uint32_t> js;
    for (uint32_t t = c.offsets[q]; t < c.offsets[q + 1]; ++t) {
      const uint32_t j = shortRows[static_cast<size_t>(c.indices[t])];
      if (j != i) js.push_back(j);
    }
    decide.Join(i, js, rows[i]);
  });
  // groups: components of the short rows over their lists' short rows (the root is the smallest row)
  group.assign(n, UINT32_MAX);  // rows that were not short belong to no group
  for (uint32_t i : shortRows) group[i] = i;
  auto find = [&](uint32_t i) {
    while (group[i] != i) i = group[i] = group[group[i]];
    return i;
  };
  for (uint32_t i : shortRows) {
    for (const auto& [j, d] : rows[i]) {
      if (group[j] == UINT32_MAX) continue;  // not a short row
      const uint32_t a = find(i), b = find(static_cast<uint32_t>(j));
      if (a != b) group[std::max(a, b)] = std::min(a, b);
    }
  }
  // each group's row: the one with the most neighbours (the most central; ties: the smallest row)
  std::vector<uint32_t> root(m), best(n, UINT32_MAX);
  for (size_t q = 0; q < m; ++q) {
    uint32_t& b = best[root[q] = find(shortRows[q])];
    if (b == UINT32_MAX || rows[shortRows[q]].size() > rows[b].size()) b = shortRows[q];
  }
  for (size_t q = 0; q < m; ++q) group[shortRows[q]] = best[root[q]];
  exactRows.clear();
  for (uint32_t i : shortRows) (rows[i].size() < kRetryBelow || group[i] == i ? exactRows : followers).push_back(i);
}

// Each follower takes as candidates its group row's exact list and the lists of that list's rows that were not
// short (its person's well-linked faces and their nearest: what the follower's own exact list would mostly
// hold, at a few hundred pairs instead of n); decided on the reference, they join its list. Only followers'
// lists change here, and none of them is read: a group row was exact, the rows expanded were not short.
void JoinFollowers(const Decider& decide, const std::vector<uint32_t>& group, const std::vector<uint32_t>& followers,
                   std::vector<Neighbours>& rows, unsigned threads, const Cancellation& cancel) {
  ParallelFor(threads, followers.size(), cancel, [&](size_t q, unsigned) {
    const uint32_t i = followers[q], g = group[i];
    std::vector<uint32_t> js;
    for (const auto& [j, d] : rows[g]) {
      js.push_back(static_cast<uint32_t>(j));
      if (group[j] != UINT32_MAX) continue;  // a short row: a follower's list may be changing
      for (const auto& [l, e] : rows[j]) js.push_back(static_cast<uint32_t>(l));
    }
    std::sort(js.begin(), js.end());
    js.erase(std::unique(js.begin(), js.end()), js.end());
    js.erase(std::remove(js.begin(), js.end(), i), js.end());
    decide.Join(i, js, rows[i]);
  });
}

// Rows still short: their k nearest within the radius among every row (tiled candidates, then the reference),
// in place of what the searches found.
void ExactNearest(const Decider& decide, size_t n, const std::vector<uint32_t>& shortRows, std::vector<Neighbours>& rows,
                  unsigned threads, const Cancellation& cancel) {
  if (shortRows.empty()) return;
  const size_t k = decide.k;
  CandidateLists c = NearestCandidates(decide.kernels, RowSet{decide.x, n}, RowSet{decide.x, shortRows.size(), shortRows.data()}, decide.dim,
                                       decide.metric, std::min(n, k + 1), decide.radius, threads, cancel);
  ParallelFor(threads, shortRows.size(), cancel, [&](size_t q, unsigned) {
    const uint32_t i = shortRows[q];
    std::vector<uint32_t> js;
    for (uint32_t t = c.offsets[q]; t < c.offsets[q + 1]; ++t) if (static_cast<uint32_t>(c.indices[t]) != i) js.push_back(static_cast<uint32_t>(c.indices[t]));
    auto& out = rows[i];
    out.clear();
    decide.Join(i, js, out);
    out.shrink_to_fit();
  });
}

// Every row's nearest neighbours within `radius`: its k nearest found by the index (search width ef),
// decided on the float64 reference; a row whose k nearest are all within the radius may have more, so it is
// searched again with twice the k (and width at least that), up to maxNeighbors (= k: a plain kNN graph).
// Cancellation is checked between rows and between stages (the index is only read).
CsrGraph KnnGraph(Index& index, const Kernels& kernels, const float* x, size_t n, size_t k, size_t ef, double radius,
                  size_t maxNeighbors, KnnStats& stats, unsigned threads, const Cancellation& cancel) {
  Stopwatch watch;
  auto& h = *index.hnsw;
  const size_t dim = index.dim;
  const Metric metric = index.metric;
  std::vector<double> norms;
  if (metric == kCosine) {
    norms.resize(n);
    ParallelFor(threads, n, cancel, [&](size_t i, unsigned) { norms[i] = ref::Dot(x + i * dim, x + i * dim, dim); });
  }
  const Decider decide{kernels, x, dim, metric, norms, radius, k};
  // Every query is an indexed row, so its search starts at its own node on layer 0 (its links, then theirs)
  // instead of descending from hnswlib's entry point: the row's own element is the query point.
  std::vector<uint32_t> internal(n);
  for (size_t id = 0; id < n; ++id) internal[h.getExternalLabel(static_cast<uint32_t>(id))] = static_cast<uint32_t>(id);
  // Directed edges (self dropped) decided on the float64 reference, per row.
  std::vector<Neighbours> rows(n);
  std::vector<uint8_t> exact(n, 0);  // rows left short by the searches
  constexpr size_t kBatch = 64;
  ParallelFor(threads, (n + kBatch - 1) / kBatch, cancel, [&](size_t b, unsigned) {
    std::vector<uint32_t> js;
    std::vector<uint32_t> found;
    for (size_t i = b * kBatch, e = std::min(n, i + kBatch); i < e; ++i) {
      cancel.Check();  // one row may be searched up to 4096 wide (maxNeighbors)
      const uint32_t self = internal[i];
      const void* point = h.getDataByInternalId(self);
      auto& out = rows[i];
      // Searches `width` wide and keeps the `want` nearest (self dropped) within the radius, nearest first.
      auto search = [&](size_t width, size_t want) {
        found.clear();
        for (auto pq = h.SearchLayer0(self, point, width); !pq.empty(); pq.pop()) {
          found.push_back(static_cast<uint32_t>(h.getExternalLabel(pq.top().second)));
        }
        std::reverse(found.begin(), found.end());  // hnswlib pops the farthest first
        js.clear();
        for (size_t t = 0; t < found.size() && js.size() < want; ++t) {
          if (found[t] != i && found[t] < n) js.push_back(found[t]);
        }
        out.clear();
        decide.Append(i, js, out);
      };
      for (size_t want = k;; want = std::min(maxNeighbors, 2 * want)) {
        search(std::max(ef, want + 1), want);
        if (out.size() < kRetryBelow) exact[i] = 1;
        if (out.size() < want || want >= maxNeighbors) break;
      }
      out.shrink_to_fit();
    }
  });
  std::vector<uint32_t> shortRows;
  for (size_t i = 0; i < n; ++i) if (exact[i]) shortRows.push_back(static_cast<uint32_t>(i));
  stats.shortRows = shortRows.size();
  stats.searchMs = watch.Lap();
  std::vector<uint32_t> group, exactRows, followers;
  JoinShortRows(decide, n, shortRows, rows, group, exactRows, followers, threads, cancel);
  ExactNearest(decide, n, exactRows, rows, threads, cancel);
  JoinFollowers(decide, group, followers, rows, threads, cancel);
  stats.exactRows = exactRows.size();
  stats.followers = followers.size();
  stats.shortMs = watch.Lap();
  ReachClosedParts(h, decide, n, kClosedPartWidth, internal, rows, stats, threads, cancel);
  stats.closedMs = watch.Lap();
  // Union: every directed edge i→j lands in rows i and j, then each row is sorted and deduplicated (the
  // float64 reference is symmetric, so both copies of a pair carry the same distance).
  std::vector<uint32_t> deg(n + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    deg[i + 1] += static_cast<uint32_t>(rows[i].size());
    for (const auto& [j, d] : rows[i]) ++deg[static_cast<size_t>(j) + 1];
  }
  uint64_t total = 0;
  for (size_t i = 0; i < n; ++i) total += deg[i + 1];
  if (total > 0xFFFFFFFFull) {
    throw Failure("ERR_FACECLUST_GRAPH_TOO_LARGE", "The kNN graph has " + std::to_string(total) + " directed edges, more than 2^32-1; lower k",
                  ErrorKind::kRange);
  }
  // Both copies go straight into the graph's arrays (no array of pairs beside them: at 1M that held 0.5 GB
  // while the graph's were allocated), each row is sorted and deduplicated in place, then the rows are moved
  // down over the duplicates' room and the arrays shrunk.
  CsrGraph g;
  g.offsets.assign(n + 1, 0);
  for (size_t i = 0; i < n; ++i) g.offsets[i + 1] = g.offsets[i] + deg[i + 1];
  ReleaseFreedMemory();  // what the searches and the short-row steps freed
  g.indices.resize(total);
  g.distances.resize(total);
  std::vector<uint32_t> pos(g.offsets.begin(), g.offsets.end() - 1);
  for (size_t i = 0; i < n; ++i) {
    for (const auto& [j, d] : rows[i]) {
      g.indices[pos[i]] = j;
      g.distances[pos[i]++] = d;
      g.indices[pos[j]] = static_cast<int32_t>(i);
      g.distances[pos[j]++] = d;
    }
    Neighbours().swap(rows[i]);
  }
  ReleaseFreedMemory();  // the per-row lists, before the shrunk arrays are allocated
  cancel.Check();
  std::vector<uint32_t> unique(n, 0);
  ParallelFor(threads, (n + 1023) / 1024, cancel, [&](size_t b, unsigned) {
    Neighbours row;
    for (size_t i = b * 1024, e = std::min(n, i + 1024); i < e; ++i) {
      const uint32_t first = g.offsets[i], last = g.offsets[i + 1];
      row.clear();
      for (uint32_t t = first; t < last; ++t) row.emplace_back(g.indices[t], g.distances[t]);
      std::sort(row.begin(), row.end(), [](const auto& a, const auto& c) { return a.first < c.first; });
      row.erase(std::unique(row.begin(), row.end(), [](const auto& a, const auto& c) { return a.first == c.first; }), row.end());
      for (size_t t = 0; t < row.size(); ++t) {
        g.indices[first + t] = row[t].first;
        g.distances[first + t] = row[t].second;
      }
      unique[i] = static_cast<uint32_t>(row.size());
    }
  });
  uint32_t to = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t from = g.offsets[i];
    g.offsets[i] = to;
    if (from != to) {  // left over overlapping room: std::copy forward is safe when the target starts first
      std::copy(g.indices.begin() + from, g.indices.begin() + from + unique[i], g.indices.begin() + to);
      std::copy(g.distances.begin() + from, g.distances.begin() + from + unique[i], g.distances.begin() + to);
    }
    to += unique[i];
  }
  g.offsets[n] = to;
  g.indices.resize(to);
  g.indices.shrink_to_fit();
  g.distances.resize(to);
  g.distances.shrink_to_fit();
  stats.unionMs = watch.Lap();
  return g;
}

class AddWorker : public PromiseWorker {
 public:
  AddWorker(Napi::Env env, Index* index, const float* x, size_t first, size_t n, unsigned threads, Cancellation cancel)
      : PromiseWorker(env, std::move(cancel)), index_(index), x_(x), first_(first), n_(n), threads_(threads) {}
  ~AddWorker() override { index_->busy = false; }

 protected:
  void Run() override { AddRows(*index_, x_, first_, n_, threads_, cancel()); }
  Napi::Value Result(Napi::Env env) override { return Napi::Number::New(env, static_cast<double>(index_->hnsw->cur_element_count)); }

 private:
  Index* index_;
  const float* x_;
  size_t first_, n_;
  unsigned threads_;
};

class KnnWorker : public PromiseWorker {
 public:
  KnnWorker(Napi::Env env, Index* index, const float* x, size_t n, size_t k, size_t ef, double radius, size_t maxNeighbors,
            unsigned threads, Cancellation cancel)
      : PromiseWorker(env, std::move(cancel)), index_(index), kernels_(HnswKernels()), x_(x), n_(n), k_(k), ef_(ef), radius_(radius),
        maxNeighbors_(maxNeighbors), threads_(threads) {}
  ~KnnWorker() override { index_->busy = false; }

 protected:
  void Run() override { graph_ = KnnGraph(*index_, kernels_, x_, n_, k_, ef_, radius_, maxNeighbors_, stats_, threads_, cancel()); }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object g = CsrToJs(env, graph_);
    Napi::Object s = Napi::Object::New(env);
    auto count = [&](const char* name, size_t v) { s.Set(name, Napi::Number::New(env, static_cast<double>(v))); };
    count("shortRows", stats_.shortRows);
    count("exactRows", stats_.exactRows);
    count("followers", stats_.followers);
    count("closedParts", stats_.closedParts);
    count("stillClosed", stats_.stillClosed);
    s.Set("searchMs", stats_.searchMs);
    s.Set("shortMs", stats_.shortMs);
    s.Set("closedMs", stats_.closedMs);
    s.Set("unionMs", stats_.unionMs);
    g.Set("stats", s);
    return g;
  }

 private:
  Index* index_;
  const Kernels& kernels_;
  const float* x_;
  size_t n_, k_, ef_;
  double radius_;
  size_t maxNeighbors_;
  unsigned threads_;
  CsrGraph graph_;
  KnnStats stats_;
};

}  // namespace

// hnswCreate(dim, metric, M, efConstruction, capacity, seed) -> handle
Napi::Value HnswCreateJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    size_t dim = GetCount(info, 0, "dim");
    Metric metric = GetMetric(info, 1);
    size_t m = GetCount(info, 2, "M");
    size_t efc = GetCount(info, 3, "efConstruction");
    size_t capacity = GetCount(info, 4, "capacity");
    size_t seed = GetCount(info, 5, "seed");
    if (dim < 1 || m < 2 || efc < 1) {
      throw Failure("ERR_FACECLUST_ARG", "Expected dim >= 1, M >= 2 and efConstruction >= 1 but received " + std::to_string(dim) + ", " +
                                             std::to_string(m) + ", " + std::to_string(efc), ErrorKind::kRange);
    }
    auto index = std::make_unique<Index>();
    const Kernels& kernels = HnswKernels();
    bool copy = metric == kEuclidean || metric == kSqEuclidean || metric == kCosine;
    index->Init(metric, dim, !copy ? Storage::kRows : kernels.hnsw_i8 ? Storage::kI8 : kernels.tile_bf16_dot ? Storage::kBf16 : Storage::kRows);
    index->hnsw = std::make_unique<Hnsw>(&index->space, std::max<size_t>(capacity, 1), m, efc, seed);
    index->Attached();
    return Wrap(info.Env(), index.release());
  });
}

// hnswLoad(path, dim, metric) -> handle (the file holds row numbers and links; the rows come with each call)
Napi::Value HnswLoadJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    if (!info[0].IsString()) throw Failure("ERR_FACECLUST_ARG", "Expected a string for path but received " + Describe(info[0]), ErrorKind::kType);
    std::string path = info[0].As<Napi::String>().Utf8Value();
    size_t dim = GetCount(info, 1, "dim");
    Metric metric = GetMetric(info, 2);
    auto index = std::make_unique<Index>();
    // The storage is in hnswlib's header: element data size = label_offset_ − offsetData_ (6 size_t fields).
    size_t header[6] = {0, 0, 0, 0, 0, 0};
    {
      std::ifstream in(path, std::ios::binary);
      if (!in.is_open()) throw Failure("ERR_FACECLUST_INDEX_FILE", "Cannot load the HNSW index " + path + ": cannot open the file");
      in.read(reinterpret_cast<char*>(header), sizeof header);
    }
    const size_t dataSize = header[4] - header[5];
    index->Init(metric, dim, Storage::kRows);
    if (dataSize != sizeof(uint32_t)) index->Init(metric, dim, Storage::kBf16);
    if (dataSize != index->space.get_data_size()) index->Init(metric, dim, Storage::kI8);
    if (dataSize != index->space.get_data_size() || header[4] < header[5]) {
      throw Failure("ERR_FACECLUST_INDEX_FILE", "Cannot load the HNSW index " + path + ": not a faceclust index of dim " +
                                                    std::to_string(dim) + " (element data size " + std::to_string(dataSize) + ")");
    }
    try {
      index->hnsw = std::make_unique<Hnsw>(&index->space, path);
      index->Attached();
    } catch (const std::exception& e) {
      throw Failure("ERR_FACECLUST_INDEX_FILE", "Cannot load the HNSW index " + path + ": " + e.what());
    }
    return Wrap(info.Env(), index.release());
  });
}

Napi::Value HnswSaveJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Index* index = GetIndex(info, 0);
    if (!info[1].IsString()) throw Failure("ERR_FACECLUST_ARG", "Expected a string for path but received " + Describe(info[1]), ErrorKind::kType);
    Claim claim(index);
    std::string path = info[1].As<Napi::String>().Utf8Value();
    try {
      index->hnsw->saveIndex(path);
    } catch (const std::exception& e) {
      throw Failure("ERR_FACECLUST_INDEX_FILE", "Cannot save the HNSW index to " + path + ": " + e.what());
    }
    return info.Env().Undefined();
  });
}

Napi::Value HnswCountJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    return Napi::Number::New(info.Env(), static_cast<double>(GetIndex(info, 0)->hnsw->cur_element_count));
  });
}

// hnswAdd(index, vectors, n, threads[, cancel]): indexes rows [count, n) of vectors (n×dim; rows below count
// must be the ones indexed before). Resolves to the new count. Cancelled, it keeps a prefix (see AddRows).
Napi::Value HnswAddJs(const Napi::CallbackInfo& info) {
  return GuardAsync(info, [&]() -> Napi::Value {
    Index* index = GetIndex(info, 0);
    auto x = GetArray<float>(info, 1, "vectors");
    size_t n = GetCount(info, 2, "n");
    unsigned threads = GetThreads(info, 3);
    Cancellation cancel = GetCancel(info, 4);
    CheckRows(*index, x.length, n);
    if (n > 0xFFFFFFFFu) throw Failure("ERR_FACECLUST_ARG", "Expected n < 2^32 but received " + std::to_string(n), ErrorKind::kRange);
    Claim claim(index);  // before reading the count: a running add changes it
    size_t count = index->hnsw->cur_element_count;
    if (n < count) {
      throw Failure("ERR_FACECLUST_ARG", "Expected n >= the " + std::to_string(count) + " rows already indexed but received " + std::to_string(n),
                    ErrorKind::kRange);
    }
    index->Bind(x.data);
    auto* worker = new AddWorker(info.Env(), index, x.data, count, n, threads, std::move(cancel));
    claim.Release();
    worker->Keep(info[0]);
    worker->Keep(info[1]);
    worker->Queue();
    return worker->Promise();
  });
}

// hnswKnnGraph(index, vectors, n, k, ef, radius, threads[, maxNeighbors = k[, cancel]]): every indexed row's k nearest
// (search width ef; widened up to maxNeighbors while all are within radius), decided exactly at radius,
// symmetrised; n must equal the index's count.
Napi::Value HnswKnnGraphJs(const Napi::CallbackInfo& info) {
  return GuardAsync(info, [&]() -> Napi::Value {
    Index* index = GetIndex(info, 0);
    auto x = GetArray<float>(info, 1, "vectors");
    size_t n = GetCount(info, 2, "n");
    size_t k = GetCount(info, 3, "k");
    size_t ef = GetCount(info, 4, "ef");
    double radius = GetNumber(info, 5, "radius");
    unsigned threads = GetThreads(info, 6);
    size_t maxNeighbors = info.Length() > 7 && !info[7].IsUndefined() ? GetCount(info, 7, "maxNeighbors") : k;
    Cancellation cancel = GetCancel(info, 8);
    CheckRows(*index, x.length, n);
    Claim claim(index);  // before reading the count: a running add changes it
    if (n != index->hnsw->cur_element_count) {
      throw Failure("ERR_FACECLUST_ARG", "Expected n == the " + std::to_string(index->hnsw->cur_element_count) +
                                             " rows indexed but received " + std::to_string(n), ErrorKind::kRange);
    }
    if (k < 1 || ef < k) {
      throw Failure("ERR_FACECLUST_ARG", "Expected k >= 1 and ef >= k but received k = " + std::to_string(k) + ", ef = " + std::to_string(ef),
                    ErrorKind::kRange);
    }
    if (maxNeighbors < k) {
      throw Failure("ERR_FACECLUST_ARG", "Expected maxNeighbors >= k but received maxNeighbors = " + std::to_string(maxNeighbors) +
                                             ", k = " + std::to_string(k), ErrorKind::kRange);
    }
    index->Bind(x.data);
    auto* worker = new KnnWorker(info.Env(), index, x.data, n, k, ef, radius, maxNeighbors, threads, std::move(cancel));
    claim.Release();
    worker->Keep(info[0]);
    worker->Keep(info[1]);
    worker->Queue();
    return worker->Promise();
  });
}

}  // namespace fc
