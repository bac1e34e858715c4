// thread-pool.h — a fixed pool of worker threads for data-parallel loops, passed in (never global).
// parallel_for splits [0, n) into one contiguous chunk per thread; the calling thread works too and the
// call returns when every chunk is done. Workers spin briefly before sleeping, so back-to-back small
// loops (one per op in a decode step) do not pay a futex wake each time.
// Three implementations, one interface: std::thread (native, thread-pool.cpp); none (the single-threaded
// wasm32-wasi build: every pool is the caller alone); wasi-threads (the threaded wasm build, sotto-mt.wasm:
// thread-pool-wasi.cpp, workers spawned through the host's `wasi` `thread-spawn` import, which may give
// fewer threads than asked; size() says how many there are).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sotto {

// The most threads a pool may have (an error above it, rather than an attempt to start 100,000 threads).
inline constexpr int kMaxPoolThreads = 1024;

class ThreadPool {
 public:
  using Fn = std::function<void(int64_t begin, int64_t end, int thread_index)>;

  // Total threads including the caller; <= 0 means the hardware count. Throws sotto::Error above
  // kMaxPoolThreads or when the system cannot start a thread.
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Runs fn over [0, n) split into size() chunks (fewer if n is small); chunk boundaries are multiples
  // of `grain` (except the last) so that callers can keep blocks together.
  void parallel_for(int64_t n, const Fn& fn, int64_t grain = 1);

 private:
  void worker(int index);
  void stop_workers();  // joins the workers (destructor, or a failed start)

  int n_threads_;
#if defined(_LIBCPP_HAS_NO_THREADS)  // wasm32-wasi: libc++ has no std::thread
  // The same layout in the single-threaded and the threaded wasm build (objects without atomics are shared
  // by both): the wasi-threads state, null in the single-threaded build.
  struct WasiState;
  WasiState* wasi_ = nullptr;
  static void worker_entry(void* pool, int index);
#else
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  const Fn* fn_ = nullptr;
  int64_t n_ = 0, grain_ = 1;
  int active_ = 0;
#endif
};

}  // namespace sotto
