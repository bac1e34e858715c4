// safetensors.h — a reader of the safetensors format (Hugging Face checkpoints), memory-mapped, validated.
// Layout: an 8-byte little-endian header length N, N bytes of JSON {name: {"dtype", "shape", "data_offsets":
// [begin, end]}, optional "__metadata__"}, then the tensor bytes (offsets from the end of the header).
// Does: parse the header with core/json, check every tensor (dtype known, offsets inside the file, byte count =
// elements x dtype size) and give views into the mapping (no copy); one-line errors naming the file and tensor:
// "model.safetensors: tensor lm_head.weight data [0, 4096) runs past the data section (1024 bytes)".
// Does not: convert values (see hf-convert.h) or write files.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sotto::convert {

struct StTensor {
  std::string name;
  std::string dtype;           // "F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL"
  std::vector<int64_t> shape;  // outermost first, as written (a [rows, cols] matrix)
  const uint8_t* data = nullptr;
  uint64_t n_bytes = 0;
  int64_t n_elements() const;
};

class SafetensorsFile {
 public:
  // Maps and validates `path`; throws sotto::Error.
  static std::unique_ptr<SafetensorsFile> open(const std::string& path);
  // The same over bytes the caller keeps alive (fuzzing, tests); `name` stands for the path in messages.
  static std::unique_ptr<SafetensorsFile> from_memory(const uint8_t* bytes, size_t size, const std::string& name);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<StTensor>& tensors() const { return tensors_; }  // in header order
  const StTensor* find(const std::string& name) const;

 private:
  SafetensorsFile() = default;
  void parse(const uint8_t* base, size_t size);
  std::string path_;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  std::vector<StTensor> tensors_;
  std::map<std::string, size_t> by_name_;
};

// Bytes per element of a safetensors dtype name; 0 when the name is not one of those above.
size_t st_dtype_size(const std::string& dtype);

// The safetensors files of a checkpoint folder: those model.safetensors.index.json's weight_map names (each a plain
// file name in the folder), else every *.safetensors there; sorted, each once, opened. One line on failure.
std::vector<std::unique_ptr<SafetensorsFile>> open_checkpoint_files(const std::string& dir);

}  // namespace sotto::convert
