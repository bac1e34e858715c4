// image.cpp — PNG (libpng simplified API), JPEG (TurboJPEG) and EXIF orientation (libexif). Contract: image.h.
// Built with SOTTO_NO_IMAGE_LIBS (CMakeLists.txt, where the libraries are missing: the GPU machine's builds), every
// decode is one error saying so; the rest of the engine is unaffected.
#include "image/image.h"

#ifndef SOTTO_NO_IMAGE_LIBS
#include <libexif/exif-data.h>
#include <png.h>
#include <turbojpeg.h>
#endif

#include <cstring>
#include <memory>

#include "core/error.h"
#include "core/file.h"

namespace sotto::image {
namespace {

#ifndef SOTTO_NO_IMAGE_LIBS
void check_pixels(const std::string& name, const char* what, uint64_t w, uint64_t h, uint64_t max_pixels) {
  if (w == 0 || h == 0) fail(name, ": ", what, " header gives an empty image (", std::to_string(w), " x ", std::to_string(h), ")");
  if (w * h > max_pixels) {
    fail(name, ": image is ", std::to_string(w), " x ", std::to_string(h), " = ", std::to_string(w * h),
         " pixels, more than the limit of ", std::to_string(max_pixels), " (resize it first)");
  }
}

// ---- PNG
struct PngImage {
  png_image img;
  PngImage() {
    std::memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
  }
  ~PngImage() { png_image_free(&img); }
};

[[noreturn]] void png_fail(const std::string& name, const png_image& img) {
  std::string msg = img.message;
  if (msg.find("EOF") != std::string::npos || msg.find("end of") != std::string::npos ||
      msg.find("Read Error") != std::string::npos || msg.find("not enough") != std::string::npos) {
    fail(name, ": PNG file is truncated or corrupt (libpng: ", msg, ")");
  }
  fail(name, ": corrupt PNG file (libpng: ", msg, ")");
}

Rgb8 decode_png(const uint8_t* data, size_t size, const std::string& name, uint64_t max_pixels, ImageInfo* info) {
  PngImage p;
  if (!png_image_begin_read_from_memory(&p.img, data, size)) png_fail(name, p.img);
  if (info) {
    info->width = int(p.img.width);
    info->height = int(p.img.height);
    return {};
  }
  check_pixels(name, "PNG", p.img.width, p.img.height, max_pixels);
  const bool alpha = (p.img.format & PNG_FORMAT_FLAG_ALPHA) != 0;
  p.img.format = alpha ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB;  // grey and palette expanded, 16-bit reduced
  std::vector<uint8_t> buf(PNG_IMAGE_SIZE(p.img));
  if (!png_image_finish_read(&p.img, nullptr, buf.data(), 0, nullptr)) png_fail(name, p.img);
  if (p.img.warning_or_error & PNG_IMAGE_ERROR) png_fail(name, p.img);
  Rgb8 out;
  out.width = int(p.img.width);
  out.height = int(p.img.height);
  if (!alpha) {
    out.pixels = std::move(buf);
    return out;
  }
  // Over opaque white, as the processor's convert_to_rgb does (rgba.cpp).
  const size_t n = size_t(out.width) * size_t(out.height);
  out.pixels.resize(n * 3);
  rgba_over_white(buf.data(), n, out.pixels.data());
  return out;
}

// ---- JPEG
struct TjHandle {
  tjhandle h = tjInitDecompress();
  ~TjHandle() {
    if (h) tjDestroy(h);
  }
};

int exif_orientation(const uint8_t* data, size_t size) {
  ExifData* ed = exif_data_new();
  if (!ed) return 1;
  exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);  // read as stored; never "fix" entries
  exif_data_set_option(ed, EXIF_DATA_OPTION_IGNORE_UNKNOWN_TAGS);
  exif_data_load_data(ed, data, unsigned(std::min<size_t>(size, 0xffffffffu)));
  int o = 1;
  if (ExifEntry* e = exif_data_get_entry(ed, EXIF_TAG_ORIENTATION)) {
    if (e->format == EXIF_FORMAT_SHORT && e->components >= 1 && e->data && e->size >= 2) {
      const int v = exif_get_short(e->data, exif_data_get_byte_order(ed));
      if (v >= 1 && v <= 8) o = v;  // other values: as stored
    }
  }
  exif_data_unref(ed);
  return o;
}

Rgb8 decode_jpeg(const uint8_t* data, size_t size, const std::string& name, uint64_t max_pixels, ImageInfo* info) {
  TjHandle tj;
  if (!tj.h) fail(name, ": cannot start the JPEG decoder (", tjGetErrorStr2(nullptr), ")");
  int w = 0, h = 0, subsamp = 0, cs = 0;
  if (tjDecompressHeader3(tj.h, data, (unsigned long)size, &w, &h, &subsamp, &cs) != 0) {
    fail(name, ": JPEG header is corrupt or truncated (libjpeg-turbo: ", tjGetErrorStr2(tj.h), ")");
  }
  const int orientation = exif_orientation(data, size);
  if (info) {
    info->width = w;
    info->height = h;
    info->orientation = orientation;
    return {};
  }
  check_pixels(name, "JPEG", uint64_t(w), uint64_t(h), max_pixels);
  if (cs == TJCS_CMYK || cs == TJCS_YCCK) fail(name, ": CMYK JPEG images are not supported (save it as RGB)");
  Rgb8 out;
  out.width = w;
  out.height = h;
  out.pixels.resize(size_t(w) * size_t(h) * 3);
  if (tjDecompress2(tj.h, data, (unsigned long)size, out.pixels.data(), w, 0, h, TJPF_RGB,
                    TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS) != 0) {
    const std::string why = tjGetErrorStr2(tj.h);
    if (why.find("Premature end") != std::string::npos) fail(name, ": JPEG file is truncated (libjpeg-turbo: ", why, ")");
    fail(name, ": corrupt JPEG data (libjpeg-turbo: ", why, ")");
  }
  return orientation == 1 ? out : apply_orientation(out, orientation);
}

#else
[[noreturn]] void no_libs(const std::string& name) {
  fail(name, ": this build cannot decode images (libpng, libturbojpeg and libexif were not found when it was built)");
}
Rgb8 decode_png(const uint8_t*, size_t, const std::string& name, uint64_t, ImageInfo*) { no_libs(name); }
Rgb8 decode_jpeg(const uint8_t*, size_t, const std::string& name, uint64_t, ImageInfo*) { no_libs(name); }
#endif

const char* other_format(const uint8_t* d, size_t n) {
  auto starts = [&](const char* s) { return n >= std::strlen(s) && std::memcmp(d, s, std::strlen(s)) == 0; };
  if (starts("GIF87a") || starts("GIF89a")) return "GIF";
  if (n >= 12 && starts("RIFF") && std::memcmp(d + 8, "WEBP", 4) == 0) return "WebP";
  if (n >= 12 && std::memcmp(d + 4, "ftyp", 4) == 0) return "HEIF/AVIF";
  if (starts("BM")) return "BMP";
  if (starts("II*") || starts("MM")) return "TIFF";
  return nullptr;
}

Rgb8 decode(const uint8_t* data, size_t size, const std::string& name, uint64_t max_pixels, ImageInfo* info) {
  if (size == 0) fail(name, ": empty file (not an image)");
  switch (sniff(data, size)) {
    case Format::png:
      if (info) info->format = Format::png;
      return decode_png(data, size, name, max_pixels, info);
    case Format::jpeg:
      if (info) info->format = Format::jpeg;
      return decode_jpeg(data, size, name, max_pixels, info);
    case Format::unknown:
      break;
  }
  if (const char* f = other_format(data, size)) fail(name, ": ", f, " images are not supported (PNG or JPEG only)");
  fail(name, ": not a PNG or JPEG image");
}

}  // namespace

