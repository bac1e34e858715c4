// render.cpp — the CPU reference renderer of render.h.
#include "splat/render.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "core/error.h"

namespace sotto::splat {
namespace {

constexpr float kC0 = 0.28209479177387814f;
constexpr float kC1 = 0.4886025119029199f;
constexpr float kC2[5] = {1.0925484305920792f, -1.0925484305920792f, 0.31539156525252005f, -1.0925484305920792f,
                          0.5462742152960396f};
constexpr float kC3[7] = {-0.5900435899266435f, 2.890611442640554f, -0.4570457994644658f, 0.3731763325901154f,
                          -0.4570457994644658f, 1.445305721320277f, -0.5900435899266435f};
constexpr int kTile = kTileSize;

// SH colour of splat i seen along unit direction d (camera centre -> mean).
void sh_color(const Scene& s, size_t i, const float d[3], float out[3]) {
  const float* c = &s.sh[i * kShCoeffs * 3];
  auto k = [&](int j, int ch) { return c[j * 3 + ch]; };
  const float x = d[0], y = d[1], z = d[2];
  const float xx = x * x, yy = y * y, zz = z * z, xy = x * y, yz = y * z, xz = x * z;
  for (int ch = 0; ch < 3; ++ch) {
    float r = kC0 * k(0, ch);
    if (s.sh_degree > 0) r += -kC1 * y * k(1, ch) + kC1 * z * k(2, ch) - kC1 * x * k(3, ch);
    if (s.sh_degree > 1)
      r += kC2[0] * xy * k(4, ch) + kC2[1] * yz * k(5, ch) + kC2[2] * (2 * zz - xx - yy) * k(6, ch) +
           kC2[3] * xz * k(7, ch) + kC2[4] * (xx - yy) * k(8, ch);
    if (s.sh_degree > 2)
      r += kC3[0] * y * (3 * xx - yy) * k(9, ch) + kC3[1] * xy * z * k(10, ch) +
           kC3[2] * y * (4 * zz - xx - yy) * k(11, ch) + kC3[3] * z * (2 * zz - 3 * xx - 3 * yy) * k(12, ch) +
           kC3[4] * x * (4 * zz - xx - yy) * k(13, ch) + kC3[5] * z * (xx - yy) * k(14, ch) +
           kC3[6] * x * (xx - 3 * yy) * k(15, ch);
    out[ch] = std::max(r + 0.5f, 0.0f);
  }
}

}  // namespace

Camera orbit_camera(const OrbitView& v, int width, int height) {
  if (width <= 0 || height <= 0) fail("splat camera: image size must be positive");
  if (!(v.radius > 0) || !std::isfinite(v.radius)) fail("splat camera: orbit radius must be positive");
  if (!(v.fov_y_deg > 0 && v.fov_y_deg < 180)) fail("splat camera: fov must be in (0, 180) degrees");
  const double deg = 3.14159265358979323846 / 180.0;
  const double az = v.azimuth_deg * deg, el = std::clamp(double(v.elevation_deg), -89.0, 89.0) * deg;
  const double eye[3] = {v.target[0] + v.radius * std::cos(el) * std::sin(az), v.target[1] + v.radius * std::sin(el),
                         v.target[2] + v.radius * std::cos(el) * std::cos(az)};
  double f[3] = {v.target[0] - eye[0], v.target[1] - eye[1], v.target[2] - eye[2]};
  const double fn = std::sqrt(f[0] * f[0] + f[1] * f[1] + f[2] * f[2]);
  for (double& x : f) x /= fn;
  // right = f x up (up = +y); down = f x right.
  double r[3] = {-f[2], 0.0, f[0]};
  const double rn = std::sqrt(r[0] * r[0] + r[2] * r[2]);
  for (double& x : r) x /= rn;
  const double d[3] = {f[1] * r[2] - f[2] * r[1], f[2] * r[0] - f[0] * r[2], f[0] * r[1] - f[1] * r[0]};
  Camera c;
  const double* rows[3] = {r, d, f};
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) c.rot[i * 3 + j] = float(rows[i][j]);
    c.trans[i] = float(-(rows[i][0] * eye[0] + rows[i][1] * eye[1] + rows[i][2] * eye[2]));
    c.centre[i] = float(eye[i]);
  }
  c.fy = float(height / (2.0 * std::tan(v.fov_y_deg * deg / 2)));
  c.fx = c.fy;
  c.cx = width / 2.0f;
  c.cy = height / 2.0f;
  c.width = width;
  c.height = height;
  return c;
}

