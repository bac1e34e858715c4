// error.h — the one exception type of the library.
// Library code never calls exit(); it throws sotto::Error with a message a user can act on
// ("model.gguf: tensor blk.3.attn_q.weight truncated at byte 1048576"). The CLI prints what() on one line.
#pragma once

#include <stdexcept>
#include <string>

namespace sotto {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg) : std::runtime_error(msg) {}
};

#if defined(__wasm__)
// wasm build (no C++ exception runtime in the WASI toolchain): fail() hands the message to the host
// boundary, which records it and traps; the JS host turns the trap into an Error with that message and
// discards the instance (see wasm/sotto-abi.cpp).
extern "C" [[noreturn]] void sotto_wasm_fail(const char* msg);
#endif

// Formats with std::string pieces: fail("x.gguf: ", "bad magic") throws Error("x.gguf: bad magic").
template <typename... Args>
[[noreturn]] inline void fail(const Args&... parts) {
  std::string msg;
  (msg += ... += std::string(parts));
#if defined(__wasm__)
  sotto_wasm_fail(msg.c_str());
#else
  throw Error(msg);
#endif
}

}  // namespace sotto
