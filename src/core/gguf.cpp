// gguf.cpp — see gguf.h. The reader walks the file with a bounds-checked cursor, so every read past the
// end becomes "<file>: truncated ..." instead of a crash; counts and lengths are checked against the bytes
// that remain before anything is allocated.
#include "core/gguf.h"

#include <algorithm>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <cstdio>
#include <limits>

#include "core/error.h"

namespace sotto {

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" little-endian
constexpr int64_t kMaxDim = int64_t(1) << 40;

const char* type_name(GgufType t) {
  switch (t) {
    case GgufType::U8: return "u8";
    case GgufType::I8: return "i8";
    case GgufType::U16: return "u16";
    case GgufType::I16: return "i16";
    case GgufType::U32: return "u32";
    case GgufType::I32: return "i32";
    case GgufType::F32: return "f32";
    case GgufType::BOOL: return "bool";
    case GgufType::STRING: return "string";
    case GgufType::ARRAY: return "array";
    case GgufType::U64: return "u64";
    case GgufType::I64: return "i64";
    case GgufType::F64: return "f64";
  }
  return "?";
}

size_t scalar_size(GgufType t) {
  switch (t) {
    case GgufType::U8: case GgufType::I8: case GgufType::BOOL: return 1;
    case GgufType::U16: case GgufType::I16: return 2;
    case GgufType::U32: case GgufType::I32: case GgufType::F32: return 4;
    case GgufType::U64: case GgufType::I64: case GgufType::F64: return 8;
    default: return 0;
  }
}

class Cursor {
 public:
  Cursor(const uint8_t* p, size_t n, const std::string& path) : p_(p), n_(n), path_(path) {}
  size_t pos() const { return pos_; }
  size_t left() const { return n_ - pos_; }
  void need(size_t k, const std::string& what) {
    if (k > left()) {
      fail(path_, ": truncated file: ", what, " at byte ", std::to_string(pos_), " needs ", std::to_string(k),
           " bytes, ", std::to_string(left()), " left");
    }
  }
  template <typename T>
  T get(const std::string& what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string str(const std::string& what) {
    const uint64_t len = get<uint64_t>(what);
    if (len > left()) {
      fail(path_, ": ", what, " has length ", std::to_string(len), " past the end of the file");
    }
    std::string s(reinterpret_cast<const char*>(p_ + pos_), size_t(len));
    pos_ += size_t(len);
    return s;
  }
  void skip(size_t k, const std::string& what) {
    need(k, what);
    pos_ += k;
  }

 private:
  const uint8_t* p_;
  size_t n_;
  size_t pos_ = 0;
  const std::string& path_;
};

GgufValue read_scalar(Cursor& c, GgufType t, const std::string& what) {
  GgufValue v;
  v.type = t;
  switch (t) {
    case GgufType::U8: v.v = uint64_t(c.get<uint8_t>(what)); break;
    case GgufType::I8: v.v = int64_t(c.get<int8_t>(what)); break;
    case GgufType::U16: v.v = uint64_t(c.get<uint16_t>(what)); break;
    case GgufType::I16: v.v = int64_t(c.get<int16_t>(what)); break;
    case GgufType::U32: v.v = uint64_t(c.get<uint32_t>(what)); break;
    case GgufType::I32: v.v = int64_t(c.get<int32_t>(what)); break;
    case GgufType::U64: v.v = c.get<uint64_t>(what); break;
    case GgufType::I64: v.v = c.get<int64_t>(what); break;
    case GgufType::F32: v.v = double(c.get<float>(what)); break;
    case GgufType::F64: v.v = c.get<double>(what); break;
    case GgufType::BOOL: v.v = c.get<uint8_t>(what) != 0; break;
    case GgufType::STRING: v.v = c.str(what); break;
    default: break;
  }
  return v;
}

bool is_int_type(GgufType t) {
  switch (t) {
    case GgufType::U8: case GgufType::I8: case GgufType::U16: case GgufType::I16: case GgufType::U32:
    case GgufType::I32: case GgufType::U64: case GgufType::I64: return true;
    default: return false;
  }
}

bool valid_type(uint32_t t) { return t <= uint32_t(GgufType::F64); }

}  // namespace

std::unique_ptr<GgufFile> GgufFile::open(const std::string& path) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->path_ = path;
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) fail(path, ": cannot open: ", std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(path, ": not a regular file");
  }
  f->size_ = size_t(st.st_size);
  if (f->size_ < 24) {
    ::close(fd);
    fail(path, ": truncated file: ", std::to_string(f->size_), " bytes is too small for a GGUF header");
  }
  void* map = mmap(nullptr, f->size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) fail(path, ": cannot map: ", std::strerror(errno));
  f->map_ = map;  // unmapped by the destructor, also when parsing throws below

  f->parse(static_cast<const uint8_t*>(map), f->size_);
  return f;
}

