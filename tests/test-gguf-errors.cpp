// test-gguf-errors.cpp — GGUF writer -> reader round trip, and every kind of bad file giving a one-line
// sotto::Error that names the file (and the tensor where one is at fault), never a crash.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/gguf.h"

using namespace sotto;

namespace {

std::string tmp(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("sotto-gguf-" + name)).string();
}

std::vector<uint8_t> slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
void spit(const std::string& p, const std::vector<uint8_t>& b) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

std::string small_file() {
  GgufWriter w;
  w.set_string("general.architecture", "llama");
  w.set_u32("llama.block_count", 2);
  w.set_f32("llama.rope.freq_base", 500000.0f);
  w.set_bool("tokenizer.ggml.add_bos_token", true);
  w.set_string_array("tokenizer.ggml.tokens", {"a", "b", "\xc3\xa9"});
  w.set_f32_array("tokenizer.ggml.scores", {0.5f, -1.0f, 2.0f});
  w.set_i32_array("tokenizer.ggml.token_type", {1, 3, 6});
  std::vector<float> a(64);
  for (size_t i = 0; i < a.size(); i++) a[i] = float(i) * 0.25f;
  w.add_tensor("token_embd.weight", DType::F32, {16, 4, 1, 1}, a.data());
  // 16 rows of 34 bytes = 544, a multiple of the alignment: the file ends exactly at the data's end.
  std::vector<uint8_t> q(sizeof(BlockQ8_0) * 16, 7);
  w.add_tensor("blk.0.attn_q.weight", DType::Q8_0, {32, 16, 1, 1}, q.data());
  const std::string p = tmp("small.gguf");
  w.write(p);
  return p;
}

void expect_error(const std::string& path, const std::vector<std::string>& needles) {
  try {
    GgufFile::open(path);
    ADD_FAILURE() << "no error for " << path;
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    EXPECT_EQ(m.rfind(path, 0), 0u) << m;
    for (const auto& n : needles) EXPECT_NE(m.find(n), std::string::npos) << "'" << n << "' not in: " << m;
  }
}

TEST(Gguf, RoundTrip) {
  const std::string p = small_file();
  auto f = GgufFile::open(p);
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->get_string("general.architecture"), "llama");
  EXPECT_EQ(f->get_int("llama.block_count"), 2);
  EXPECT_FLOAT_EQ(float(f->get_float("llama.rope.freq_base")), 500000.0f);
  EXPECT_TRUE(f->get_bool_or("tokenizer.ggml.add_bos_token", false));
  EXPECT_EQ(f->get_string_array("tokenizer.ggml.tokens")[2], "\xc3\xa9");
  EXPECT_EQ(f->get_float_array("tokenizer.ggml.scores")[1], -1.0);
  EXPECT_EQ(f->get_int_array("tokenizer.ggml.token_type")[2], 6);
  EXPECT_EQ(f->get_int_or("missing", 9), 9);
  EXPECT_THROW(f->get_int("general.architecture"), Error);  // wrong type
  EXPECT_THROW(f->get_string("missing"), Error);
  const auto& t = f->tensor("token_embd.weight");
  EXPECT_EQ(t.type, DType::F32);
  EXPECT_EQ(t.ne, (Shape{16, 4, 1, 1}));
  EXPECT_EQ(t.view.as<float>()[63], 15.75f);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.view.data) % 32, 0u);
  const auto& q = f->tensor("blk.0.attn_q.weight");
  EXPECT_EQ(q.type, DType::Q8_0);
  EXPECT_EQ(q.view.nbytes(), 544u);
  EXPECT_EQ(static_cast<const uint8_t*>(q.view.data)[543], 7);
  EXPECT_THROW(f->tensor("nope"), Error);
}

TEST(Gguf, EveryTruncationIsAnError) {
  const std::string p = small_file();
  const auto bytes = slurp(p);
  const std::string cut = tmp("cut.gguf");
  for (size_t n = 0; n < bytes.size(); n++) {
    spit(cut, std::vector<uint8_t>(bytes.begin(), bytes.begin() + std::ptrdiff_t(n)));
    EXPECT_THROW(GgufFile::open(cut), Error) << "prefix of " << n << " bytes";
  }
}

