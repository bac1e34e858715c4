// scene.cpp — the .ply and .splat readers of scene.h.
#include "splat/scene.h"

#include <cmath>
#include <cstring>
#include <map>

#include "core/error.h"
#include "core/file.h"

namespace sotto::splat {
namespace {

constexpr size_t kMaxHeader = size_t(64) << 10;
constexpr size_t kMaxProps = 1024;

float load_f32(const uint8_t* p) {
  float v;
  std::memcpy(&v, p, 4);
  return v;
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// Normalises q (w x y z) in place; false when it has no direction.
bool normalise(float* q) {
  const double n = std::sqrt(double(q[0]) * q[0] + double(q[1]) * q[1] + double(q[2]) * q[2] + double(q[3]) * q[3]);
  if (!(n > 1e-12) || !std::isfinite(n)) return false;
  for (int k = 0; k < 4; ++k) q[k] = float(q[k] / n);
  return true;
}

void resize(Scene& s, size_t n) {
  s.pos.assign(n * 3, 0.0f);
  s.scale.assign(n * 3, 0.0f);
  s.rot.assign(n * 4, 0.0f);
  s.opacity.assign(n, 0.0f);
  s.sh.assign(n * kShCoeffs * 3, 0.0f);
}

int type_size(const std::string& t) {
  static const std::map<std::string, int> sizes = {
      {"char", 1},  {"int8", 1},   {"uchar", 1}, {"uint8", 1},  {"short", 2},   {"int16", 2},  {"ushort", 2},
      {"uint16", 2}, {"int", 4},   {"int32", 4}, {"uint", 4},   {"uint32", 4},  {"float", 4},  {"float32", 4},
      {"double", 8}, {"float64", 8}};
  const auto it = sizes.find(t);
  return it == sizes.end() ? 0 : it->second;
}

// "123" -> 123; anything else (sign, spaces inside, overflow, past the cap) is an error.
uint64_t parse_count(const std::string& s, const std::string& name, const std::string& line) {
  if (s.empty() || s.size() > 19) fail(name, ": bad element count in '", line, "'");
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') fail(name, ": bad element count in '", line, "'");
    v = v * 10 + uint64_t(c - '0');
  }
  return v;
}

std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> w;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) w.push_back(line.substr(i, j - i));
    i = j;
  }
  return w;
}

}  // namespace