std::unique_ptr<GgufFile> GgufFile::from_memory(std::vector<uint8_t> bytes, const std::string& name) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->path_ = name;
  f->size_ = bytes.size();
  if (f->size_ < 24) {
    fail(name, ": truncated file: ", std::to_string(f->size_), " bytes is too small for a GGUF header");
  }
  f->owned_ = std::move(bytes);
  f->parse(f->owned_.data(), f->size_);
  return f;
}

std::unique_ptr<GgufFile> GgufFile::from_header(std::vector<uint8_t> header, uint64_t file_size, const std::string& name) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->path_ = name;
  if (file_size > uint64_t(SIZE_MAX)) fail(name, ": ", std::to_string(file_size), " bytes is too large for this build");
  if (header.size() > file_size) fail(name, ": header of ", std::to_string(header.size()), " bytes is larger than the file");
  f->size_ = size_t(file_size);
  if (header.size() < 24) fail(name, ": truncated file: ", std::to_string(header.size()), " bytes is too small for a GGUF header");
  f->owned_ = std::move(header);
  f->parse(f->owned_.data(), f->owned_.size());
  return f;
}

uint8_t* GgufFile::provide_data(size_t i) {
  if (i >= tensors_.size()) fail(path_, ": provide_data: no tensor #", std::to_string(i));
  Tensor& v = tensors_[i].view;
  provided_.emplace_back(v.nbytes());
  v.data = provided_.back().data();
  return provided_.back().data();
}

