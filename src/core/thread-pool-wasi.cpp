// thread-pool-wasi.cpp — the ThreadPool of the threaded wasm build (sotto-mt.wasm; see thread-pool.h for the
// contract): workers are wasi-threads (core/wasi-thread.h) that wait on one futex word with
// memory.atomic.wait32. The caller runs parts itself (parts are claimed, so it also runs those of workers
// that have not woken yet), then waits for the last claimed one: it polls `done` kCallerSpin times, then
// sleeps on it (the worker that finishes the last part wakes it) where it may block
// (wasi_thread_may_wait(): not a browser's main thread, which spins on). Both sides spin a bounded time and
// then sleep, so on busy cores a waiting caller gives its core to the worker it waits for instead of
// spinning through its time slice. A worker that traps is reported as an error by the next parallel_for
// rather than hanging it.
// Does not: ask the hardware for a thread count (n <= 0 means 1; the host passes the count); promise
// size() threads (the host may give fewer; size() counts those it gave).
#if defined(SOTTO_WASI_THREADS)
#include <algorithm>
#include <atomic>
#include <vector>

#include "core/error.h"
#include "core/thread-pool.h"
#include "core/wasi-thread.h"

namespace sotto {

namespace {
constexpr uint32_t kStop = 0xffffffffu;  // the job word that tells workers to return
constexpr int kMaxThreads = 64;
constexpr int kSpin = 1 << 16;                 // polls of the job word before a worker sleeps
constexpr int kCallerSpin = 1 << 14;           // polls of the done count before the caller sleeps
constexpr int64_t kCallerWaitNs = 20'000'000;  // a sleeping caller looks at its workers this often
}  // namespace

struct ThreadPool::WasiState {
  std::vector<WasiThread*> threads;
  // Each atomic on a cache line of its own: idle workers poll `job` while the others claim and count parts.
  // The futex word: generation << 8 | parts (a new value per loop, never 0 or kStop).
  alignas(64) std::atomic<uint32_t> job{0};
  // Parts are claimed, not assigned: generation << 32 | the next part to run. Whoever claims part i (the
  // caller or any worker) runs chunk i with thread index i, so a worker that is slow to wake (its core busy)
  // costs nothing: the others run its part. A claim of an older generation fails, so a lagging worker never
  // touches a newer loop, and fn/n/grain stay fixed while a claimed part runs (the caller waits for it).
  alignas(64) std::atomic<uint64_t> claim{0};
  alignas(64) std::atomic<int32_t> done{0};  // parts finished in the current loop
  // 1 while the caller sleeps on `done`: the worker that finishes the last part then wakes it. (wasm
  // atomics are sequentially consistent: the caller sets this and then reads `done`, a worker adds to
  // `done` and then reads this, so one of them sees the other.)
  alignas(64) std::atomic<int32_t> caller_asleep{0};
  bool caller_may_wait = false;  // wasi_thread_may_wait() on the thread that made the pool
  alignas(64) uint32_t generation = 0;
  const Fn* fn = nullptr;
  int64_t n = 0, grain = 1;

  void run_parts(uint32_t gen, int parts);  // claims and runs parts of loop `gen` until none is left
};

static void run_chunk(const ThreadPool::Fn& fn, int64_t n, int64_t grain, int parts, int index) {
  const int64_t blocks = (n + grain - 1) / grain;
  const int64_t b0 = blocks * index / parts, b1 = blocks * (index + 1) / parts;
  const int64_t begin = std::min(n, b0 * grain), end = std::min(n, b1 * grain);
  if (begin < end) fn(begin, end, index);
}

void ThreadPool::WasiState::run_parts(uint32_t gen, int parts) {
  for (;;) {
    uint64_t c = claim.load(std::memory_order_acquire);
    do {
      if (uint32_t(c >> 32) != gen || uint32_t(c) >= uint32_t(parts)) return;
    } while (!claim.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel, std::memory_order_acquire));
    run_chunk(*fn, n, grain, parts, int(uint32_t(c)));
    if (done.fetch_add(1, std::memory_order_seq_cst) + 1 == parts && caller_asleep.load(std::memory_order_seq_cst))
      __builtin_wasm_memory_atomic_notify(reinterpret_cast<int32_t*>(&done), 1);
  }
}