std::vector<Splat2D> project(const Scene& s, const Camera& cam) {
  const size_t n = s.size();
  std::vector<Splat2D> out(n);
  const float* W = cam.rot;
  const float lim_x = 1.3f * (cam.width / (2.0f * cam.fx)), lim_y = 1.3f * (cam.height / (2.0f * cam.fy));
  for (size_t i = 0; i < n; ++i) {
    Splat2D& o = out[i];
    o = {};
    const float* p = &s.pos[i * 3];
    float t[3];
    for (int r = 0; r < 3; ++r) t[r] = W[r * 3] * p[0] + W[r * 3 + 1] * p[1] + W[r * 3 + 2] * p[2] + cam.trans[r];
    if (!(t[2] > 0.2f) || !std::isfinite(t[0]) || !std::isfinite(t[1]) || !std::isfinite(t[2]) ||
        s.opacity[i] < 1.0f / 255.0f)
      continue;
    // Sigma = R S S^T R^T.
    const float* q = &s.rot[i * 4];
    const float w = q[0], x = q[1], y = q[2], z = q[3];
    const float R[9] = {1 - 2 * (y * y + z * z), 2 * (x * y - w * z),     2 * (x * z + w * y),
                        2 * (x * y + w * z),     1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
                        2 * (x * z - w * y),     2 * (y * z + w * x),     1 - 2 * (x * x + y * y)};
    float M[9];  // R S
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) M[r * 3 + c] = R[r * 3 + c] * s.scale[i * 3 + size_t(c)];
    float sig[9];
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) sig[r * 3 + c] = M[r * 3] * M[c * 3] + M[r * 3 + 1] * M[c * 3 + 1] + M[r * 3 + 2] * M[c * 3 + 2];
    // J at the (clamped) view position; T = J W (2 x 3).
    const float tz = t[2];
    const float tx = std::clamp(t[0] / tz, -lim_x, lim_x) * tz, ty = std::clamp(t[1] / tz, -lim_y, lim_y) * tz;
    const float J[6] = {cam.fx / tz, 0, -cam.fx * tx / (tz * tz), 0, cam.fy / tz, -cam.fy * ty / (tz * tz)};
    float T[6];
    for (int r = 0; r < 2; ++r)
      for (int c = 0; c < 3; ++c) T[r * 3 + c] = J[r * 3] * W[c] + J[r * 3 + 1] * W[3 + c] + J[r * 3 + 2] * W[6 + c];
    float TS[6];
    for (int r = 0; r < 2; ++r)
      for (int c = 0; c < 3; ++c) TS[r * 3 + c] = T[r * 3] * sig[c] + T[r * 3 + 1] * sig[3 + c] + T[r * 3 + 2] * sig[6 + c];
    const float a = TS[0] * T[0] + TS[1] * T[1] + TS[2] * T[2] + 0.3f;
    const float b = TS[0] * T[3] + TS[1] * T[4] + TS[2] * T[5];
    const float c = TS[3] * T[3] + TS[4] * T[4] + TS[5] * T[5] + 0.3f;
    const float det = a * c - b * b;
    if (!(det > 0.0f) || !std::isfinite(det) || !std::isfinite(b)) continue;  // overflowed: culled
    const float mid = 0.5f * (a + c);
    const float lambda = mid + std::sqrt(std::max(0.1f, mid * mid - det));
    const float radius = std::ceil(3.0f * std::sqrt(lambda));
    const float mx = cam.fx * t[0] / tz + cam.cx, my = cam.fy * t[1] / tz + cam.cy;
    if (!std::isfinite(radius) || !std::isfinite(mx) || !std::isfinite(my)) continue;
    // The square [m - r, m + r] must reach some pixel centre inside the image.
    if (mx + radius < 0.5f || mx - radius > cam.width - 0.5f || my + radius < 0.5f || my - radius > cam.height - 0.5f) continue;
    o.mean[0] = mx;
    o.mean[1] = my;
    o.conic[0] = c / det;
    o.conic[1] = -b / det;
    o.conic[2] = a / det;
    o.depth = tz;
    o.opacity = s.opacity[i];
    o.radius = radius;
    float d[3] = {p[0] - cam.centre[0], p[1] - cam.centre[1], p[2] - cam.centre[2]};
    const float dn = std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    for (float& v : d) v /= dn;
    sh_color(s, i, d, o.color);
    if (!std::isfinite(o.color[0]) || !std::isfinite(o.color[1]) || !std::isfinite(o.color[2])) o = {};  // overflowed
  }
  return out;
}