void GgufFile::parse(const uint8_t* base, size_t avail) {
  GgufFile* f = this;
  const std::string& path = path_;
  Cursor c(base, avail, f->path_);
  const uint32_t magic = c.get<uint32_t>("magic");
  if (magic != kMagic) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", magic);
    fail(path, ": not a GGUF file (magic ", buf, ", expected 0x46554747 \"GGUF\")");
  }
  f->version_ = c.get<uint32_t>("version");
  if (f->version_ != 2 && f->version_ != 3) {
    fail(path, ": unsupported GGUF version ", std::to_string(f->version_), " (supported: 2, 3)");
  }
  const uint64_t n_tensors = c.get<uint64_t>("tensor count");
  const uint64_t n_kv = c.get<uint64_t>("metadata count");
  // Every key needs at least 12 bytes and every tensor info at least 24: reject absurd counts up front.
  if (n_kv > c.left() / 12) fail(path, ": metadata count ", std::to_string(n_kv), " is larger than the file allows");
  if (n_tensors > c.left() / 24) {
    fail(path, ": tensor count ", std::to_string(n_tensors), " is larger than the file allows");
  }

  for (uint64_t i = 0; i < n_kv; i++) {
    const std::string key = c.str("metadata key #" + std::to_string(i));
    const std::string what = "metadata " + key;
    const uint32_t raw_type = c.get<uint32_t>(what + " type");
    if (!valid_type(raw_type)) fail(path, ": metadata ", key, " has unknown type ", std::to_string(raw_type));
    const GgufType t = GgufType(raw_type);
    GgufValue v;
    if (t != GgufType::ARRAY) {
      v = read_scalar(c, t, what);
    } else {
      v.type = GgufType::ARRAY;
      const uint32_t raw_elem = c.get<uint32_t>(what + " element type");
      if (!valid_type(raw_elem) || raw_elem == uint32_t(GgufType::ARRAY)) {
        fail(path, ": metadata ", key, " has unsupported array element type ", std::to_string(raw_elem));
      }
      const GgufType et = GgufType(raw_elem);
      v.elem_type = et;
      const uint64_t n = c.get<uint64_t>(what + " length");
      const size_t min_elem = et == GgufType::STRING ? 8 : scalar_size(et);
      if (n > c.left() / min_elem) {
        fail(path, ": metadata ", key, " array of ", std::to_string(n), " elements runs past the end of the file");
      }
      if (et == GgufType::STRING) {
        std::vector<std::string> a;
        a.reserve(size_t(n));
        for (uint64_t j = 0; j < n; j++) a.push_back(c.str(what + "[" + std::to_string(j) + "]"));
        v.v = std::move(a);
      } else if (et == GgufType::BOOL) {
        std::vector<bool> a(static_cast<size_t>(n));
        for (uint64_t j = 0; j < n; j++) a[size_t(j)] = c.get<uint8_t>(what) != 0;
        v.v = std::move(a);
      } else if (et == GgufType::F32 || et == GgufType::F64) {
        std::vector<double> a(static_cast<size_t>(n));
        for (uint64_t j = 0; j < n; j++) {
          a[size_t(j)] = et == GgufType::F32 ? double(c.get<float>(what)) : c.get<double>(what);
        }
        v.v = std::move(a);
      } else {
        std::vector<int64_t> a(static_cast<size_t>(n));
        for (uint64_t j = 0; j < n; j++) {
          const GgufValue e = read_scalar(c, et, what);
          a[size_t(j)] = std::holds_alternative<int64_t>(e.v) ? std::get<int64_t>(e.v)
                                                               : int64_t(std::get<uint64_t>(e.v));
        }
        v.v = std::move(a);
      }
    }
    if (!f->kv_.emplace(key, std::move(v)).second) fail(path, ": duplicate metadata key ", key);
  }

  uint64_t alignment = 32;
  if (const GgufValue* a = f->find("general.alignment")) {
    if (!is_int_type(a->type)) fail(path, ": general.alignment must be an integer");
    alignment = std::holds_alternative<uint64_t>(a->v) ? std::get<uint64_t>(a->v) : uint64_t(std::get<int64_t>(a->v));
    if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > (1u << 20)) {
      fail(path, ": general.alignment ", std::to_string(alignment), " is not a power of two");
    }
  }

  f->tensors_.reserve(size_t(n_tensors));
  for (uint64_t i = 0; i < n_tensors; i++) {
    GgufTensorInfo t;
    t.name = c.str("tensor name #" + std::to_string(i));
    const std::string what = "tensor " + t.name;
    const uint32_t n_dims = c.get<uint32_t>(what + " dimension count");
    if (n_dims == 0 || n_dims > 4) {
      fail(path, ": tensor ", t.name, " has ", std::to_string(n_dims), " dimensions (1 to 4 supported)");
    }
    t.ne = {1, 1, 1, 1};
    int64_t count = 1;
    for (uint32_t d = 0; d < n_dims; d++) {
      const uint64_t ne = c.get<uint64_t>(what + " shape");
      if (ne == 0 || ne > uint64_t(kMaxDim)) {
        fail(path, ": tensor ", t.name, " has an invalid dimension ", std::to_string(ne));
      }
      t.ne[d] = int64_t(ne);
      if (count > kMaxDim / int64_t(ne)) fail(path, ": tensor ", t.name, " has too many elements");
      count *= int64_t(ne);
    }
    const uint32_t raw = c.get<uint32_t>(what + " type");
    if (!dtype_known(raw)) fail(path, ": tensor ", t.name, " has unknown or unsupported type id ", std::to_string(raw));
    t.type = DType(raw);
    if (t.ne[0] % dtype_block_size(t.type) != 0) {
      fail(path, ": tensor ", t.name, " row of ", std::to_string(t.ne[0]), " is not a multiple of the ",
           dtype_name(t.type), " block size ", std::to_string(dtype_block_size(t.type)));
    }
    t.offset = c.get<uint64_t>(what + " offset");
    if (t.offset % alignment != 0) {
      fail(path, ": tensor ", t.name, " offset ", std::to_string(t.offset), " is not aligned to ",
           std::to_string(alignment));
    }
    if (!f->by_name_.emplace(t.name, f->tensors_.size()).second) fail(path, ": duplicate tensor name ", t.name);
    f->tensors_.push_back(std::move(t));
  }

  const uint64_t data_start = (c.pos() + alignment - 1) / alignment * alignment;
  for (GgufTensorInfo& t : f->tensors_) {
    t.view.type = t.type;
    t.view.ne = t.ne;
    const uint64_t bytes = t.view.nbytes();
    const uint64_t begin = data_start + t.offset;
    if (t.offset > f->size_ || begin > f->size_ || bytes > f->size_ - begin) {
      fail(path, ": tensor ", t.name, " ends at byte ", std::to_string(data_start + t.offset + bytes),
           " past the end of the file (", std::to_string(f->size_), " bytes)");
    }
    t.file_offset = begin;
    t.view.data = begin + bytes <= avail ? const_cast<uint8_t*>(base) + begin : nullptr;
  }
  // No two tensors may share bytes: an offset copied from a neighbour (or set to 0), or a type changed to a
  // larger one, would otherwise load and compute silently with another tensor's data.
  std::vector<const GgufTensorInfo*> by_offset;
  by_offset.reserve(f->tensors_.size());
  for (const GgufTensorInfo& t : f->tensors_) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(), [](const GgufTensorInfo* a, const GgufTensorInfo* b) {
    return a->file_offset < b->file_offset;
  });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const GgufTensorInfo& a = *by_offset[i - 1];
    const GgufTensorInfo& b = *by_offset[i];
    const uint64_t a_end = a.file_offset + a.view.nbytes();
    if (a_end > b.file_offset) {
      fail(path, ": tensors ", a.name, " (bytes ", std::to_string(a.file_offset), "..", std::to_string(a_end), ") and ",
           b.name, " (from byte ", std::to_string(b.file_offset), ") overlap");
    }
  }
}

