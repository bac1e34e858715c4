// test-gguf-memory.cpp — GgufFile::from_memory (the wasm build's load path, no mmap) gives the same
// metadata, tensor table and tensor bytes as GgufFile::open on the same file, and bad bytes give the
// same one-line errors, naming the given name.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/file.h"
#include "core/gguf.h"

using namespace sotto;

namespace {

std::vector<uint8_t> bytes_of(const std::string& path) {
  const std::string s = read_file(path);
  return std::vector<uint8_t>(s.begin(), s.end());
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(GgufMemory, SameAsOpenForEveryFixtureModel) {
  for (const char* name : {"llama32-f32.gguf", "llama32-q4_0.gguf", "qwen25-k-q4_k.gguf", "gemma3-bf16.gguf"}) {
    const std::string path = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/models/" + name;
    auto a = GgufFile::open(path);
    auto b = GgufFile::from_memory(bytes_of(path), name);
    EXPECT_EQ(b->path(), name);
    EXPECT_EQ(a->version(), b->version());
    EXPECT_EQ(a->file_size(), b->file_size());
    ASSERT_EQ(a->metadata().size(), b->metadata().size()) << name;
    for (const auto& [key, v] : a->metadata()) {
      const GgufValue* w = b->find(key);
      ASSERT_NE(w, nullptr) << name << " " << key;
      EXPECT_EQ(v.type, w->type) << key;
      EXPECT_TRUE(v.v == w->v) << name << " " << key;
    }
    ASSERT_EQ(a->tensors().size(), b->tensors().size()) << name;
    for (size_t i = 0; i < a->tensors().size(); i++) {
      const GgufTensorInfo& ta = a->tensors()[i];
      const GgufTensorInfo& tb = b->tensors()[i];
      EXPECT_EQ(ta.name, tb.name);
      EXPECT_EQ(ta.type, tb.type);
      EXPECT_EQ(ta.ne, tb.ne);
      EXPECT_EQ(ta.offset, tb.offset);
      const size_t n = ta.view.nbytes();
      ASSERT_EQ(n, tb.view.nbytes()) << ta.name;
      EXPECT_EQ(std::memcmp(ta.view.data, tb.view.data, n), 0) << name << " " << ta.name;
    }
  }
}

TEST(GgufMemory, BadBytesGiveErrorsNamingTheName) {
  EXPECT_EQ(error_of([] { GgufFile::from_memory(std::vector<uint8_t>(10, 0), "tiny.gguf"); }),
            "tiny.gguf: truncated file: 10 bytes is too small for a GGUF header");
  EXPECT_EQ(error_of([] { GgufFile::from_memory(std::vector<uint8_t>(64, 7), "junk.gguf"); }),
            "junk.gguf: not a GGUF file (magic 0x07070707, expected 0x46554747 \"GGUF\")");
  std::vector<uint8_t> b = bytes_of(std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/models/llama32-q8_0.gguf");
  b.resize(b.size() - 100);
  const std::string msg = error_of([&] { GgufFile::from_memory(b, "cut.gguf"); });
  EXPECT_EQ(msg.rfind("cut.gguf: tensor ", 0), 0u) << msg;
  EXPECT_NE(msg.find("past the end of the file"), std::string::npos) << msg;
}

// Header mode (the streamed WebGPU load): only the bytes through the tensor table; tensors past them have no
// data until provide_data(); file offsets locate their bytes in the file; a prefix too short is an error.
TEST(GgufMemory, HeaderModeLocatesTensorsInTheFile) {
  const std::string path = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/models/qwen25-q4_0.gguf";
  const std::vector<uint8_t> all = bytes_of(path);
  auto a = GgufFile::from_memory(all, "q.gguf");
  uint64_t first = all.size();
  for (const GgufTensorInfo& t : a->tensors()) first = std::min<uint64_t>(first, t.file_offset);
  auto h = GgufFile::from_header(std::vector<uint8_t>(all.begin(), all.begin() + long(first)), all.size(), "q.gguf");
  EXPECT_EQ(h->file_size(), all.size());
  ASSERT_EQ(h->tensors().size(), a->tensors().size());
  for (size_t i = 0; i < h->tensors().size(); i++) {
    const GgufTensorInfo& t = h->tensors()[i];
    EXPECT_EQ(t.view.data, nullptr) << t.name;
    EXPECT_EQ(t.file_offset, a->tensors()[i].file_offset);
    const size_t n = t.view.nbytes();
    uint8_t* p = h->provide_data(i);
    std::memcpy(p, all.data() + t.file_offset, n);
    EXPECT_EQ(h->tensors()[i].view.data, p);
    EXPECT_EQ(std::memcmp(p, a->tensors()[i].view.data, n), 0) << t.name;
  }
  EXPECT_NE(error_of([&] { GgufFile::from_header(std::vector<uint8_t>(all.begin(), all.begin() + long(first / 2)), all.size(), "q.gguf"); })
                .find("q.gguf: truncated file"),
            std::string::npos);
  EXPECT_NE(error_of([&] { GgufFile::from_header(std::vector<uint8_t>(all.begin(), all.begin() + long(first)), first + 10, "q.gguf"); })
                .find("past the end of the file"),
            std::string::npos);
}
