// fuzz-splat.cpp — libFuzzer target: the splat scene readers (splat/scene.h) on arbitrary bytes (a .ply when the
// bytes start "ply\n", the 32-byte .splat layout otherwise), and the CPU renderer on what they accept.
// Properties: the arrays agree in size; every value is finite; rotations are unit length; opacity is in [0, 1];
// scales are >= 0; the SH degree is 0..3; an 8 x 8 render of a small accepted scene is finite.
#include <cmath>

#include "core/error.h"
#include "fuzz.h"
#include "splat/render.h"
#include "splat/scene.h"

using namespace sotto;
using namespace sotto::splat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const Scene s = parse_scene(data, size, "fuzz.splat");
    const size_t n = s.size();
    FUZZ_CHECK(s.sh_degree >= 0 && s.sh_degree <= 3);
    FUZZ_CHECK(s.pos.size() == n * 3 && s.scale.size() == n * 3 && s.rot.size() == n * 4 && s.sh.size() == n * 48);
    for (size_t i = 0; i < n; ++i) {
      FUZZ_CHECK(s.opacity[i] >= 0.0f && s.opacity[i] <= 1.0f);
      const float* q = &s.rot[i * 4];
      FUZZ_CHECK(std::fabs(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3] - 1.0f) < 1e-4f);
      for (int k = 0; k < 3; ++k) FUZZ_CHECK(std::isfinite(s.pos[i * 3 + k]) && s.scale[i * 3 + k] >= 0.0f);
      for (int k = 0; k < 3; ++k) FUZZ_CHECK(std::isfinite(s.scale[i * 3 + k]));
    }
    for (float v : s.sh) FUZZ_CHECK(std::isfinite(v));
    if (n > 0 && n <= 64) {
      OrbitView v;
      v.radius = 3.0f;
      const float bg[3] = {0, 0, 0};
      for (float x : render(s, orbit_camera(v, 8, 8), bg)) FUZZ_CHECK(!std::isnan(x));
    }
  } catch (const Error&) {
  }
  return 0;
}