std::vector<uint32_t> depth_order(const std::vector<Splat2D>& splats) {
  std::vector<uint32_t> idx;
  for (size_t i = 0; i < splats.size(); ++i)
    if (splats[i].radius > 0) idx.push_back(uint32_t(i));
  std::stable_sort(idx.begin(), idx.end(), [&](uint32_t x, uint32_t y) { return splats[x].depth < splats[y].depth; });
  return idx;
}

uint32_t depth_key(float depth) {
  if (depth == 0.0f) depth = 0.0f;  // -0 == +0 as floats compare
  uint32_t u;
  std::memcpy(&u, &depth, 4);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

std::vector<uint32_t> radix_depth_order(const std::vector<Splat2D>& splats) {
  std::vector<uint32_t> idx, keys;
  for (size_t i = 0; i < splats.size(); ++i)
    if (splats[i].radius > 0) {
      idx.push_back(uint32_t(i));
      keys.push_back(depth_key(splats[i].depth));
    }
  std::vector<uint32_t> idx2(idx.size()), keys2(keys.size());
  for (int shift = 0; shift < 32; shift += 8) {
    size_t count[257] = {};
    for (uint32_t k : keys) count[((k >> shift) & 255u) + 1]++;
    for (int b = 0; b < 256; ++b) count[b + 1] += count[b];
    for (size_t j = 0; j < keys.size(); ++j) {  // in order: stable
      const size_t at = count[(keys[j] >> shift) & 255u]++;
      idx2[at] = idx[j];
      keys2[at] = keys[j];
    }
    idx.swap(idx2);
    keys.swap(keys2);
  }
  return idx;
}

std::vector<std::vector<uint32_t>> tile_bins(const std::vector<Splat2D>& sp, const std::vector<uint32_t>& order,
                                             int W, int H) {
  const int tw = (W + kTile - 1) / kTile, th = (H + kTile - 1) / kTile;
  std::vector<std::vector<uint32_t>> bins(size_t(tw) * size_t(th));
  for (uint32_t i : order) {
    const Splat2D& g = sp[i];
    auto tile = [](float v, int n) { return int(std::clamp(std::floor(v / kTile), 0.0f, float(n - 1))); };
    const int x0 = tile(g.mean[0] - g.radius, tw), x1 = tile(g.mean[0] + g.radius, tw);
    const int y0 = tile(g.mean[1] - g.radius, th), y1 = tile(g.mean[1] + g.radius, th);
    for (int ty = y0; ty <= y1; ++ty)
      for (int tx = x0; tx <= x1; ++tx) bins[size_t(ty) * size_t(tw) + size_t(tx)].push_back(i);
  }
  return bins;
}

std::vector<float> render(const Scene& scene, const Camera& cam, const float bg[3]) {
  const std::vector<Splat2D> sp = project(scene, cam);
  const std::vector<uint32_t> order = depth_order(sp);
  const int W = cam.width, H = cam.height;
  const int tw = (W + kTile - 1) / kTile;
  // Per tile, the splats whose square reaches it, in depth order (a pixel outside a splat's square is still
  // tested below, so binning only saves work).
  const std::vector<std::vector<uint32_t>> bins = tile_bins(sp, order, W, H);
  std::vector<float> img(size_t(W) * size_t(H) * 3);
  for (int py = 0; py < H; ++py)
    for (int px = 0; px < W; ++px) {
      const float fx = px + 0.5f, fy = py + 0.5f;
      float T = 1.0f, C[3] = {0, 0, 0};
      for (uint32_t i : bins[size_t(py / kTile) * size_t(tw) + size_t(px / kTile)]) {
        const Splat2D& g = sp[i];
        const float dx = fx - g.mean[0], dy = fy - g.mean[1];
        if (std::fabs(dx) > g.radius || std::fabs(dy) > g.radius) continue;
        const float power = -0.5f * (g.conic[0] * dx * dx + g.conic[2] * dy * dy) - g.conic[1] * dx * dy;
        if (power > 0.0f) continue;
        const float alpha = std::min(0.99f, g.opacity * std::exp(power));
        if (alpha < 1.0f / 255.0f) continue;
        const float next = T * (1.0f - alpha);
        if (next < 0.0001f) break;
        for (int k = 0; k < 3; ++k) C[k] += g.color[k] * alpha * T;
        T = next;
      }
      float* o = &img[(size_t(py) * size_t(W) + size_t(px)) * 3];
      for (int k = 0; k < 3; ++k) o[k] = C[k] + T * bg[k];
    }
  return img;
}

}  // namespace sotto::splat
