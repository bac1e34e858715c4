// wasi-thread.cpp — see wasi-thread.h. Also the heap lock of the threaded wasm build: Debian's wasi-libc is
// built without threads, so its malloc has no lock; wasm/build.sh links sotto-mt.wasm with
// --wrap=malloc,free,... and the wrappers below serialize every call with a spin lock.
// The start record that thread-spawn passes to the host (and the host back to wasi_thread_start):
//   offset 0: i32 top of the thread's stack      offset 4: i32 done flag (1: returned or trapped)
// The host marks a trapped thread done (Atomics.store at start_arg + 4, then Atomics.notify).
#if defined(SOTTO_WASI_THREADS)
#include "core/wasi-thread.h"

#include <algorithm>
#include <cstddef>
#include <cstdlib>

namespace sotto {

struct WasiThread {
  uint32_t stack_top;           // offset 0, read by wasi_thread_start
  int32_t done;                 // offset 4, written by wasi_thread_start and by the host on a trap
  void (*fn)(void*, int);
  void* arg;
  int index;
  void* stack;                  // the stack and thread-local block, one allocation
  void* tls;                    // the thread-local block, above the stack
};

}  // namespace sotto

namespace {

constexpr size_t kStackBytes = 1 << 20;  // as the main thread's (-z stack-size in wasm/build.sh)

extern "C" __attribute__((import_module("wasi"), import_name("thread-spawn"))) int32_t sotto_wasi_thread_spawn(void* start_arg);
extern "C" __attribute__((weak)) void __wasm_init_tls(void* tls_block);  // by wasm-ld, when there is TLS
// 1 when the calling thread may block in memory.atomic.wait (wasm/sotto.mjs threadImports).
extern "C" __attribute__((import_module("sotto_threads"), import_name("may-wait"))) int32_t sotto_threads_may_wait();

}  // namespace

// Called by wasi_thread_start on the new thread's stack.
extern "C" __attribute__((used)) void sotto_wasi_thread_main(int32_t tid, sotto::WasiThread* t) {
  (void)tid;
  if (&__wasm_init_tls && __builtin_wasm_tls_size() > 0) __wasm_init_tls(t->tls);
  t->fn(t->arg, t->index);
}

// wasi_thread_start(tid, start_arg): the export the host calls on a new thread. Switches the shadow stack
// pointer (a per-instance global) to the thread's stack, runs sotto_wasi_thread_main, then marks the
// record done; nothing touches the stack after that, so the joiner may free it.
__asm__(R"(
  .globaltype __stack_pointer, i32
  .functype sotto_wasi_thread_main (i32, i32) -> ()
  .section .text.wasi_thread_start,"",@
  .globl wasi_thread_start
  .type wasi_thread_start,@function
wasi_thread_start:
  .functype wasi_thread_start (i32, i32) -> ()
  local.get 1
  i32.load 0
  global.set __stack_pointer
  local.get 0
  local.get 1
  call sotto_wasi_thread_main
  local.get 1
  i32.const 1
  i32.atomic.store 4
  local.get 1
  i32.const 4
  i32.add
  i32.const -1
  memory.atomic.notify 0
  drop
  end_function
)");

namespace sotto {

WasiThread* wasi_thread_spawn(void (*fn)(void*, int), void* arg, int index) {
  const size_t tls_bytes = __builtin_wasm_tls_size(), tls_align = std::max<size_t>(1, __builtin_wasm_tls_align());
  const size_t tls_pad = tls_bytes + tls_align;
  auto* t = new WasiThread{};
  t->stack = std::aligned_alloc(16, kStackBytes + tls_pad);
  if (!t->stack) {
    delete t;
    return nullptr;
  }
  // The thread-local block right above the stack, aligned as the linker asks.
  const uintptr_t top = reinterpret_cast<uintptr_t>(t->stack) + kStackBytes;
  t->tls = reinterpret_cast<void*>((top + tls_align - 1) / tls_align * tls_align);
  t->stack_top = uint32_t(reinterpret_cast<uintptr_t>(t->stack) + kStackBytes);
  t->fn = fn;
  t->arg = arg;
  t->index = index;
  __atomic_store_n(&t->done, 0, __ATOMIC_RELEASE);
  if (sotto_wasi_thread_spawn(t) <= 0) {
    std::free(t->stack);
    delete t;
    return nullptr;
  }
  return t;
}

bool wasi_thread_done(const WasiThread* t) { return __atomic_load_n(&t->done, __ATOMIC_ACQUIRE) != 0; }

bool wasi_thread_may_wait() { return sotto_threads_may_wait() != 0; }

__attribute__((noinline)) int wasi_thread_wait(int32_t* addr, int32_t expected, int64_t timeout_ns) {
  return __builtin_wasm_memory_atomic_wait32(addr, expected, timeout_ns);
}

void wasi_thread_join(WasiThread* t) {
  const bool may_wait = wasi_thread_may_wait();
  while (!wasi_thread_done(t)) {  // the done flag is notified when the thread returns or traps
    if (may_wait) wasi_thread_wait(&t->done, 0, 10'000'000);
  }
  std::free(t->stack);
  delete t;
}

}  // namespace sotto

// ---- the heap lock (see the top)
namespace {
int32_t g_heap_lock = 0;
struct HeapLock {
  HeapLock() {
    while (__atomic_exchange_n(&g_heap_lock, 1, __ATOMIC_ACQUIRE)) {
    }
  }
  ~HeapLock() { __atomic_store_n(&g_heap_lock, 0, __ATOMIC_RELEASE); }
};
}  // namespace

extern "C" {
void* __real_malloc(size_t);
void __real_free(void*);
void* __real_calloc(size_t, size_t);
void* __real_realloc(void*, size_t);
void* __real_aligned_alloc(size_t, size_t);
int __real_posix_memalign(void**, size_t, size_t);
size_t __real_malloc_usable_size(void*);
void* __wrap_malloc(size_t n) { HeapLock l; return __real_malloc(n); }
void __wrap_free(void* p) { HeapLock l; __real_free(p); }
void* __wrap_calloc(size_t n, size_t s) { HeapLock l; return __real_calloc(n, s); }
void* __wrap_realloc(void* p, size_t n) { HeapLock l; return __real_realloc(p, n); }
void* __wrap_aligned_alloc(size_t a, size_t n) { HeapLock l; return __real_aligned_alloc(a, n); }
int __wrap_posix_memalign(void** p, size_t a, size_t n) { HeapLock l; return __real_posix_memalign(p, a, n); }
size_t __wrap_malloc_usable_size(void* p) { HeapLock l; return __real_malloc_usable_size(p); }
}
#endif  // SOTTO_WASI_THREADS
