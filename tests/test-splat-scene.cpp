// test-splat-scene.cpp — the splat scene readers (src/splat/scene.h): the fixtures of tools/splat/make_fixtures.py,
// the .ply property mapping (f_rest channel-major, activations) on a scene built here, and one-line errors for
// each kind of malformed .ply and .splat file.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"
#include "splat/scene.h"

using namespace sotto;
using namespace sotto::splat;

namespace {

const std::string kDir = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/splat/";

std::vector<std::string> std_props(int n_rest) {
  std::vector<std::string> p = {"x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2"};
  for (int k = 0; k < n_rest; ++k) p.push_back("f_rest_" + std::to_string(k));
  for (const char* s : {"opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"}) p.push_back(s);
  return p;
}

// A .ply with `props` (all float) and rows given as values; `header_extra` goes before end_header.
std::string make_ply(const std::vector<std::string>& props, const std::vector<std::vector<float>>& rows,
                     const std::string& format = "binary_little_endian", const std::string& header_extra = "") {
  std::string s = "ply\nformat " + format + " 1.0\nelement vertex " + std::to_string(rows.size()) + "\n";
  for (const auto& p : props) s += "property float " + p + "\n";
  s += header_extra + "end_header\n";
  for (const auto& r : rows) s.append(reinterpret_cast<const char*>(r.data()), r.size() * 4);
  return s;
}

std::vector<float> good_row(const std::vector<std::string>& props) {
  std::vector<float> r(props.size(), 0.1f);
  for (size_t k = 0; k < props.size(); ++k) {
    if (props[k] == "rot_0") r[k] = 1.0f;
    if (props[k].rfind("scale_", 0) == 0) r[k] = -3.0f;
  }
  return r;
}

size_t index_of(const std::vector<std::string>& props, const std::string& p) {
  for (size_t k = 0; k < props.size(); ++k)
    if (props[k] == p) return k;
  return props.size();
}

// Parses `bytes` as `name`, expecting a one-line error containing `what`.
void expect_error(const std::string& bytes, const std::string& name, const std::string& what) {
  try {
    parse_scene(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), name);
    ADD_FAILURE() << name << ": accepted, expected an error containing '" << what << "'";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(what), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_EQ(msg.rfind(name, 0), 0u) << msg;
  }
}

std::string splat_record(const float pos[3], const float scale[3], const uint8_t rgba[4], const uint8_t q[4]) {
  std::string s(32, '\0');
  std::memcpy(&s[0], pos, 12);
  std::memcpy(&s[12], scale, 12);
  std::memcpy(&s[24], rgba, 4);
  std::memcpy(&s[28], q, 4);
  return s;
}

}  // namespace

TEST(SplatScene, Fixtures) {
  const Scene ring = read_scene(kDir + "ring-sh3.ply");
  EXPECT_EQ(ring.size(), 300u);
  EXPECT_EQ(ring.sh_degree, 3);
  const Scene cloud = read_scene(kDir + "cloud-sh1.ply");
  EXPECT_EQ(cloud.size(), 200u);
  EXPECT_EQ(cloud.sh_degree, 1);
  const Scene blobs = read_scene(kDir + "blobs.splat");
  EXPECT_EQ(blobs.size(), 250u);
  EXPECT_EQ(blobs.sh_degree, 0);
  for (const Scene* s : {&ring, &cloud, &blobs})
    for (size_t i = 0; i < s->size(); ++i) {
      const float* q = &s->rot[i * 4];
      EXPECT_NEAR(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3], 1.0f, 1e-5f);
      EXPECT_TRUE(s->opacity[i] >= 0.0f && s->opacity[i] <= 1.0f);
      for (int k = 0; k < 3; ++k) EXPECT_GT(s->scale[i * 3 + size_t(k)], 0.0f);
    }
}

