// gguf-stream.cpp — see gguf-stream.h.
#include "convert/gguf-stream.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "core/quant.h"
#include "core/thread-pool.h"

namespace sotto::convert::detail {

namespace {

constexpr uint64_t kAlign = 32;
uint64_t pad(uint64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

// Writes the bytes of one planned tensor to `out`, a block of rows at a time.
void write_tensor(const Planned& t, std::FILE* out, ThreadPool& pool, const std::string& out_path) {
  auto put = [&](const void* p, size_t n) {
    if (n && std::fwrite(p, 1, n, out) != n) fail(out_path, ": write failed: ", std::strerror(errno));
  };
  if (!t.src) {  // computed (rope_freqs): F32
    put(t.values.data(), t.values.size() * 4);
    return;
  }
  const int64_t cols = t.ne[0];
  int64_t rows = 1;  // every outer dimension (a 4-D conv kernel too)
  for (size_t i = 1; i < t.ne.size(); i++) rows *= t.ne[i];
  const size_t row_bytes = dtype_row_bytes(t.type, cols);
  const int64_t block = std::max<int64_t>(1, (int64_t(16) << 20) / std::max<int64_t>(1, cols * 4));
  const int64_t hd = t.permute_heads ? rows / t.permute_heads : 0;
  std::vector<float> x;
  std::vector<uint8_t> y;
  for (int64_t r0 = 0; r0 < rows; r0 += block) {
    const int64_t n = std::min(block, rows - r0);
    x.resize(size_t(n * cols));
    y.resize(size_t(n) * row_bytes);
    pool.parallel_for(n, [&](int64_t b, int64_t e, int) {
      std::vector<float> tmp(t.conv_k ? size_t(cols) : 0);
      for (int64_t i = b; i < e; i++) {
        int64_t src = r0 + i;
        if (hd) {  // out row h*hd + 2j + s <- in row h*hd + s*hd/2 + j
          const int64_t h = src / hd, w = src % hd;
          src = h * hd + (w % 2) * (hd / 2) + w / 2;
        }
        float* row = x.data() + i * cols;
        if (rows == 1 && t.ne.size() == 1) {
          read_values(*t.src, t.row0, cols, row);  // a vector: row0 counts elements
        } else if (t.conv_k) {  // [C_in, K] -> [K, C_in]
          const int64_t k = t.conv_k, ci = cols / k;
          read_values(*t.src, (t.row0 + src) * cols, cols, tmp.data());
          for (int64_t a = 0; a < ci; a++) {
            for (int64_t c = 0; c < k; c++) row[c * ci + a] = tmp[size_t(a * k + c)];
          }
        } else {
          read_values(*t.src, (t.row0 + src) * cols, cols, row);
        }
        if (t.plus_one) {
          for (int64_t c = 0; c < cols; c++) row[c] = row[c] + 1.0f;
        }
        quantize_row(t.type, row, y.data() + size_t(i) * row_bytes, cols);
      }
    });
    put(y.data(), y.size());
  }
}

}  // namespace

uint64_t Planned::bytes() const {
  uint64_t rows = 1;
  for (size_t i = 1; i < ne.size(); i++) rows *= uint64_t(ne[i]);
  return uint64_t(dtype_row_bytes(type, ne[0])) * rows;
}

void read_values(const StTensor& t, int64_t at, int64_t n, float* out) {
  const size_t es = st_dtype_size(t.dtype);
  const uint8_t* p = t.data + size_t(at) * es;
  if (t.dtype == "F32") {
    std::memcpy(out, p, size_t(n) * 4);
  } else if (t.dtype == "F16" || t.dtype == "BF16") {
    const bool bf = t.dtype == "BF16";
    for (int64_t i = 0; i < n; i++) {
      uint16_t h;
      std::memcpy(&h, p + 2 * i, 2);
      out[i] = bf ? bf16_to_f32(h) : fp16_to_f32(h);
    }
  } else {  // F64 (check_float)
    for (int64_t i = 0; i < n; i++) {
      double d;
      std::memcpy(&d, p + 8 * i, 8);
      out[i] = float(d);
    }
  }
}

void check_float(const StTensor& t, const std::string& dir) {
  if (t.dtype != "F32" && t.dtype != "F16" && t.dtype != "BF16" && t.dtype != "F64") {
    fail(dir, ": tensor ", t.name, " has dtype ", t.dtype, " (F32, F16, BF16 or F64 expected)");
  }
}

uint64_t write_gguf(const Kv& g, const std::vector<Planned>& plan, const std::string& out_path, int n_threads) {
  namespace fs = std::filesystem;
  Bytes h;
  h.u32(0x46554747);
  h.u32(3);
  h.u64(plan.size());
  h.u64(g.size());
  h.b += g.bytes();
  uint64_t off = 0;
  for (const Planned& t : plan) {
    h.str(t.name);
    h.u32(uint32_t(t.ne.size()));
    for (int64_t n : t.ne) h.u64(uint64_t(n));
    h.u32(uint32_t(t.type));
    h.u64(off);
    off += pad(t.bytes());
  }
  h.b.append(size_t(pad(h.b.size()) - h.b.size()), '\0');

  const std::string tmp = out_path + ".tmp";
  std::FILE* out = std::fopen(tmp.c_str(), "wb");
  if (!out) fail(tmp, ": cannot create: ", std::strerror(errno));
  std::error_code ec;
  try {
    ThreadPool pool(n_threads);
    if (std::fwrite(h.b.data(), 1, h.b.size(), out) != h.b.size()) fail(tmp, ": write failed: ", std::strerror(errno));
    static const char zeros[kAlign] = {};
    for (const Planned& t : plan) {
      write_tensor(t, out, pool, tmp);
      const size_t z = size_t(pad(t.bytes()) - t.bytes());
      if (z && std::fwrite(zeros, 1, z, out) != z) fail(tmp, ": write failed: ", std::strerror(errno));
    }
    if (std::fclose(out) != 0) {
      out = nullptr;
      fail(tmp, ": write failed: ", std::strerror(errno));
    }
    out = nullptr;
    fs::rename(tmp, out_path, ec);
    if (ec) fail(out_path, ": cannot rename ", tmp, " to it: ", ec.message());
  } catch (...) {
    if (out) std::fclose(out);
    fs::remove(tmp, ec);
    throw;
  }
  return h.b.size() + off;
}

uint32_t as_u32(const json::Value& v, const std::string& where, const char* key) {
  if (!v.is_number() || v.number() != std::floor(v.number()) || v.number() < 0 || v.number() > 4294967295.0) {
    fail(where, ": ", key, " is ", json::dump(v), ", not a count");
  }
  return uint32_t(v.number());
}

double as_num(const json::Value& v, const std::string& where, const char* key) {
  if (!v.is_number()) fail(where, ": ", key, " is ", json::dump(v), ", not a number");
  return v.number();
}

bool truthy(const json::Value* v) {
  if (!v) return false;
  switch (v->kind()) {
    case json::Kind::Null: return false;
    case json::Kind::Bool: return v->boolean();
    case json::Kind::Number: return v->number() != 0;
    case json::Kind::String: return !v->str().empty();
    case json::Kind::Array: return !v->arr().empty();
    case json::Kind::Object: return !v->obj().empty();
  }
  return false;
}

size_t code_points(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace sotto::convert::detail