GgufFile::~GgufFile() {
  if (map_) munmap(map_, size_);
}

const GgufValue* GgufFile::find(const std::string& key) const {
  auto it = kv_.find(key);
  return it == kv_.end() ? nullptr : &it->second;
}

namespace {
const GgufValue& must(const GgufFile& f, const std::string& key) {
  const GgufValue* v = f.find(key);
  if (!v) fail(f.path(), ": missing metadata key ", key);
  return *v;
}
[[noreturn]] void wrong_type(const GgufFile& f, const std::string& key, const GgufValue& v, const char* want) {
  fail(f.path(), ": metadata ", key, " is ", type_name(v.type), ", expected ", want);
}
}  // namespace

int64_t GgufFile::get_int(const std::string& key) const {
  const GgufValue& v = must(*this, key);
  if (std::holds_alternative<int64_t>(v.v) && v.type != GgufType::ARRAY) return std::get<int64_t>(v.v);
  if (std::holds_alternative<uint64_t>(v.v)) {
    const uint64_t u = std::get<uint64_t>(v.v);
    if (u > uint64_t(std::numeric_limits<int64_t>::max())) fail(path_, ": metadata ", key, " is too large");
    return int64_t(u);
  }
  wrong_type(*this, key, v, "an integer");
}

int64_t GgufFile::get_int_or(const std::string& key, int64_t def) const { return has(key) ? get_int(key) : def; }

double GgufFile::get_float(const std::string& key) const {
  const GgufValue& v = must(*this, key);
  if (std::holds_alternative<double>(v.v)) return std::get<double>(v.v);
  if (is_int_type(v.type)) return double(get_int(key));
  wrong_type(*this, key, v, "a number");
}

