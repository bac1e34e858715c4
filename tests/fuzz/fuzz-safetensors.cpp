// fuzz-safetensors.cpp — libFuzzer target: the safetensors reader of `sotto convert` (convert/safetensors.h) on
// arbitrary bytes. Every tensor's first and last byte is read through its view, so a view outside the buffer is an
// AddressSanitizer report. Properties: views lie inside the data section, byte counts are elements x dtype size,
// find() finds each tensor under its own name.
#include <cstring>

#include "convert/safetensors.h"
#include "core/error.h"
#include "fuzz.h"

using namespace sotto;

namespace {
volatile uint8_t g_sink;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::unique_ptr<convert::SafetensorsFile> f;
  try {
    f = convert::SafetensorsFile::from_memory(data, size, "fuzz.safetensors");
  } catch (const Error&) {
    return 0;
  }
  uint8_t acc = 0;
  for (const convert::StTensor& t : f->tensors()) {
    FUZZ_CHECK(f->find(t.name) == &t);
    FUZZ_CHECK(t.data >= data + 8 && t.data + t.n_bytes <= data + size);
    FUZZ_CHECK(t.n_bytes == uint64_t(t.n_elements()) * convert::st_dtype_size(t.dtype));
    if (t.n_bytes) acc ^= t.data[0] ^ t.data[t.n_bytes - 1];
  }
  g_sink = acc;
  return 0;
}
