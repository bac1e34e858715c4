// ann.cpp — see ann.h. hnswlib does the graph; this file adds the checked sidecar around its file format.
#include "rag/ann.h"

#include <fcntl.h>
#include <hnswlib/hnswlib.h>
#include <openssl/evp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include "core/error.h"

namespace sotto::rag {

namespace {

constexpr char kMagic[8] = {'S', 'O', 'T', 'T', 'O', 'H', 'N', 'W'};
constexpr uint32_t kVersion = 1;

#pragma pack(push, 1)
struct Header {
  char magic[8];
  uint32_t version, n_embd;
  int64_t generation;
  uint64_t n_live, payload;
  unsigned char sha256[32];
};
#pragma pack(pop)
static_assert(sizeof(Header) == 72);

void sha256(const void* p, size_t n, unsigned char out[32]) {
  unsigned int len = 0;
  if (EVP_Digest(p, n, out, &len, EVP_sha256(), nullptr) != 1 || len != 32) fail("sha256: libcrypto failed");
}

// An anonymous in-memory file, for hnswlib's path-only saveIndex/loadIndex.
struct MemFile {
  int fd = -1;
  MemFile() {
    fd = ::memfd_create("sotto-hnsw", MFD_CLOEXEC);
    if (fd < 0) fail("hnsw: memfd_create failed (", std::strerror(errno), ")");
  }
  ~MemFile() {
    if (fd >= 0) ::close(fd);
  }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd); }
};

// The whole of a file, mapped read-only; empty when it cannot be.
struct Mapped {
  const unsigned char* p = nullptr;
  size_t n = 0;
  explicit Mapped(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
      void* m = ::mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (m != MAP_FAILED) p = static_cast<const unsigned char*>(m), n = size_t(st.st_size);
    }
    ::close(fd);
  }
  ~Mapped() {
    if (p) ::munmap(const_cast<unsigned char*>(p), n);
  }
};

void write_all(int fd, const void* p, size_t n, const std::string& path) {
  const char* c = static_cast<const char*>(p);
  while (n > 0) {
    const ssize_t w = ::write(fd, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) fail(path, ": write failed (", std::strerror(errno), ")");
    c += w;
    n -= size_t(w);
  }
}

}  // namespace

Ann::Ann(int n_embd) : n_embd_(n_embd), space_(std::make_unique<hnswlib::InnerProductSpace>(size_t(n_embd))) {}

Ann::Ann(int n_embd, size_t capacity) : Ann(n_embd) {
  g_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(space_.get(), std::max<size_t>(capacity, 16), kM,
                                                         kEfConstruction);
}

Ann::~Ann() = default;

size_t Ann::n_live() const { return g_->cur_element_count - g_->num_deleted_; }
size_t Ann::n_deleted() const { return g_->num_deleted_; }

void Ann::add(const std::vector<int64_t>& ids, const float* vecs, int n_threads) {
  if (g_->cur_element_count + ids.size() > g_->max_elements_)
    g_->resizeIndex(std::max(g_->max_elements_ * 2, g_->cur_element_count + ids.size()));
  const size_t n = ids.size();
  n_threads = std::max(1, std::min<int>(n_threads, int(n / 1000) + 1));
  if (n_threads == 1) {
    for (size_t i = 0; i < n; i++) g_->addPoint(vecs + i * size_t(n_embd_), hnswlib::labeltype(ids[i]));
    return;
  }
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < n_threads; t++)
    pool.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < n;) g_->addPoint(vecs + i * size_t(n_embd_), hnswlib::labeltype(ids[i]));
    });
  for (auto& th : pool) th.join();
}

void Ann::add(int64_t id, const float* vec) { add(std::vector<int64_t>{id}, vec, 1); }

void Ann::remove(int64_t id) {
  const auto it = g_->label_lookup_.find(hnswlib::labeltype(id));
  if (it == g_->label_lookup_.end() || g_->isMarkedDeleted(it->second)) return;
  g_->markDelete(hnswlib::labeltype(id));
}

