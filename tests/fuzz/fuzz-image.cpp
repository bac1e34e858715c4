// fuzz-image.cpp — libFuzzer target: the image decoder (image/image.h: libpng, TurboJPEG, libexif) on arbitrary bytes,
// then the SmolVLM processor (image/processor.h) on what decodes, at a small setting (longest edge 64, tile 16) so
// every aspect ratio the fuzzer finds is tiled. The pixel limit is 1 Mpixel here so one input stays fast.
// Properties: a decoded image has width * height * 3 bytes and agrees with read_info_memory (orientations 5..8 swap
// the sides); tiles are tile x tile, rows * cols + 1 of them when split, else one; pixel values lie in [-1, 1].
#include <cstring>

#include "core/error.h"
#include "fuzz.h"
#include "image/image.h"
#include "image/processor.h"

using namespace sotto;
using namespace sotto::image;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Rgb8 img;
  try {
    img = decode_memory(data, size, "fuzz.img", 1u << 20);
  } catch (const Error&) {
    return 0;
  }
  FUZZ_CHECK(img.width > 0 && img.height > 0);
  FUZZ_CHECK(img.pixels.size() == size_t(img.width) * size_t(img.height) * 3);
  const ImageInfo info = read_info_memory(data, size, "fuzz.img");
  const bool swap = info.format == Format::jpeg && info.orientation >= 5;
  FUZZ_CHECK((swap ? info.height : info.width) == img.width && (swap ? info.width : info.height) == img.height);
  ProcessorConfig cfg;
  cfg.longest_edge = 64;
  cfg.tile = 16;
  const Processed p = process(img, cfg);
  FUZZ_CHECK(p.tiles.size() == (p.rows ? size_t(p.rows) * size_t(p.cols) + 1 : 1));
  for (const Rgb8& t : p.tiles) FUZZ_CHECK(t.width == cfg.tile && t.height == cfg.tile);
  for (float v : pixel_values(p.tiles.back(), cfg)) FUZZ_CHECK(v >= -1.0f && v <= 1.0f);
  return 0;
}