ThreadPool::ThreadPool(int n_threads) : n_threads_(1), wasi_(new WasiState) {
  n_threads = std::clamp(n_threads, 1, kMaxThreads);
  if (n_threads > 1) wasi_->caller_may_wait = wasi_thread_may_wait();
  for (int i = 1; i < n_threads; i++) {
    WasiThread* t = wasi_thread_spawn(&ThreadPool::worker_entry, this, i);
    if (!t) break;  // the host has no more threads to give
    wasi_->threads.push_back(t);
    n_threads_++;
  }
}

ThreadPool::~ThreadPool() {
  wasi_->job.store(kStop, std::memory_order_release);
  __builtin_wasm_memory_atomic_notify(reinterpret_cast<int32_t*>(&wasi_->job), ~0u);
  for (WasiThread* t : wasi_->threads) wasi_thread_join(t);
  delete wasi_;
}

void ThreadPool::worker_entry(void* pool, int index) { static_cast<ThreadPool*>(pool)->worker(index); }

void ThreadPool::parallel_for(int64_t n, const Fn& fn, int64_t grain) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  const int64_t blocks = (n + grain - 1) / grain;
  const int parts = int(std::min<int64_t>(n_threads_, blocks));
  if (parts <= 1) {
    fn(0, n, 0);
    return;
  }
  WasiState& st = *wasi_;
  st.fn = &fn;
  st.n = n;
  st.grain = grain;
  st.done.store(0, std::memory_order_relaxed);
  st.generation = st.generation % 0xfffffe + 1;  // 1 .. 2^24 - 2: the job word is never 0 or kStop
  st.claim.store(uint64_t(st.generation) << 32, std::memory_order_relaxed);
  st.job.store(st.generation << 8 | uint32_t(parts), std::memory_order_release);
  __builtin_wasm_memory_atomic_notify(reinterpret_cast<int32_t*>(&st.job), uint32_t(parts - 1));
  st.run_parts(st.generation, parts);
  auto check_workers = [&st] {
    for (const WasiThread* t : st.threads) {
      if (wasi_thread_done(t)) fail("thread pool: a worker thread stopped (trapped; see the console)");
    }
  };
  for (uint32_t spin = 1;; spin++) {
    int32_t d = st.done.load(std::memory_order_acquire);
    if (d >= parts) return;
    if (spin % 4096 == 0) check_workers();
    if (spin < uint32_t(kCallerSpin) || !st.caller_may_wait) continue;
    st.caller_asleep.store(1, std::memory_order_seq_cst);
    d = st.done.load(std::memory_order_seq_cst);
    // 2: timed out (a worker that trapped holding a part never adds to `done`)
    if (d < parts && wasi_thread_wait(reinterpret_cast<int32_t*>(&st.done), d, kCallerWaitNs) == 2)
      check_workers();
    st.caller_asleep.store(0, std::memory_order_relaxed);
  }
}

void ThreadPool::worker(int index) {
  WasiState& st = *wasi_;
  uint32_t seen = 0;
  for (;;) {
    uint32_t job = st.job.load(std::memory_order_acquire);
    for (int spin = 0; job == seen && spin < kSpin; spin++) job = st.job.load(std::memory_order_acquire);
    while (job == seen) {
      wasi_thread_wait(reinterpret_cast<int32_t*>(&st.job), int32_t(seen), -1);
      job = st.job.load(std::memory_order_acquire);
    }
    seen = job;
    if (job == kStop) return;
    st.run_parts(job >> 8, int(job & 0xff));
  }
}

}  // namespace sotto
#endif  // SOTTO_WASI_THREADS