std::vector<std::pair<float, int64_t>> Ann::search(const float* query, size_t k, size_t ef) const {
  std::vector<std::pair<float, int64_t>> out;
  if (k == 0 || n_live() == 0) return out;
  g_->setEf(std::max(ef, k));
  auto q = g_->searchKnn(query, k);
  out.resize(q.size());
  for (size_t i = q.size(); i-- > 0; q.pop()) out[i] = {1.f - q.top().first, int64_t(q.top().second)};
  // Ties in score: the smaller id first, as the exact search orders them.
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  return out;
}

void Ann::save(const std::string& path, int64_t generation) const {
  MemFile mem;
  g_->saveIndex(mem.path());
  struct stat st;
  if (::fstat(mem.fd, &st) != 0) fail(path, ": cannot stat the graph (", std::strerror(errno), ")");
  const size_t n = size_t(st.st_size);
  void* m = n ? ::mmap(nullptr, n, PROT_READ, MAP_PRIVATE, mem.fd, 0) : nullptr;
  if (n == 0 || m == MAP_FAILED) fail(path, ": hnswlib wrote no graph");
  Header h{};
  std::memcpy(h.magic, kMagic, 8);
  h.version = kVersion;
  h.n_embd = uint32_t(n_embd_);
  h.generation = generation;
  h.n_live = n_live();
  h.payload = n;
  sha256(m, n, h.sha256);
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    ::munmap(m, n);
    fail(tmp, ": cannot write (", std::strerror(errno), ")");
  }
  try {
    write_all(fd, &h, sizeof h, tmp);
    write_all(fd, m, n, tmp);
  } catch (...) {
    ::munmap(m, n);
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::munmap(m, n);
  if (::close(fd) != 0 || std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    fail(path, ": cannot write (", std::strerror(errno), ")");
  }
}

std::unique_ptr<Ann> Ann::load(const std::string& path, int n_embd, int64_t generation, size_t n_live,
                               std::string* why) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return *why = "missing", nullptr;
  const Mapped f(path);
  Header h;
  if (f.n < sizeof h) return *why = "truncated header", nullptr;
  std::memcpy(&h, f.p, sizeof h);
  if (std::memcmp(h.magic, kMagic, 8) != 0 || h.version != kVersion) return *why = "not a sotto HNSW file", nullptr;
  if (h.n_embd != uint32_t(n_embd))
    return *why = "made for " + std::to_string(h.n_embd) + " dims, the index has " + std::to_string(n_embd), nullptr;
  if (h.generation != generation)
    return *why = "stale: generation " + std::to_string(h.generation) + ", the index is at " +
                  std::to_string(generation), nullptr;
  if (h.payload != f.n - sizeof h) return *why = "truncated or padded graph", nullptr;
  unsigned char sum[32];
  sha256(f.p + sizeof h, size_t(h.payload), sum);
  if (std::memcmp(sum, h.sha256, 32) != 0) return *why = "checksum mismatch (corrupt)", nullptr;
  if (h.n_live != n_live)
    return *why = "holds " + std::to_string(h.n_live) + " passages, the index " + std::to_string(n_live), nullptr;
  std::unique_ptr<Ann> a(new Ann(n_embd));
  try {
    MemFile mem;
    write_all(mem.fd, f.p + sizeof h, size_t(h.payload), path);
    // The constructor that loads: if hnswlib throws half-way, no destructor runs over half-set members.
    a->g_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(a->space_.get(), mem.path());
    // hnswlib 0.6.2's loading constructor leaves num_deleted_ unset before loadIndex adds to it: count again.
    a->g_->num_deleted_ = 0;
    for (size_t i = 0; i < a->g_->cur_element_count; i++)
      a->g_->num_deleted_ += a->g_->isMarkedDeleted(hnswlib::tableint(i));
  } catch (const std::exception& e) {
    return *why = std::string("hnswlib refused it (") + e.what() + ")", nullptr;
  }
  if (a->n_live() != n_live) return *why = "live count differs from its header", nullptr;
  return a;
}

}  // namespace sotto::rag