double GgufFile::get_float_or(const std::string& key, double def) const { return has(key) ? get_float(key) : def; }

bool GgufFile::get_bool_or(const std::string& key, bool def) const {
  const GgufValue* v = find(key);
  if (!v) return def;
  if (v->type != GgufType::BOOL) wrong_type(*this, key, *v, "a bool");
  return std::get<bool>(v->v);
}

std::string GgufFile::get_string(const std::string& key) const {
  const GgufValue& v = must(*this, key);
  if (v.type != GgufType::STRING) wrong_type(*this, key, v, "a string");
  return std::get<std::string>(v.v);
}

std::string GgufFile::get_string_or(const std::string& key, const std::string& def) const {
  return has(key) ? get_string(key) : def;
}

const std::vector<std::string>& GgufFile::get_string_array(const std::string& key) const {
  const GgufValue& v = must(*this, key);
  if (v.type != GgufType::ARRAY || v.elem_type != GgufType::STRING) wrong_type(*this, key, v, "an array of strings");
  return std::get<std::vector<std::string>>(v.v);
}

std::vector<int64_t> GgufFile::get_int_array(const std::string& key) const {
  const GgufValue& v = must(*this, key);
  if (v.type != GgufType::ARRAY || !is_int_type(v.elem_type)) wrong_type(*this, key, v, "an array of integers");
  return std::get<std::vector<int64_t>>(v.v);
}

std::vector<double> GgufFile::get_float_array(const std::string& key) const {
  const GgufValue& v = must(*this, key);
  if (v.type == GgufType::ARRAY && (v.elem_type == GgufType::F32 || v.elem_type == GgufType::F64)) {
    return std::get<std::vector<double>>(v.v);
  }
  if (v.type == GgufType::ARRAY && is_int_type(v.elem_type)) {
    const auto& a = std::get<std::vector<int64_t>>(v.v);
    return std::vector<double>(a.begin(), a.end());
  }
  wrong_type(*this, key, v, "an array of numbers");
}

const GgufTensorInfo* GgufFile::find_tensor(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &tensors_[it->second];
}

const GgufTensorInfo& GgufFile::tensor(const std::string& name) const {
  const GgufTensorInfo* t = find_tensor(name);
  if (!t) fail(path_, ": missing tensor ", name);
  return *t;
}

// ---------------------------------------------------------------- writer

