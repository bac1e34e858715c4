// gguf.h — GGUF (v2/v3) reader, memory-mapped, validated; and writer.
// Reader: parses the header, metadata and tensor table, checks every tensor against the file size and
// its dtype's block size, and gives tensors as Tensor views into the mapping (no copy). Any problem is a
// sotto::Error whose one-line message names the file and, where it applies, the tensor or key:
// "m.gguf: not a GGUF file (magic 0x46554747 expected)", "m.gguf: tensor blk.0.attn_q.weight ends at
// byte 5000 past the end of the file (4096 bytes)".
// Writer: collects metadata and tensors, writes a v3 file with the given alignment (default 32).
// Keys and tensor names are the ecosystem's (general.architecture, llama.block_count, token_embd.weight,
// blk.N.attn_q.weight, ...) so files made elsewhere load; see models/ for the ones each model reads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/tensor.h"

namespace sotto {

enum class GgufType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7, STRING = 8, ARRAY = 9,
  U64 = 10, I64 = 11, F64 = 12,
};

// A metadata value. Scalars of every integer type are stored as int64/uint64, floats as double;
// arrays keep their element type.
struct GgufValue {
  GgufType type = GgufType::U32;
  GgufType elem_type = GgufType::U32;  // for ARRAY
  std::variant<int64_t, uint64_t, double, bool, std::string, std::vector<int64_t>, std::vector<double>,
               std::vector<std::string>, std::vector<bool>>
      v;
};

struct GgufTensorInfo {
  std::string name;
  DType type;
  Shape ne;
  uint64_t offset;  // from the start of the data section
  Tensor view;      // view into the mapping (no owner); valid while the GgufFile lives
                    // (from_header: data is null until provide_data() gives the tensor its bytes)
  uint64_t file_offset = 0;  // of the tensor's first byte, from the start of the file
};

class GgufFile {
 public:
  // Opens and validates; throws Error.
  static std::unique_ptr<GgufFile> open(const std::string& path);
  // The same from bytes already in memory (no file system, e.g. wasm): takes ownership of `bytes`;
  // `name` stands for the path in messages and path().
  static std::unique_ptr<GgufFile> from_memory(std::vector<uint8_t> bytes, const std::string& name);
  // Header mode, for hosts that stream weights elsewhere (wasm + WebGPU): `header` holds the file's first
  // bytes, at least through the tensor table; file_size is the whole file's (the tensors are checked against
  // it). Tensors wholly inside `header` get views into it; the others have view.data null until
  // provide_data().
  static std::unique_ptr<GgufFile> from_header(std::vector<uint8_t> header, uint64_t file_size, const std::string& name);
  // Header mode: owned storage of tensor i's bytes (its view now points there); the caller fills it.
  uint8_t* provide_data(size_t i);
  ~GgufFile();

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  size_t file_size() const { return size_; }

  bool has(const std::string& key) const { return kv_.count(key) != 0; }
  const GgufValue* find(const std::string& key) const;
  const std::map<std::string, GgufValue>& metadata() const { return kv_; }

  // Typed getters: the "or" forms return `def` when the key is absent; the plain forms throw a
  // message naming the file and key when it is absent. Both throw when the type does not fit.
  int64_t get_int(const std::string& key) const;
  int64_t get_int_or(const std::string& key, int64_t def) const;
  double get_float(const std::string& key) const;  // accepts integer values too
  double get_float_or(const std::string& key, double def) const;
  bool get_bool_or(const std::string& key, bool def) const;
  std::string get_string(const std::string& key) const;
  std::string get_string_or(const std::string& key, const std::string& def) const;
  const std::vector<std::string>& get_string_array(const std::string& key) const;
  std::vector<int64_t> get_int_array(const std::string& key) const;
  std::vector<double> get_float_array(const std::string& key) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* find_tensor(const std::string& name) const;
  // Throws "<file>: missing tensor <name>" when absent.
  const GgufTensorInfo& tensor(const std::string& name) const;

 private:
  GgufFile() = default;
  std::string path_;
  uint32_t version_ = 0;
  size_t size_ = 0;
  void* map_ = nullptr;
  std::vector<uint8_t> owned_;  // the bytes of from_memory (map_ stays null)
  void parse(const uint8_t* base, size_t avail);  // header, metadata and tensor table from avail bytes
  std::vector<std::vector<uint8_t>> provided_;    // provide_data() storage
  std::map<std::string, GgufValue> kv_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, size_t> by_name_;
};

class GgufWriter {
 public:
  void set_u32(const std::string& key, uint32_t v);
  void set_i32(const std::string& key, int32_t v);
  void set_u64(const std::string& key, uint64_t v);
  void set_f32(const std::string& key, float v);
  void set_bool(const std::string& key, bool v);
  void set_string(const std::string& key, const std::string& v);
  void set_string_array(const std::string& key, const std::vector<std::string>& v);
  void set_f32_array(const std::string& key, const std::vector<float>& v);
  void set_i32_array(const std::string& key, const std::vector<int32_t>& v);
  void set_alignment(uint32_t a);  // also written as general.alignment when not 32
  // Copies `data` (dtype_row_bytes(type, ne[0]) * rows bytes).
  void add_tensor(const std::string& name, DType type, Shape ne, const void* data);
  void write(const std::string& path) const;  // throws Error on I/O failure

 private:
  struct Kv { std::string key; GgufType type; GgufType elem; std::vector<uint8_t> payload; uint64_t count; };
  struct T { std::string name; DType type; Shape ne; std::vector<uint8_t> data; };
  void put(const std::string& key, GgufType type, std::vector<uint8_t> payload, GgufType elem = GgufType::U8,
           uint64_t count = 0);
  std::vector<Kv> kv_;
  std::vector<T> tensors_;
  uint32_t alignment_ = 32;
};

}  // namespace sotto
