// render.h — the CPU reference renderer of Gaussian splats (issue 23), written from the 3DGS paper's definitions
// (Kerbl et al. 2023, and the official rasterizer's constants): means projected by a pinhole camera; 3D covariance
// R S S^T R^T from scale and rotation; the EWA 2D covariance J W Sigma W^T J^T with the projection's Jacobian J
// (view-space x/z, y/z clamped to 1.3x the field of view, as 3DGS does), plus 0.3 on the diagonal (low-pass);
// a 3-sigma screen extent (radius = ceil(3 sqrt(largest eigenvalue)), a square around the mean); SH colour
// (degree 0..3) by the direction from the camera centre, + 0.5, clamped at 0; a depth sort (view z ascending,
// ties by index: deterministic); front-to-back alpha compositing per pixel: alpha = min(0.99, opacity *
// exp(-d^T conic d / 2)), skipped below 1/255, stopping before transmittance would fall under 1e-4.
// Culling: splats at view z <= 0.2 (near plane), with opacity < 1/255 (they can never pass the alpha threshold,
// so the image is unchanged), whose square misses the image, or whose projection overflows float (absurd
// positions, scales or SH: a non-finite view position, 2D covariance, mean or colour).
// Camera convention: OpenCV/COLMAP view space (x right, y down, z forward); pixel (i, j) has its centre at
// (i + 0.5, j + 0.5); principal point at the image centre, square pixels.
// Does not: use threads or SIMD (this is the twin the fast paths are checked against), render depth or alpha maps.
#pragma once

#include <cstdint>
#include <vector>

#include "splat/scene.h"

namespace sotto::splat {

struct Camera {
  float rot[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};  // world -> view, row-major
  float trans[3] = {0, 0, 0};                  // view = rot * world + trans
  float centre[3] = {0, 0, 0};                 // camera position in the world
  float fx = 1, fy = 1, cx = 0, cy = 0;
  int width = 0, height = 0;
};

// An orbit around `target` in a y-up world: the eye at target + radius * (cos(el) sin(az), sin(el), cos(el) cos(az)),
// looking at the target, image up = world +y. Elevation is clamped to [-89, 89] degrees; fov_y is vertical.
struct OrbitView {
  float target[3] = {0, 0, 0};
  float azimuth_deg = 0, elevation_deg = 0, radius = 4, fov_y_deg = 50;
};
Camera orbit_camera(const OrbitView& view, int width, int height);

struct Splat2D {
  float mean[2];   // pixels
  float conic[3];  // inverse 2D covariance: a, b, c of [[a b] [b c]]
  float depth;     // view z
  float color[3];
  float opacity;
  float radius;    // pixels, a whole number: ceil(3 sqrt(largest eigenvalue)); 0 = culled
};
std::vector<Splat2D> project(const Scene& scene, const Camera& cam);  // [n]
// Indices of the splats with radius > 0, by depth ascending, ties by index.
std::vector<uint32_t> depth_order(const std::vector<Splat2D>& splats);
// The same order by a least-significant-digit radix sort (4 passes of 8 bits) on the depth's float bits mapped to
// order-preserving unsigned keys: stable, so ties stay by index. The plain twin of the GPU depth sort (issue 23).
std::vector<uint32_t> radix_depth_order(const std::vector<Splat2D>& splats);
// The order-preserving key: a < b (floats, not NaN) <=> depth_key(a) < depth_key(b); -0 and +0 share a key.
uint32_t depth_key(float depth);

// Per-tile lists (the 3DGS binning): for each 16 x 16 tile (row-major, ceil(width/16) x ceil(height/16)), the
// splats of `order` whose square [mean - radius, mean + radius] reaches it (tiles floor((mean -+ radius) / 16),
// clamped to the image), in `order`'s order. A pixel centre inside a splat's square lies in one of its tiles, so
// compositing a tile's list gives the same pixels as compositing every splat. The twin of the GPU's pair list.
constexpr int kTileSize = 16;
std::vector<std::vector<uint32_t>> tile_bins(const std::vector<Splat2D>& splats, const std::vector<uint32_t>& order,
                                             int width, int height);

// [height, width, 3] linear RGB, background `bg` behind the splats.
std::vector<float> render(const Scene& scene, const Camera& cam, const float bg[3]);

}  // namespace sotto::splat
