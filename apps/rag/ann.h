// ann.h — the approximate dense index of apps/rag (issue 21, point 3): an HNSW graph (Debian's hnswlib 0.6.2,
// header-only) in inner-product space over L2-normalised embeddings, labelled by chunk id. Graph and sidecar file
// only: which ids and vectors belong in it is the SQLite index's business (index.h keeps the two consistent).
// Sidecar file (beside the index, INDEX.hnsw), little-endian:
//   "SOTTOHNW" | u32 version 1 | u32 n_embd | i64 generation | u64 n_live | u64 payload bytes | 32-byte SHA-256
//   of the payload | payload: hnswlib's saveIndex output
// load() checks every header field and the checksum before hnswlib reads a byte, so a torn, truncated, stale or
// foreign file is refused with a reason (never a crash); save() writes a temporary file and renames it.
// Does not: read SQLite, decide when to use the graph (index.h), exact search, compaction by itself (rebuild it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace hnswlib {
template <typename T>
class HierarchicalNSW;
class InnerProductSpace;
}  // namespace hnswlib

namespace sotto::rag {

class Ann {
 public:
  static constexpr int kM = 16;                // graph degree (hnswlib's default)
  static constexpr int kEfConstruction = 100;  // build-time beam

  // An empty graph for vectors of n_embd floats, room for capacity of them (grows by doubling).
  Ann(int n_embd, size_t capacity);
  ~Ann();
  Ann(const Ann&) = delete;
  Ann& operator=(const Ann&) = delete;

  // Adds many: vecs [ids.size()][n_embd]; n_threads 1 gives the same graph every time (hnswlib's seed is fixed).
  void add(const std::vector<int64_t>& ids, const float* vecs, int n_threads);
  // Adds or replaces one (an id marked deleted comes back with this vector).
  void add(int64_t id, const float* vec);
  // Marks id deleted (no longer returned); an id not in the graph, or already deleted, is ignored.
  void remove(int64_t id);
  // The k nearest live ids by inner product, best first: {dot, id}. ef: the search beam (>= k).
  std::vector<std::pair<float, int64_t>> search(const float* query, size_t k, size_t ef) const;

  int n_embd() const { return n_embd_; }
  size_t n_live() const;
  size_t n_deleted() const;

  // Writes the sidecar for this generation of the index (atomically: path.tmp, then rename).
  void save(const std::string& path, int64_t generation) const;
  // The graph in path if it is whole, of n_embd dims and of this generation, with n_live ids; else null and *why
  // says what is wrong ("missing", "stale: generation 3, the index is at 5", "checksum mismatch", ...).
  static std::unique_ptr<Ann> load(const std::string& path, int n_embd, int64_t generation, size_t n_live,
                                   std::string* why);

 private:
  Ann(int n_embd);
  int n_embd_;
  std::unique_ptr<hnswlib::InnerProductSpace> space_;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> g_;
};

}  // namespace sotto::rag
