// wasi-thread.h — one thread of the threaded wasm build (sotto-mt.wasm), started through the wasi-threads
// import `wasi` `thread-spawn` that the JS host implements (a Worker that instantiates the same module on
// the same shared memory and calls the export wasi_thread_start). Each thread gets its own stack and
// thread-local block from the heap. What std::thread would be if Debian's wasm libc++ had threads.
// Does not: exist outside wasm32 builds with -DSOTTO_WASI_THREADS; detach; pass results back (the caller
// shares memory with the thread anyway).
// Blocking: wasi_thread_join spins (the browser's main thread may not wait on an atomic); use it when the
// thread has been told to return.
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

}  // namespace sotto
#endif  // SOTTO_WASI_THREADS