Format sniff(const uint8_t* d, size_t n) {
  static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
  if (n >= 8 && std::memcmp(d, png_sig, 8) == 0) return Format::png;
  if (n >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff) return Format::jpeg;
  return Format::unknown;
}

ImageInfo read_info_memory(const uint8_t* data, size_t size, const std::string& name) {
  ImageInfo info;
  decode(data, size, name, 0, &info);
  return info;
}

Rgb8 decode_memory(const uint8_t* data, size_t size, const std::string& name, uint64_t max_pixels) {
  return decode(data, size, name, max_pixels, nullptr);
}

Rgb8 load_image(const std::string& path, uint64_t max_pixels) {
  const std::string bytes = read_file(path, kMaxImageBytes);
  return decode_memory(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), path, max_pixels);
}

Rgb8 apply_orientation(const Rgb8& in, int o) {
  if (o < 2 || o > 8) return in;
  const int W = in.width, H = in.height;
  const bool swap = o >= 5;
  Rgb8 out;
  out.width = swap ? H : W;
  out.height = swap ? W : H;
  out.pixels.resize(in.pixels.size());
  for (int y = 0; y < out.height; y++) {
    for (int x = 0; x < out.width; x++) {
      int sx = x, sy = y;  // the stored pixel shown at (x, y)
      switch (o) {
        case 2: sx = W - 1 - x; break;                   // mirrored left-right
        case 3: sx = W - 1 - x; sy = H - 1 - y; break;   // rotated 180
        case 4: sy = H - 1 - y; break;                   // mirrored top-bottom
        case 5: sx = y; sy = x; break;                   // transposed
        case 6: sx = y; sy = H - 1 - x; break;           // needs 90 degrees clockwise
        case 7: sx = W - 1 - y; sy = H - 1 - x; break;   // transversed
        case 8: sx = W - 1 - y; sy = x; break;           // needs 90 degrees counter-clockwise
      }
      std::memcpy(&out.pixels[(size_t(y) * size_t(out.width) + size_t(x)) * 3],
                  &in.pixels[(size_t(sy) * size_t(W) + size_t(sx)) * 3], 3);
    }
  }
  return out;
}

}  // namespace sotto::image
