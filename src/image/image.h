// image.h — decode PNG and JPEG files into 8-bit RGB, upright (EXIF orientation applied).
// Decoding is the well-kept libraries' (STYLE.md 15): libpng's simplified png_image API (any PNG: palette, grey,
// 16-bit, alpha, interlaced), libjpeg-turbo's TurboJPEG API (baseline and progressive; CMYK refused), libexif for the
// JPEG's EXIF Orientation tag (1..8; the image is rotated/mirrored so that it shows as a viewer would show it).
// Alpha is composited over white (as the Idefics3 processor's convert_to_rgb does).
// Every failure is a one-line sotto::Error naming the file: missing or unreadable, not PNG/JPEG (the format is
// told from the first bytes, never the extension), corrupt, truncated (a JPEG warning such as "premature end of
// data" is an error, not a grey bottom half), and an image whose width x height passes max_pixels — checked from the
// header, BEFORE any pixel memory is allocated or decoding starts. Progressive JPEGs with more than 500 scans are
// refused (libjpeg-turbo's TJFLAG_LIMITSCANS: a known way to make a small file decode for minutes).
// Does not: resize or normalise (image/processor.h), read other formats (GIF, WebP, HEIC: refused by name),
// apply colour profiles (ICC is ignored; pixels are taken as sRGB), read PNG's eXIf orientation (rare; ignored).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sotto::image {

struct Rgb8 {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  // [height][width][3], rows top to bottom, R G B
  uint8_t at(int x, int y, int c) const { return pixels[(size_t(y) * size_t(width) + size_t(x)) * 3 + size_t(c)]; }
};

// 50 megapixels: a 12000 x 4000 panorama decodes; a 65535 x 65535 header (12 GiB of RGB) is refused at once.
inline constexpr uint64_t kMaxPixels = 50'000'000;
// Largest file read: 256 MiB.
inline constexpr size_t kMaxImageBytes = size_t(256) << 20;

enum class Format { unknown, png, jpeg };
// From the first bytes only. 
Format sniff(const uint8_t* data, size_t size);

// What the header says, without decoding pixels (width and height as stored, before EXIF orientation).
struct ImageInfo {
  Format format = Format::unknown;
  int width = 0, height = 0;
  int orientation = 1;  // EXIF 1..8 (1: as stored)
};
ImageInfo read_info_memory(const uint8_t* data, size_t size, const std::string& name);

// Decodes a whole file held in memory; `name` labels errors.
Rgb8 decode_memory(const uint8_t* data, size_t size, const std::string& name, uint64_t max_pixels = kMaxPixels);
Rgb8 load_image(const std::string& path, uint64_t max_pixels = kMaxPixels);

// The image as shown for EXIF orientation o (1..8; others leave it unchanged). 5..8 swap width and height.
Rgb8 apply_orientation(const Rgb8& img, int orientation);

// Pixels decoded by someone else (a browser's createImageBitmap + canvas getImageData: 8-bit RGBA, straight alpha,
// rows top to bottom, already upright) as Rgb8: alpha composited over white as decode does for a PNG with alpha
// (rgba.cpp). One-line errors naming `name`: an empty size, more than max_pixels pixels (checked before anything is
// allocated: check_size), `size` != width * height * 4.
void check_size(const std::string& name, int64_t width, int64_t height, uint64_t max_pixels = kMaxPixels);
Rgb8 from_rgba(const uint8_t* rgba, size_t size, int width, int height, const std::string& name,
               uint64_t max_pixels = kMaxPixels);
// n_pixels of RGBA over opaque white into RGB with Pillow's Image.alpha_composite arithmetic (the processor's
// convert_to_rgb): rgb holds n_pixels * 3 bytes.
void rgba_over_white(const uint8_t* rgba, size_t n_pixels, uint8_t* rgb);

}  // namespace sotto::image
