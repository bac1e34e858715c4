// wasi-thread.h — one thread of the threaded wasm build (sotto-mt.wasm), started through the wasi-threads
// import `wasi` `thread-spawn` that the JS host implements (a Worker that instantiates the same module on
// the same shared memory and calls the export wasi_thread_start). Each thread gets its own stack and
// thread-local block from the heap. What std::thread would be if Debian's wasm libc++ had threads.
// Does not: exist outside wasm32 builds with -DSOTTO_WASI_THREADS; detach; pass results back (the caller
// shares memory with the thread anyway).
// Blocking: a thread that may wait on an atomic (wasi_thread_may_wait(): not the browser's main thread)
// waits; one that may not spins. wasi_thread_join is for a thread that has been told to return.
#pragma once

#if defined(SOTTO_WASI_THREADS)
#include <cstdint>

namespace sotto {

struct WasiThread;  // wasi-thread.cpp

// Runs fn(arg, index) on a new thread; null when the host gives no thread (it may have none left).
WasiThread* wasi_thread_spawn(void (*fn)(void* arg, int index), void* arg, int index);
// True once the thread's function has returned, or the thread trapped (the host marks it done).
bool wasi_thread_done(const WasiThread* t);
// Waits until the thread is done and frees its stack.
void wasi_thread_join(WasiThread* t);
// Whether the calling thread may block in memory.atomic.wait (the host's `sotto_threads` `may-wait` import:
// a browser's main thread may not; Workers and Node's main thread may).
bool wasi_thread_may_wait();
// memory.atomic.wait32 on addr while it holds `expected`, for at most timeout_ns (< 0: no limit): 0 woken,
// 1 not equal, 2 timed out. Out of line on purpose: with the wait inline in a loop, V8's baseline wasm
// compiler (Liftoff, Node 20) was seen to read a stale value after the wait, so wasi_thread_join waited
// for good on a thread that had returned (node --liftoff-only: 4 runs in 10 of the bench hung).
int wasi_thread_wait(int32_t* addr, int32_t expected, int64_t timeout_ns);

}  // namespace sotto
#endif  // SOTTO_WASI_THREADS