namespace {
template <typename T>
void append(std::vector<uint8_t>& out, const T& v) {
  const auto* p = reinterpret_cast<const uint8_t*>(&v);
  out.insert(out.end(), p, p + sizeof(T));
}
void append_str(std::vector<uint8_t>& out, const std::string& s) {
  append(out, uint64_t(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}
}  // namespace

void GgufWriter::put(const std::string& key, GgufType type, std::vector<uint8_t> payload, GgufType elem,
                     uint64_t count) {
  for (Kv& kv : kv_) {
    if (kv.key == key) {
      kv = Kv{key, type, elem, std::move(payload), count};
      return;
    }
  }
  kv_.push_back(Kv{key, type, elem, std::move(payload), count});
}

void GgufWriter::set_u32(const std::string& key, uint32_t v) {
  std::vector<uint8_t> p;
  append(p, v);
  put(key, GgufType::U32, std::move(p));
}
void GgufWriter::set_i32(const std::string& key, int32_t v) {
  std::vector<uint8_t> p;
  append(p, v);
  put(key, GgufType::I32, std::move(p));
}
void GgufWriter::set_u64(const std::string& key, uint64_t v) {
  std::vector<uint8_t> p;
  append(p, v);
  put(key, GgufType::U64, std::move(p));
}
void GgufWriter::set_f32(const std::string& key, float v) {
  std::vector<uint8_t> p;
  append(p, v);
  put(key, GgufType::F32, std::move(p));
}
void GgufWriter::set_bool(const std::string& key, bool v) {
  put(key, GgufType::BOOL, std::vector<uint8_t>{uint8_t(v ? 1 : 0)});
}
void GgufWriter::set_string(const std::string& key, const std::string& v) {
  std::vector<uint8_t> p;
  append_str(p, v);
  put(key, GgufType::STRING, std::move(p));
}
void GgufWriter::set_string_array(const std::string& key, const std::vector<std::string>& v) {
  std::vector<uint8_t> p;
  for (const auto& s : v) append_str(p, s);
  put(key, GgufType::ARRAY, std::move(p), GgufType::STRING, v.size());
}
void GgufWriter::set_f32_array(const std::string& key, const std::vector<float>& v) {
  std::vector<uint8_t> p;
  for (float x : v) append(p, x);
  put(key, GgufType::ARRAY, std::move(p), GgufType::F32, v.size());
}
void GgufWriter::set_i32_array(const std::string& key, const std::vector<int32_t>& v) {
  std::vector<uint8_t> p;
  for (int32_t x : v) append(p, x);
  put(key, GgufType::ARRAY, std::move(p), GgufType::I32, v.size());
}
void GgufWriter::set_alignment(uint32_t a) {
  if (a == 0 || (a & (a - 1)) != 0) fail("GGUF alignment must be a power of two, got ", std::to_string(a));
  alignment_ = a;
  if (a != 32) set_u32("general.alignment", a);
}

void GgufWriter::add_tensor(const std::string& name, DType type, Shape ne, const void* data) {
  for (const T& t : tensors_) {
    if (t.name == name) fail("GGUF writer: duplicate tensor ", name);
  }
  T t{name, type, ne, {}};
  Tensor shape_only;
  shape_only.type = type;
  shape_only.ne = ne;
  const size_t bytes = shape_only.nbytes();
  const auto* p = static_cast<const uint8_t*>(data);
  t.data.assign(p, p + bytes);
  tensors_.push_back(std::move(t));
}

void GgufWriter::write(const std::string& path) const {
  std::vector<uint8_t> head;
  append(head, kMagic);
  append(head, uint32_t(3));
  append(head, uint64_t(tensors_.size()));
  append(head, uint64_t(kv_.size()));
  for (const Kv& kv : kv_) {
    append_str(head, kv.key);
    append(head, uint32_t(kv.type));
    if (kv.type == GgufType::ARRAY) {
      append(head, uint32_t(kv.elem));
      append(head, kv.count);
    }
    head.insert(head.end(), kv.payload.begin(), kv.payload.end());
  }
  uint64_t offset = 0;
  std::vector<uint64_t> offsets;
  for (const T& t : tensors_) {
    append_str(head, t.name);
    int n_dims = 4;
    while (n_dims > 1 && t.ne[size_t(n_dims - 1)] == 1) n_dims--;
    append(head, uint32_t(n_dims));
    for (int d = 0; d < n_dims; d++) append(head, uint64_t(t.ne[size_t(d)]));
    append(head, uint32_t(t.type));
    append(head, offset);
    offsets.push_back(offset);
    offset += (t.data.size() + alignment_ - 1) / alignment_ * alignment_;
  }
  head.resize((head.size() + alignment_ - 1) / alignment_ * alignment_, 0);

  // stdio rather than fstream: the wasm32-wasi libc++ has no <fstream>.
  std::FILE* out = std::fopen(path.c_str(), "wb");
  if (!out) fail(path, ": cannot create file: ", std::strerror(errno));
  bool ok = std::fwrite(head.data(), 1, head.size(), out) == head.size();
  static const uint8_t zeros[64] = {};
  for (const T& t : tensors_) {
    ok = ok && std::fwrite(t.data.data(), 1, t.data.size(), out) == t.data.size();
    size_t pad = (alignment_ - t.data.size() % alignment_) % alignment_;
    while (ok && pad > 0) {
      const size_t k = std::min(pad, sizeof zeros);
      ok = std::fwrite(zeros, 1, k, out) == k;
      pad -= k;
    }
  }
  const int err = ok ? 0 : errno;
  if (std::fclose(out) != 0 && ok) ok = false;
  if (!ok) fail(path, ": write failed: ", std::strerror(err ? err : errno));
}

}  // namespace sotto