TEST(SplatScene, PlyMapping) {
  const auto props = std_props(45);
  std::vector<float> row = good_row(props);
  for (int k = 0; k < 45; ++k) row[index_of(props, "f_rest_" + std::to_string(k))] = float(k);
  row[index_of(props, "x")] = 1.5f;
  row[index_of(props, "f_dc_1")] = -0.25f;
  row[index_of(props, "opacity")] = 0.0f;  // sigmoid(0) = 0.5
  row[index_of(props, "scale_2")] = std::log(0.5f);
  row[index_of(props, "rot_0")] = 0.0f;
  row[index_of(props, "rot_2")] = 2.0f;  // (0, 0.1, 2, 0.1) normalised
  const std::string ply = make_ply(props, {good_row(props), row});
  const Scene s = parse_scene(reinterpret_cast<const uint8_t*>(ply.data()), ply.size(), "t.ply");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s.sh_degree, 3);
  EXPECT_FLOAT_EQ(s.pos[3], 1.5f);
  EXPECT_FLOAT_EQ(s.sh[(16 + 0) * 3 + 1], -0.25f);
  // 3DGS stores f_rest channel-major: f_rest_k is coefficient 1 + k % 15 of channel k / 15.
  for (int k = 0; k < 45; ++k) EXPECT_FLOAT_EQ(s.sh[(16 + 1 + k % 15) * 3 + k / 15], float(k)) << k;
  EXPECT_FLOAT_EQ(s.opacity[1], 0.5f);
  EXPECT_NEAR(s.scale[5], 0.5f, 1e-6f);
  const float n = std::sqrt(0.01f + 4.0f + 0.01f);
  EXPECT_NEAR(s.rot[5], 0.1f / n, 1e-6f);
  EXPECT_NEAR(s.rot[6], 2.0f / n, 1e-6f);
  // SH degree 1 and 0, an empty scene and CRLF header lines are read.
  for (int rest : {0, 9}) {
    const auto p = std_props(rest);
    const std::string b = make_ply(p, {good_row(p)});
    EXPECT_EQ(parse_ply(reinterpret_cast<const uint8_t*>(b.data()), b.size(), "t.ply").sh_degree, rest / 9);
  }
  const std::string empty = make_ply(props, {});
  EXPECT_EQ(parse_scene(reinterpret_cast<const uint8_t*>(empty.data()), empty.size(), "e.ply").size(), 0u);
}

TEST(SplatScene, SplatLayout) {
  const float pos[3] = {1, 2, 3}, scale[3] = {0.1f, 0.2f, 0.3f};
  const uint8_t rgba[4] = {255, 0, 128, 51}, q[4] = {255, 128, 128, 128};
  const std::string b = splat_record(pos, scale, rgba, q) + splat_record(scale, pos, rgba, q);
  const Scene s = parse_scene(reinterpret_cast<const uint8_t*>(b.data()), b.size(), "a.splat");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_FLOAT_EQ(s.pos[2], 3.0f);
  EXPECT_FLOAT_EQ(s.scale[1], 0.2f);
  EXPECT_FLOAT_EQ(s.opacity[0], 0.2f);
  EXPECT_FLOAT_EQ(s.rot[0], 1.0f);
  // Degree-0 SH reproduces the stored colour: 0.5 + C0 * dc == rgb / 255.
  const float c0 = 0.28209479177387814f;
  EXPECT_NEAR(0.5f + c0 * s.sh[0], 1.0f, 1e-6f);
  EXPECT_NEAR(0.5f + c0 * s.sh[1], 0.0f, 1e-6f);
  EXPECT_NEAR(0.5f + c0 * s.sh[2], 128.0f / 255.0f, 1e-6f);
}

