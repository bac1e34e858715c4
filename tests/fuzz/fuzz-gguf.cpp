// fuzz-gguf.cpp — libFuzzer target: the GGUF reader (core/gguf.h) on arbitrary bytes, whole (from_memory) and
// in header mode (from_header: the first three quarters as the header, the rest streamed by provide_data).
// Every typed getter is called on every key, and every tensor's bytes are read through its view, so a view
// outside the buffer or a getter that trusts a type it did not check is an AddressSanitizer report.
// Properties: find_tensor() finds each listed tensor under its own name; views lie inside the file.
#include <cstring>
#include <vector>

#include "core/error.h"
#include "core/gguf.h"
#include "fuzz.h"

using namespace sotto;

namespace {

volatile uint8_t g_sink;

void touch_metadata(const GgufFile& f) {
  for (const auto& [key, v] : f.metadata()) {
    FUZZ_CHECK(f.has(key) && f.find(key) == &v);
    try { (void)f.get_int(key); } catch (const Error&) {}
    try { (void)f.get_float(key); } catch (const Error&) {}
    try { (void)f.get_bool_or(key, false); } catch (const Error&) {}
    try { (void)f.get_string(key); } catch (const Error&) {}
    try { (void)f.get_string_array(key); } catch (const Error&) {}
    try { (void)f.get_int_array(key); } catch (const Error&) {}
    try { (void)f.get_float_array(key); } catch (const Error&) {}
  }
}

void touch_tensors(const GgufFile& f) {
  uint8_t acc = 0;
  for (const GgufTensorInfo& t : f.tensors()) {
    FUZZ_CHECK(f.find_tensor(t.name) == &t);
    FUZZ_CHECK(t.file_offset + t.view.nbytes() <= f.file_size());
    if (!t.view.data) continue;
    const auto* p = static_cast<const uint8_t*>(t.view.data);
    const size_t n = t.view.nbytes();
    if (n) acc ^= p[0] ^ p[n - 1];
  }
  g_sink = acc;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto f = GgufFile::from_memory(std::vector<uint8_t>(data, data + size), "fuzz.gguf");
    touch_metadata(*f);
    touch_tensors(*f);
    try { (void)f->tensor("token_embd.weight"); } catch (const Error&) {}
  } catch (const Error&) {
  }
  try {
    const size_t header = size - size / 4;
    auto f = GgufFile::from_header(std::vector<uint8_t>(data, data + header), size, "fuzz.gguf");
    for (size_t i = 0; i < f->tensors().size(); ++i) {
      const GgufTensorInfo& t = f->tensors()[i];
      if (t.view.data) continue;
      uint8_t* p = f->provide_data(i);
      std::memcpy(p, data + t.file_offset, t.view.nbytes());
    }
    touch_tensors(*f);
  } catch (const Error&) {
  }
  return 0;
}
