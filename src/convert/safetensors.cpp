// safetensors.cpp — see safetensors.h.
#include "convert/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>

#include "core/error.h"
#include "core/file.h"
#include "core/json.h"

namespace sotto::convert {

namespace {

// The format's own bound on the header (safetensors refuses larger ones too).
constexpr uint64_t kMaxHeaderBytes = uint64_t(100) << 20;

}  // namespace

size_t st_dtype_size(const std::string& d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  if (d == "I8" || d == "U8" || d == "BOOL") return 1;
  return 0;
}

int64_t StTensor::n_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::unique_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  std::unique_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->path_ = path;
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) fail(path, ": cannot open: ", std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(path, ": not a regular file");
  }
  const size_t size = size_t(st.st_size);
  if (size < 8) {
    ::close(fd);
    fail(path, ": ", std::to_string(size), " bytes is too short for a safetensors header (8-byte length first)");
  }
  void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) fail(path, ": cannot map: ", std::strerror(errno));
  f->map_ = map;  // unmapped by the destructor, also when parsing throws below
  f->map_size_ = size;
  f->parse(static_cast<const uint8_t*>(map), size);
  return f;
}

std::unique_ptr<SafetensorsFile> SafetensorsFile::from_memory(const uint8_t* bytes, size_t size,
                                                              const std::string& name) {
  std::unique_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->path_ = name;
  f->parse(bytes, size);
  return f;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) munmap(map_, map_size_);
}

const StTensor* SafetensorsFile::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &tensors_[it->second];
}

void SafetensorsFile::parse(const uint8_t* base, size_t size) {
  const std::string& p = path_;
  if (size < 8) fail(p, ": ", std::to_string(size), " bytes is too short for a safetensors header (8-byte length first)");
  uint64_t n = 0;
  for (int i = 7; i >= 0; i--) n = (n << 8) | base[i];
  if (n > size - 8) {
    fail(p, ": header length ", std::to_string(n), " runs past the end of the file (", std::to_string(size),
         " bytes): not a safetensors file, or truncated");
  }
  if (n > kMaxHeaderBytes) fail(p, ": header length ", std::to_string(n), " is over the format's 100 MiB limit");
  json::Value doc;
  try {
    doc = json::parse(std::string_view(reinterpret_cast<const char*>(base + 8), size_t(n)), p + " header");
  } catch (const Error& e) {
    fail(e.what());
  }
  if (!doc.is_object()) fail(p, ": the header is ", json::kind_name(doc.kind()), ", not a JSON object");
  const uint8_t* data = base + 8 + n;
  const uint64_t data_size = size - 8 - n;
  for (const auto& [name, info] : doc.obj()) {
    if (name == "__metadata__") continue;
    const std::string where = p + ": tensor " + name;
    if (!info.is_object()) fail(where, ": entry is ", json::kind_name(info.kind()), ", not an object");
    const json::Value* dt = info.find("dtype");
    const json::Value* sh = info.find("shape");
    const json::Value* off = info.find("data_offsets");
    if (!dt || !dt->is_string()) fail(where, ": no \"dtype\" string");
    if (!sh || !sh->is_array()) fail(where, ": no \"shape\" array");
    if (!off || !off->is_array() || off->arr().size() != 2) fail(where, ": no \"data_offsets\" [begin, end]");
    StTensor t;
    t.name = name;
    t.dtype = dt->str();
    const size_t es = st_dtype_size(t.dtype);
    if (es == 0) fail(where, ": unknown dtype \"", t.dtype, "\"");
    // Elements counted in 128 bits' worth of care: every dim non-negative and the product bounded by the file.
    uint64_t count = 1;
    for (const json::Value& d : sh->arr()) {
      if (!d.is_integer_number() || d.integer() < 0) fail(where, ": shape has ", json::dump(d), ", not a size");
      const uint64_t v = uint64_t(d.integer());
      if (v != 0 && count > std::numeric_limits<uint64_t>::max() / v) fail(where, ": shape overflows");
      count *= v;
      t.shape.push_back(int64_t(v));
    }
    if (count != 0 && count > std::numeric_limits<uint64_t>::max() / es) fail(where, ": shape overflows");
    for (const json::Value& o : off->arr()) {
      if (!o.is_integer_number() || o.integer() < 0) fail(where, ": data_offsets has ", json::dump(o), ", not an offset");
    }
    const uint64_t b = uint64_t(off->arr()[0].integer()), e = uint64_t(off->arr()[1].integer());
    if (b > e) fail(where, ": data_offsets [", std::to_string(b), ", ", std::to_string(e), ") end before they begin");
    if (e > data_size) {
      fail(where, ": data [", std::to_string(b), ", ", std::to_string(e), ") runs past the data section (",
           std::to_string(data_size), " bytes)");
    }
    if (e - b != count * es) {
      fail(where, ": ", t.dtype, " shape ", json::dump(*sh), " needs ", std::to_string(count * es),
           " bytes, data_offsets give ", std::to_string(e - b));
    }
    t.data = data + b;
    t.n_bytes = e - b;
    by_name_[name] = tensors_.size();
    tensors_.push_back(std::move(t));
  }
}

std::vector<std::unique_ptr<SafetensorsFile>> open_checkpoint_files(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> names;
  const fs::path index = fs::path(dir) / "model.safetensors.index.json";
  std::error_code ec;
  if (fs::exists(index, ec)) {
    const json::Value doc = json::parse(read_file(index.string()), index.string());
    const json::Value* wm = doc.is_object() ? doc.find("weight_map") : nullptr;
    if (!wm || !wm->is_object()) fail(index.string(), ": no weight_map object");
    for (const auto& [k, f] : wm->obj()) {
      if (!f.is_string() || f.str().empty() || f.str().find('/') != std::string::npos || f.str()[0] == '.') {
        fail(index.string(), ": tensor ", k, " maps to ", json::dump(f), ", not a file name in the folder");
      }
      names.push_back(f.str());
    }
  } else {
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const std::string n = e.path().filename().string();
      if (n.size() > 12 && n.compare(n.size() - 12, 12, ".safetensors") == 0) names.push_back(n);
    }
    if (ec) fail(dir, ": cannot list: ", ec.message());
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (names.empty()) fail(dir, ": no *.safetensors");
  std::vector<std::unique_ptr<SafetensorsFile>> files;
  for (const std::string& n : names) files.push_back(SafetensorsFile::open((fs::path(dir) / n).string()));
  return files;
}


}  // namespace sotto::convert
