// rgba.cpp — RGBA pixels from elsewhere (a browser's canvas) into Rgb8, and alpha over white. Contract: image.h.
// No image library: this file is also built into the wasm engine (wasm/build.sh), where the page decodes.
#include <string>

#include "core/error.h"
#include "image/image.h"

namespace sotto::image {

void check_size(const std::string& name, int64_t width, int64_t height, uint64_t max_pixels) {
  if (width <= 0 || height <= 0) {
    fail(name, ": empty image (", std::to_string(width), " x ", std::to_string(height), ")");
  }
  // Both are below 2^63 and at least 1, so a product past max_pixels shows in either factor first.
  if (uint64_t(width) > max_pixels || uint64_t(height) > max_pixels ||
      uint64_t(width) * uint64_t(height) > max_pixels) {
    fail(name, ": image is ", std::to_string(width), " x ", std::to_string(height), " pixels, more than the limit of ",
         std::to_string(max_pixels), " (resize it first)");
  }
}

void rgba_over_white(const uint8_t* rgba, size_t n_pixels, uint8_t* rgb) {
  // With an opaque background Pillow's alpha_composite coefficients reduce to a * 128 and (255 - a) * 128 (7
  // fractional bits), then a rounded division by 255.
  for (size_t i = 0; i < n_pixels; i++) {
    const uint32_t a = rgba[i * 4 + 3];
    for (size_t c = 0; c < 3; c++) {
      uint32_t v = 255;
      if (a != 0) {
        const uint32_t t = uint32_t(rgba[i * 4 + c]) * (a << 7) + 255u * ((255u - a) << 7) + (0x80u << 7);
        v = (((t >> 8) + t) >> 8) >> 7;
      }
      rgb[i * 3 + c] = uint8_t(v);
    }
  }
}

Rgb8 from_rgba(const uint8_t* rgba, size_t size, int width, int height, const std::string& name, uint64_t max_pixels) {
  check_size(name, width, height, max_pixels);
  const size_t n = size_t(width) * size_t(height);
  if (size != n * 4) {
    fail(name, ": ", std::to_string(size), " bytes of pixels for a ", std::to_string(width), " x ",
         std::to_string(height), " RGBA image (", std::to_string(n * 4), " expected)");
  }
  Rgb8 out;
  out.width = width;
  out.height = height;
  out.pixels.resize(n * 3);
  rgba_over_white(rgba, n, out.pixels.data());
  return out;
}

}  // namespace sotto::image