Scene parse_ply(const uint8_t* data, size_t size, const std::string& name) {
  // The header: text lines up to "end_header".
  size_t pos = 0, body = 0;
  std::vector<std::string> lines;
  while (true) {
    if (pos >= size || pos >= kMaxHeader) fail(name, ": no end_header in the first ", size_limit_text(kMaxHeader), " (not a .ply?)");
    const void* nl = std::memchr(data + pos, '\n', std::min(size, kMaxHeader) - pos);
    if (!nl) fail(name, ": no end_header in the first ", size_limit_text(kMaxHeader), " (not a .ply?)");
    const size_t end = size_t(static_cast<const uint8_t*>(nl) - data);
    std::string line(reinterpret_cast<const char*>(data + pos), end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    for (char c : line)
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t') fail(name, ": control byte in the .ply header");
    pos = end + 1;
    if (line == "end_header") {
      body = pos;
      break;
    }
    lines.push_back(line);
  }
  if (lines.empty() || lines[0] != "ply") fail(name, ": not a .ply file (first line is not 'ply')");

  struct Prop {
    std::string name;
    int offset, size;
    bool is_float;
  };
  std::vector<Prop> props;
  uint64_t n = 0;
  bool have_format = false, in_vertex = false, seen_vertex = false;
  int stride = 0;
  for (size_t li = 1; li < lines.size(); ++li) {
    const std::string& line = lines[li];
    const auto w = split_words(line);
    if (w.empty()) continue;
    if (w[0] == "comment" || w[0] == "obj_info") continue;
    if (w[0] == "format") {
      if (w.size() != 3 || w[2] != "1.0") fail(name, ": bad format line '", line, "'");
      if (w[1] == "ascii") fail(name, ": ascii .ply is not read; save it as binary_little_endian");
      if (w[1] != "binary_little_endian") fail(name, ": format ", w[1], " is not read (binary_little_endian only)");
      have_format = true;
    } else if (w[0] == "element") {
      if (w.size() != 3) fail(name, ": bad element line '", line, "'");
      const uint64_t count = parse_count(w[2], name, line);
      in_vertex = w[1] == "vertex";
      if (in_vertex) {
        if (seen_vertex) fail(name, ": two vertex elements");
        seen_vertex = true;
        if (count > kMaxSplats) fail(name, ": ", w[2], " vertices is past the limit of ", std::to_string(kMaxSplats), " splats");
        n = count;
      } else if (count != 0) {
        fail(name, ": element ", w[1], " is not read (a splat .ply holds vertices only)");
      }
    } else if (w[0] == "property") {
      if (w.size() >= 2 && w[1] == "list") fail(name, ": list property in '", line, "' (a splat .ply has none)");
      if (w.size() != 3) fail(name, ": bad property line '", line, "'");
      if (!in_vertex) continue;  // a property of an empty element
      const int ts = type_size(w[1]);
      if (ts == 0) fail(name, ": unknown property type '", w[1], "'");
      for (const Prop& p : props)
        if (p.name == w[2]) fail(name, ": property ", w[2], " appears twice");
      if (props.size() >= kMaxProps) fail(name, ": more than ", std::to_string(kMaxProps), " properties");
      props.push_back({w[2], stride, ts, w[1] == "float" || w[1] == "float32"});
      stride += ts;
    } else {
      fail(name, ": unknown header line '", line, "'");
    }
  }
  if (!have_format) fail(name, ": no format line in the .ply header");
  if (!seen_vertex) fail(name, ": no vertex element in the .ply header");

  auto find = [&](const std::string& p, bool required) -> int {
    for (const Prop& q : props)
      if (q.name == p) {
        if (!q.is_float) fail(name, ": property ", p, " must be float");
        return q.offset;
      }
    if (required) fail(name, ": property ", p, " missing (a 3DGS .ply has x y z f_dc_0..2 opacity scale_0..2 rot_0..3)");
    return -1;
  };
  const char* req[] = {"x", "y", "z", "f_dc_0", "f_dc_1", "f_dc_2", "opacity", "scale_0", "scale_1", "scale_2",
                       "rot_0", "rot_1", "rot_2", "rot_3"};
  int off[14];
  for (int k = 0; k < 14; ++k) off[k] = find(req[k], true);
  int n_rest = 0;
  while (find("f_rest_" + std::to_string(n_rest), false) >= 0) ++n_rest;
  for (const Prop& q : props)
    if (q.name.rfind("f_rest_", 0) == 0 && find(q.name, false) >= 0) {
      bool listed = false;
      for (int k = 0; k < n_rest; ++k) listed |= q.name == "f_rest_" + std::to_string(k);
      if (!listed) fail(name, ": property ", q.name, " without f_rest_", std::to_string(n_rest));
    }
  int degree = -1;
  for (int d = 0; d <= 3; ++d)
    if (n_rest == 3 * ((d + 1) * (d + 1) - 1)) degree = d;
  if (degree < 0) fail(name, ": ", std::to_string(n_rest), " f_rest properties (0, 9, 24 or 45 for SH degree 0..3)");
  std::vector<int> rest(static_cast<size_t>(n_rest), 0);
  for (int k = 0; k < n_rest; ++k) rest[size_t(k)] = find("f_rest_" + std::to_string(k), true);

  const uint64_t need = n * uint64_t(stride);  // n <= 2^26, stride <= 8 KiB: no overflow
  const uint64_t have = size - body;
  if (have < need)
    fail(name, ": truncated: ", std::to_string(n), " vertices of ", std::to_string(stride), " bytes need ",
         std::to_string(need), " bytes after the header, the file has ", std::to_string(have));
  if (have > need) fail(name, ": ", std::to_string(have - need), " bytes after the last vertex");

  Scene s;
  s.sh_degree = degree;
  resize(s, size_t(n));
  const int per_channel = n_rest / 3;
  for (size_t i = 0; i < size_t(n); ++i) {
    const uint8_t* row = data + body + i * size_t(stride);
    float v[14];
    for (int k = 0; k < 14; ++k) {
      v[k] = load_f32(row + off[k]);
      if (!std::isfinite(v[k])) fail(name, ": vertex ", std::to_string(i), " property ", req[k], " is not finite");
    }
    for (int k = 0; k < 3; ++k) s.pos[i * 3 + size_t(k)] = v[k];
    for (int c = 0; c < 3; ++c) s.sh[(i * kShCoeffs) * 3 + size_t(c)] = v[3 + c];
    s.opacity[i] = sigmoid(v[6]);
    for (int k = 0; k < 3; ++k) {
      const float e = std::exp(v[7 + k]);
      if (!std::isfinite(e) || v[7 + k] > 30.0f)
        fail(name, ": vertex ", std::to_string(i), " scale_", std::to_string(k), " = ", std::to_string(v[7 + k]),
             " (log scale) is absurd");
      s.scale[i * 3 + size_t(k)] = e;
    }
    float q[4] = {v[10], v[11], v[12], v[13]};
    if (!normalise(q)) fail(name, ": vertex ", std::to_string(i), " has a zero rotation quaternion");
    for (int k = 0; k < 4; ++k) s.rot[i * 4 + size_t(k)] = q[k];
    for (int c = 0; c < 3; ++c)
      for (int k = 0; k < per_channel; ++k) {
        const float r = load_f32(row + rest[size_t(c * per_channel + k)]);
        if (!std::isfinite(r))
          fail(name, ": vertex ", std::to_string(i), " property f_rest_", std::to_string(c * per_channel + k), " is not finite");
        s.sh[(i * kShCoeffs + size_t(1 + k)) * 3 + size_t(c)] = r;
      }
  }
  return s;
}

Scene parse_splat(const uint8_t* data, size_t size, const std::string& name) {
  if (size == 0) fail(name, ": empty .splat file");
  if (size % 32 != 0)
    fail(name, ": ", std::to_string(size), " bytes is not a whole number of 32-byte splats (truncated?)");
  const size_t n = size / 32;
  if (n > kMaxSplats) fail(name, ": ", std::to_string(n), " splats is past the limit of ", std::to_string(kMaxSplats));
  constexpr float kC0 = 0.28209479177387814f;
  Scene s;
  s.sh_degree = 0;
  resize(s, n);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* p = data + i * 32;
    for (int k = 0; k < 6; ++k) {
      const float v = load_f32(p + 4 * k);
      if (!std::isfinite(v)) fail(name, ": splat ", std::to_string(i), (k < 3 ? " position" : " scale"), " is not finite");
      if (k >= 3 && v < 0.0f) fail(name, ": splat ", std::to_string(i), " has a negative scale");
      (k < 3 ? s.pos[i * 3 + size_t(k)] : s.scale[i * 3 + size_t(k - 3)]) = v;
    }
    for (int c = 0; c < 3; ++c) s.sh[(i * kShCoeffs) * 3 + size_t(c)] = (float(p[24 + c]) / 255.0f - 0.5f) / kC0;
    s.opacity[i] = float(p[27]) / 255.0f;
    float q[4];
    for (int k = 0; k < 4; ++k) q[k] = (float(p[28 + k]) - 128.0f) / 128.0f;
    if (!normalise(q)) fail(name, ": splat ", std::to_string(i), " has a zero rotation quaternion");
    for (int k = 0; k < 4; ++k) s.rot[i * 4 + size_t(k)] = q[k];
  }
  return s;
}

Scene parse_scene(const uint8_t* data, size_t size, const std::string& name) {
  if (size >= 4 && std::memcmp(data, "ply", 3) == 0 && (data[3] == '\n' || data[3] == '\r')) return parse_ply(data, size, name);
  if (name.size() >= 6 && name.compare(name.size() - 6, 6, ".splat") == 0) return parse_splat(data, size, name);
  fail(name, ": not a splat scene (a .ply starts with 'ply'; a .splat file must be named *.splat)");
}

Scene read_scene(const std::string& path) {
  const std::string bytes = read_file(path, size_t(1) << (sizeof(size_t) >= 8 ? 33 : 30));
  return parse_scene(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), path);
}

}  // namespace sotto::splat