TEST(SplatScene, MalformedPly) {
  const auto props = std_props(9);
  const std::vector<float> row = good_row(props);
  const std::string good = make_ply(props, {row, row});
  EXPECT_NO_THROW(parse_scene(reinterpret_cast<const uint8_t*>(good.data()), good.size(), "g.ply"));

  expect_error(make_ply(props, {row}, "ascii"), "a.ply", "ascii .ply is not read");
  expect_error(make_ply(props, {row}, "binary_big_endian"), "b.ply", "binary_big_endian is not read");
  expect_error(good.substr(0, good.size() - 3), "t.ply", "truncated");
  expect_error(good + "xyz", "t.ply", "3 bytes after the last vertex");
  expect_error(good.substr(0, good.find("end_header")), "h.ply", "no end_header");
  expect_error("plyx\n", "x.ply", "not a splat scene");
  std::vector<std::string> no_rot = props;
  no_rot.pop_back();
  expect_error(make_ply(no_rot, {std::vector<float>(no_rot.size(), 1.0f)}), "m.ply", "property rot_3 missing");
  std::string twice = good;
  twice.replace(twice.find("property float nx"), 17, "property float ny");
  expect_error(twice, "d.ply", "property ny appears twice");
  std::string list = good;
  list.replace(list.find("property float nx"), 17, "property list uchar int vertex_indices");
  expect_error(list, "l.ply", "list property");
  std::string dbl = good;
  dbl.replace(dbl.find("property float x\n"), 17, "property double x\n");
  expect_error(dbl, "f.ply", "property x must be float");
  std::string unknown = good;
  unknown.replace(unknown.find("property float nx"), 17, "property float16 nx");
  expect_error(unknown, "u.ply", "unknown property type 'float16'");
  const auto rest7 = std_props(7);
  expect_error(make_ply(rest7, {good_row(rest7)}), "r.ply", "7 f_rest properties");
  auto gap = std_props(9);
  gap[index_of(gap, "f_rest_3")] = "f_rest_30";
  expect_error(make_ply(gap, {good_row(gap)}), "g.ply", "property f_rest_30 without f_rest_3");
  std::string over = good;
  over.replace(over.find("element vertex 2"), 16, "element vertex 99999999999999999999");
  expect_error(over, "o.ply", "bad element count");
  std::string neg = good;
  neg.replace(neg.find("element vertex 2"), 16, "element vertex -2");
  expect_error(neg, "n.ply", "bad element count");
  std::string absurd = good;
  absurd.replace(absurd.find("element vertex 2"), 16, "element vertex 4000000000");
  expect_error(absurd, "z.ply", "past the limit");
  std::string big = good;  // within the cap, but the file is far too short: no allocation first
  big.replace(big.find("element vertex 2"), 16, "element vertex 60000000");
  expect_error(big, "z.ply", "truncated");
  expect_error(make_ply(props, {row}, "binary_little_endian", "element face 3\nproperty list uchar int vertex_indices\n"),
               "f.ply", "element face is not read");
  expect_error(make_ply(props, {row}, "binary_little_endian", "bogus line\n"), "k.ply", "unknown header line 'bogus line'");

  auto with = [&](const std::string& p, float v) {
    std::vector<float> r = row;
    r[index_of(props, p)] = v;
    return make_ply(props, {row, r});
  };
  expect_error(with("x", std::numeric_limits<float>::quiet_NaN()), "nan.ply", "vertex 1 property x is not finite");
  expect_error(with("opacity", std::numeric_limits<float>::infinity()), "inf.ply", "property opacity is not finite");
  expect_error(with("f_rest_4", std::numeric_limits<float>::quiet_NaN()), "nan.ply", "property f_rest_4 is not finite");
  expect_error(with("scale_1", 100.0f), "s.ply", "scale_1 = 100.000000 (log scale) is absurd");
  std::vector<float> zero = row;
  for (const char* r : {"rot_0", "rot_1", "rot_2", "rot_3"}) zero[index_of(props, r)] = 0.0f;
  expect_error(make_ply(props, {zero}), "q.ply", "vertex 0 has a zero rotation quaternion");
}

TEST(SplatScene, MalformedSplat) {
  const float pos[3] = {1, 2, 3}, scale[3] = {0.1f, 0.2f, 0.3f};
  const uint8_t rgba[4] = {1, 2, 3, 4}, q[4] = {200, 128, 128, 128}, q0[4] = {128, 128, 128, 128};
  const std::string rec = splat_record(pos, scale, rgba, q);
  expect_error("", "e.splat", "empty .splat file");
  expect_error(rec + rec.substr(0, 20), "t.splat", "52 bytes is not a whole number of 32-byte splats");
  const float nan_pos[3] = {1, std::numeric_limits<float>::quiet_NaN(), 3};
  expect_error(rec + splat_record(nan_pos, scale, rgba, q), "n.splat", "splat 1 position is not finite");
  const float inf_scale[3] = {1, std::numeric_limits<float>::infinity(), 3};
  expect_error(splat_record(pos, inf_scale, rgba, q), "i.splat", "splat 0 scale is not finite");
  const float neg_scale[3] = {1, -1, 3};
  expect_error(splat_record(pos, neg_scale, rgba, q), "s.splat", "negative scale");
  expect_error(splat_record(pos, scale, rgba, q0), "q.splat", "splat 0 has a zero rotation quaternion");
  expect_error(rec, "scene.bin", "not a splat scene");
}

TEST(SplatScene, MissingFile) {
  EXPECT_THROW(read_scene(kDir + "no-such-scene.ply"), Error);
}
