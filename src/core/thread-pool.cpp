// thread-pool.cpp — see thread-pool.h.
#include "core/thread-pool.h"

#include <algorithm>
#include <string>
#include <system_error>

#include "core/error.h"

namespace sotto {

#if defined(SOTTO_WASI_THREADS)
// The threaded wasm build (sotto-mt.wasm): thread-pool-wasi.cpp.
#elif defined(_LIBCPP_HAS_NO_THREADS)
// Single-threaded build (wasm32-wasi libc++ has no threads): every pool has one thread, the caller.
ThreadPool::ThreadPool(int) : n_threads_(1) {}
ThreadPool::~ThreadPool() = default;
void ThreadPool::parallel_for(int64_t n, const Fn& fn, int64_t) {
  if (n > 0) fn(0, n, 0);
}
void ThreadPool::worker(int) {}
#else

ThreadPool::ThreadPool(int n_threads) {
  if (n_threads <= 0) n_threads = int(std::max(1u, std::thread::hardware_concurrency()));
  if (n_threads > kMaxPoolThreads) {
    fail("thread count ", std::to_string(n_threads), " is above the limit of ", std::to_string(kMaxPoolThreads));
  }
  n_threads_ = n_threads;
  try {
    for (int i = 1; i < n_threads_; i++) threads_.emplace_back([this, i] { worker(i); });
  } catch (const std::system_error& e) {  // the system refused a thread: stop the started ones, then report
    const size_t started = threads_.size();
    stop_workers();
    fail("cannot start thread ", std::to_string(started + 2), " of ", std::to_string(n_threads), ": ", e.what());
  }
}

ThreadPool::~ThreadPool() { stop_workers(); }

void ThreadPool::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    generation_++;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

static void run_chunk(const ThreadPool::Fn& fn, int64_t n, int64_t grain, int parts, int index) {
  const int64_t blocks = (n + grain - 1) / grain;
  const int64_t b0 = blocks * index / parts, b1 = blocks * (index + 1) / parts;
  const int64_t begin = std::min(n, b0 * grain), end = std::min(n, b1 * grain);
  if (begin < end) fn(begin, end, index);
}

void ThreadPool::parallel_for(int64_t n, const Fn& fn, int64_t grain) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  const int64_t blocks = (n + grain - 1) / grain;
  const int parts = int(std::min<int64_t>(n_threads_, blocks));
  if (parts <= 1) {
    fn(0, n, 0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    fn_ = &fn;
    n_ = n;
    grain_ = grain;
    active_ = parts;
    pending_.store(parts - 1, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  cv_.notify_all();
  run_chunk(fn, n, grain, parts, 0);
  while (pending_.load(std::memory_order_acquire) > 0) {
    std::this_thread::yield();
  }
}

void ThreadPool::worker(int index) {
  uint64_t seen = 0;
  for (;;) {
    // Spin a little for the next loop before sleeping.
    uint64_t gen = generation_.load(std::memory_order_acquire);
    for (int spin = 0; gen == seen && spin < 20000; spin++) {
      std::this_thread::yield();
      gen = generation_.load(std::memory_order_acquire);
    }
    if (gen == seen) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return generation_.load() != seen; });
    }
    const Fn* fn;
    int64_t n, grain;
    int parts;
    {
      // Read the generation together with its parameters: a worker that lagged behind a finished loop
      // joins the newest one exactly once.
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      seen = generation_.load();
      fn = fn_;
      n = n_;
      grain = grain_;
      parts = active_;
    }
    if (index < parts) {
      run_chunk(*fn, n, grain, parts, index);
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }
}

#endif  // SOTTO_WASI_THREADS, _LIBCPP_HAS_NO_THREADS

}  // namespace sotto