TEST(Gguf, Corruptions) {
  const std::string p = small_file();
  const auto good = slurp(p);
  const std::string bad = tmp("bad.gguf");
  auto patch = [&](size_t at, const void* v, size_t n) {
    auto b = good;
    std::memcpy(b.data() + at, v, n);
    spit(bad, b);
  };
  auto find = [&](const std::string& s) {
    auto it = std::search(good.begin(), good.end(), s.begin(), s.end());
    return size_t(it - good.begin());
  };
  patch(0, "GGML", 4);
  expect_error(bad, {"not a GGUF file"});
  const uint32_t v9 = 9;
  patch(4, &v9, 4);
  expect_error(bad, {"version 9"});
  const uint64_t many = uint64_t(1) << 60;
  patch(8, &many, 8);
  expect_error(bad, {"tensor count"});
  patch(16, &many, 8);
  expect_error(bad, {"metadata count"});

  // Tensor infos: name, n_dims, ne..., type, offset.
  const size_t q_info = find("blk.0.attn_q.weight") + std::strlen("blk.0.attn_q.weight");
  const uint32_t dims5 = 5;
  patch(q_info, &dims5, 4);
  expect_error(bad, {"blk.0.attn_q.weight", "dimensions"});
  const uint64_t huge = uint64_t(1) << 50;
  patch(q_info + 4, &huge, 8);
  expect_error(bad, {"blk.0.attn_q.weight"});
  const uint64_t odd = 33;
  patch(q_info + 4, &odd, 8);
  expect_error(bad, {"blk.0.attn_q.weight", "block size"});
  const uint32_t type99 = 99;
  patch(q_info + 4 + 16, &type99, 4);
  expect_error(bad, {"blk.0.attn_q.weight", "type id 99"});
  const uint64_t far = 1 << 20;
  patch(q_info + 4 + 16 + 4, &far, 8);
  expect_error(bad, {"blk.0.attn_q.weight", "past the end"});
  const uint64_t misaligned = 257;
  patch(q_info + 4 + 16 + 4, &misaligned, 8);
  expect_error(bad, {"blk.0.attn_q.weight", "aligned"});

  // Metadata: a string whose length runs past the end; an unknown value type; an absurd array.
  const size_t arch = find("general.architecture") + std::strlen("general.architecture");
  patch(arch + 4, &many, 8);
  expect_error(bad, {"general.architecture"});
  const uint32_t type77 = 77;
  patch(arch, &type77, 4);
  expect_error(bad, {"general.architecture", "unknown type 77"});
  const size_t toks = find("tokenizer.ggml.tokens") + std::strlen("tokenizer.ggml.tokens");
  patch(toks + 8, &many, 8);
  expect_error(bad, {"tokenizer.ggml.tokens"});

  // The tensor data cut short: the error names the tensor.
  auto b = good;
  b.resize(b.size() - 40);
  spit(bad, b);
  expect_error(bad, {"blk.0.attn_q.weight", "past the end"});
  expect_error(tmp("does-not-exist.gguf"), {"cannot open"});
}

TEST(Gguf, DuplicateNamesAreErrors) {
  GgufWriter w;
  std::vector<float> a(4, 0.0f);
  w.add_tensor("x", DType::F32, {4, 1, 1, 1}, a.data());
  EXPECT_THROW(w.add_tensor("x", DType::F32, {4, 1, 1, 1}, a.data()), Error);
  EXPECT_THROW(w.set_alignment(3), Error);
}

TEST(Gguf, AlignmentHonoured) {
  GgufWriter w;
  w.set_alignment(64);
  std::vector<float> a(3, 1.0f), b(5, 2.0f);
  w.add_tensor("a", DType::F32, {3, 1, 1, 1}, a.data());
  w.add_tensor("b", DType::F32, {5, 1, 1, 1}, b.data());
  const std::string p = tmp("align.gguf");
  w.write(p);
  auto f = GgufFile::open(p);
  EXPECT_EQ(f->get_int("general.alignment"), 64);
  EXPECT_EQ(f->tensor("b").offset % 64, 0u);
  EXPECT_EQ(f->tensor("b").view.as<float>()[4], 2.0f);
}

}  // namespace

// Tensors whose bytes overlap (issue 15): an offset set to 0 or to a neighbour's, or a type changed to a
// larger one, used to load and compute with another tensor's data. The file is mutated here; the error
// names both tensors.
TEST(Gguf, OverlappingTensorsAreRefused) {
  const std::string p = small_file();
  const auto good = slurp(p);
  const std::string bad = tmp("overlap.gguf");
  auto find = [&](const std::string& s) {
    auto it = std::search(good.begin(), good.end(), s.begin(), s.end());
    return size_t(it - good.begin()) + s.size();
  };
  const size_t q_offset = find("blk.0.attn_q.weight") + 4 + 16 + 4;  // n_dims, ne[2], type, then offset
  uint64_t was = 0;
  std::memcpy(&was, good.data() + q_offset, 8);
  ASSERT_EQ(was, 256u);  // right after token_embd.weight's 256 bytes
  for (uint64_t off : {uint64_t(0), uint64_t(224), uint64_t(32)}) {
    auto b = good;
    std::memcpy(b.data() + q_offset, &off, 8);
    spit(bad, b);
    SCOPED_TRACE(off);
    expect_error(bad, {"token_embd.weight", "blk.0.attn_q.weight", "overlap"});
  }

  // A type changed to a larger one: a (F16, 256 bytes) becomes F32 (512 bytes) and runs into b.
  GgufWriter w;
  std::vector<uint16_t> a(128, 0x3C00);
  std::vector<float> x(128, 1.0f);
  w.add_tensor("a.weight", DType::F16, {32, 4, 1, 1}, a.data());
  w.add_tensor("b.weight", DType::F32, {32, 4, 1, 1}, x.data());
  w.add_tensor("c.weight", DType::F32, {32, 4, 1, 1}, x.data());
  const std::string p3 = tmp("three.gguf");
  w.write(p3);
  EXPECT_NO_THROW(GgufFile::open(p3));
  auto b3 = slurp(p3);
  const std::string an = "a.weight";
  const size_t a_type = size_t(std::search(b3.begin(), b3.end(), an.begin(), an.end()) - b3.begin()) + an.size() + 4 + 16;
  uint32_t t = 0;
  std::memcpy(&t, b3.data() + a_type, 4);
  ASSERT_EQ(t, 1u);  // F16
  t = 0;             // F32
  std::memcpy(b3.data() + a_type, &t, 4);
  spit(bad, b3);
  expect_error(bad, {"a.weight", "b.weight", "overlap"});
}
