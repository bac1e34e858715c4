// scene.h — Gaussian-splat scenes (issue 23): the standard 3DGS .ply and the compact 32-byte .splat layout, read
// into one plain struct with the activations applied (scale = exp(log scale), opacity = sigmoid(logit),
// rotation normalised), which is what the renderers (render.h, the WGSL kernels) consume.
// .ply: `format binary_little_endian 1.0`, one `element vertex N` of float properties x y z, f_dc_0..2,
// f_rest_0..K-1 (K = 0, 9, 24 or 45: SH degree 0..3, stored channel-major as 3DGS writes them), opacity,
// scale_0..2, rot_0..3 (w x y z), in any order, other float properties (nx ny nz ...) ignored. ascii and
// big-endian .ply are refused with one line. .splat (antimatter15 layout): per splat pos f32x3, scale f32x3
// (linear), RGBA u8x4 (colour and opacity), quaternion u8x4 (w x y z, (q * 128) + 128); SH degree 0.
// Errors: one-line sotto::Error naming the file for every malformed input (truncated data, trailing bytes,
// missing/unknown-type properties, counts past kMaxSplats or that overflow, NaN/Inf values, a zero quaternion,
// a scale whose exp overflows). Does not: write scenes (tools/splat/make_fixtures.py does), compress (.ksplat, spz).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sotto::splat {

inline constexpr size_t kMaxSplats = size_t(1) << 26;  // 67M splats: far past any scene a device renders
inline constexpr int kShCoeffs = 16;                   // per channel, degree 3

struct Scene {
  int sh_degree = 0;           // 0..3: coefficients 0..(deg+1)^2-1 of each channel are used
  std::vector<float> pos;      // [n, 3]
  std::vector<float> scale;    // [n, 3] linear
  std::vector<float> rot;      // [n, 4] w, x, y, z, unit length
  std::vector<float> opacity;  // [n] in (0, 1)
  std::vector<float> sh;       // [n, 16, 3]: coefficient k of channel c at (i * 16 + k) * 3 + c; unused k are 0
  size_t size() const { return opacity.size(); }
};

// By content: a file starting "ply\n" is a .ply, otherwise the name must end in .splat.
Scene read_scene(const std::string& path);
Scene parse_ply(const uint8_t* data, size_t size, const std::string& name);
Scene parse_splat(const uint8_t* data, size_t size, const std::string& name);
Scene parse_scene(const uint8_t* data, size_t size, const std::string& name);

}  // namespace sotto::splat
