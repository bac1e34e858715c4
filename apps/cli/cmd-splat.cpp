// cmd-splat.cpp — `sotto splat`: Gaussian-splat scenes (issue 23, docs/splats.md).
//   sotto splat info SCENE                 splat count, SH degree, bounds
//   sotto splat render SCENE --view AZ,EL,RADIUS[,FOV] [--target X,Y,Z] --size WxH [--bg R,G,B] --out frame.png
// render: the CPU reference renderer (splat/render.h) from an orbit camera around --target (y-up world; azimuth 0
// looks from +z, elevation up to +-89 degrees, FOV vertical, default 50), written as an 8-bit RGB PNG (values
// clamped to [0, 1]) through libpng; --raw FILE also writes the [H, W, 3] float32 frame.
// Does not: render on the GPU (that path is the wasm build's), write scenes.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#if __has_include(<png.h>) && !defined(SOTTO_NO_IMAGE_LIBS)  // CMakeLists.txt: no libpng to link
#include <png.h>
#define SOTTO_HAVE_PNG 1
#endif

#include "cli.h"
#include "core/error.h"
#include "splat/render.h"
#include "splat/scene.h"

namespace sotto::cli {
namespace {

// "1,2,3" -> exactly `n_min`..`n_max` finite numbers.
std::vector<float> parse_floats(const ArgParser& ap, const std::string& opt, const std::string& s, size_t n_min, size_t n_max) {
  std::vector<float> v;
  size_t i = 0;
  while (i <= s.size()) {
    const size_t j = std::min(s.find(',', i), s.size());
    const std::string part = s.substr(i, j - i);
    char* end = nullptr;
    const float x = std::strtof(part.c_str(), &end);
    if (part.empty() || *end != '\0' || !std::isfinite(x)) ap.usage_error(opt + " '" + s + "': expected comma-separated numbers");
    v.push_back(x);
    i = j + 1;
  }
  if (v.size() < n_min || v.size() > n_max) {
    std::string want = std::to_string(n_min);
    if (n_max > n_min) want += " or " + std::to_string(n_max);
    ap.usage_error(opt + " '" + s + "': expected " + want + " numbers");
  }
  return v;
}

void write_png(const std::string& path, const std::vector<float>& img, int w, int h) {
#ifdef SOTTO_HAVE_PNG
  std::vector<uint8_t> rgb(img.size());
  for (size_t i = 0; i < img.size(); ++i) rgb[i] = uint8_t(std::lround(std::clamp(img[i], 0.0f, 1.0f) * 255.0f));
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) fail(path, ": cannot open for writing");
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    std::fclose(f);
    fail(path, ": cannot write the PNG");
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, png_uint_32(w), png_uint_32(h), 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < h; ++y) png_write_row(png, &rgb[size_t(y) * size_t(w) * 3]);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  if (std::fclose(f) != 0) fail(path, ": cannot write the PNG");
#else
  (void)img, (void)w, (void)h;
  fail(path, ": this build has no libpng (use --raw)");
#endif
}

int run_info(const std::string& path) {
  const splat::Scene s = splat::read_scene(path);
  std::printf("%s: %zu splats, SH degree %d\n", path.c_str(), s.size(), s.sh_degree);
  if (s.size() == 0) return 0;
  float lo[3] = {s.pos[0], s.pos[1], s.pos[2]}, hi[3] = {lo[0], lo[1], lo[2]};
  for (size_t i = 0; i < s.size(); ++i)
    for (int k = 0; k < 3; ++k) {
      lo[k] = std::min(lo[k], s.pos[i * 3 + size_t(k)]);
      hi[k] = std::max(hi[k], s.pos[i * 3 + size_t(k)]);
    }
  std::printf("bounds: x [%g, %g], y [%g, %g], z [%g, %g]\n", lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]);
  return 0;
}

}  // namespace

int run_splat(int argc, char** argv) {
  std::string action, scene_path, view = "0,20,4", target = "0,0,0", size = "640x480", bg = "0,0,0", out, raw;
  ArgParser ap("sotto splat", "info SCENE | render SCENE --view AZ,EL,RADIUS[,FOV] --size WxH --out frame.png",
               "Gaussian-splat scenes (3DGS binary .ply, SH degree 0..3, or the 32-byte .splat layout): `info` prints "
               "the splat count and bounds; `render` draws one view with the CPU reference renderer.");
  ap.positional("ACTION", &action, "info or render");
  ap.positional("SCENE", &scene_path, "the scene file (.ply or .splat)");
  ap.option("--view", &view, "AZ,EL,RADIUS[,FOV]", "orbit camera: azimuth and elevation in degrees, distance, vertical fov (50)");
  ap.option("--target", &target, "X,Y,Z", "the point the camera orbits and looks at (0,0,0)");
  ap.option("--size", &size, "WxH", "image size in pixels (640x480)");
  ap.option("--bg", &bg, "R,G,B", "background colour in [0, 1] (0,0,0)");
  ap.option("-o,--out", &out, "FILE.png", "the frame as an 8-bit RGB PNG");
  ap.option("--raw", &raw, "FILE", "the frame as raw float32 [H, W, 3]");
  if (!ap.parse(argc, argv)) return 0;
  if (action == "info") return run_info(scene_path);
  if (action != "render") ap.usage_error("unknown action '" + action + "' (info or render)");
  if (out.empty() && raw.empty()) ap.usage_error("render needs --out FILE.png or --raw FILE");
  const auto v = parse_floats(ap, "--view", view, 3, 4);
  const auto t = parse_floats(ap, "--target", target, 3, 3);
  const auto b = parse_floats(ap, "--bg", bg, 3, 3);
  int w = 0, h = 0;
  char x = 0, extra = 0;
  if (std::sscanf(size.c_str(), "%d%c%d%c", &w, &x, &h, &extra) != 3 || x != 'x' || w < 1 || h < 1 || w > 16384 || h > 16384)
    ap.usage_error("--size '" + size + "': expected WxH, each 1..16384");
  if (!(v[2] > 0)) ap.usage_error("--view: the radius must be positive");
  splat::OrbitView ov;
  ov.azimuth_deg = v[0];
  ov.elevation_deg = v[1];
  ov.radius = v[2];
  if (v.size() == 4) ov.fov_y_deg = v[3];
  if (!(ov.fov_y_deg > 0 && ov.fov_y_deg < 180)) ap.usage_error("--view: the fov must be in (0, 180) degrees");
  for (int k = 0; k < 3; ++k) ov.target[k] = t[size_t(k)];
  const splat::Scene scene = splat::read_scene(scene_path);
  const std::vector<float> img = splat::render(scene, splat::orbit_camera(ov, w, h), b.data());
  if (!raw.empty()) {
    std::FILE* f = std::fopen(raw.c_str(), "wb");
    if (!f) fail(raw, ": cannot open for writing");
    const bool ok = std::fwrite(img.data(), 4, img.size(), f) == img.size();
    if (std::fclose(f) != 0 || !ok) fail(raw, ": cannot write");
  }
  if (!out.empty()) write_png(out, img, w, h);
  std::printf("%s: %zu splats, %d x %d%s%s\n", scene_path.c_str(), scene.size(), w, h, out.empty() ? "" : " -> ",
              out.c_str());
  return 0;
}

}  // namespace sotto::cli
