// processor.cpp — Idefics3 / SmolVLM image processing and prompt layout. Contract: processor.h.
#include "image/processor.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/error.h"

namespace sotto::image {
namespace {

// ---- PIL-compatible separable Lanczos (a = 3), 8-bit
constexpr int kPrecisionBits = 32 - 8 - 2;

double sinc(double x) {
  if (x == 0.0) return 1.0;
  x *= M_PI;
  return std::sin(x) / x;
}
double lanczos(double x) { return (x > -3.0 && x < 3.0) ? sinc(x) * sinc(x / 3.0) : 0.0; }

struct Coeffs {
  int ksize = 0;
  std::vector<int> bounds;  // per output: first input index, count
  std::vector<int> k;       // per output: ksize fixed-point weights
};

Coeffs coeffs(int in_size, int out_size) {
  const double scale = double(in_size) / double(out_size);
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = 3.0 * filterscale;
  Coeffs c;
  c.ksize = int(std::ceil(support)) * 2 + 1;
  c.bounds.resize(size_t(out_size) * 2);
  c.k.assign(size_t(out_size) * size_t(c.ksize), 0);
  std::vector<double> w(size_t(c.ksize));
  for (int xx = 0; xx < out_size; xx++) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = int(center - support + 0.5);  // truncation toward zero, as C's (int)
    if (xmin < 0) xmin = 0;
    int xmax = int(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; x++) {
      w[size_t(x)] = lanczos((x + xmin - center + 0.5) * ss);
      ww += w[size_t(x)];
    }
    for (int x = 0; x < xmax; x++) {
      const double v = ww != 0.0 ? w[size_t(x)] / ww : w[size_t(x)];
      c.k[size_t(xx) * size_t(c.ksize) + size_t(x)] =
          v < 0 ? int(-0.5 + v * (1 << kPrecisionBits)) : int(0.5 + v * (1 << kPrecisionBits));
    }
    c.bounds[size_t(xx) * 2] = xmin;
    c.bounds[size_t(xx) * 2 + 1] = xmax;
  }
  return c;
}

uint8_t clip8(int v) {
  if (v >= (1 << kPrecisionBits << 8)) return 255;
  if (v <= 0) return 0;
  return uint8_t(v >> kPrecisionBits);
}

// Rows [y0, y0 + n) of `in`, resized horizontally to w.
Rgb8 horizontal(const Rgb8& in, int w, int y0, int n) {
  const Coeffs c = coeffs(in.width, w);
  Rgb8 out;
  out.width = w;
  out.height = n;
  out.pixels.resize(size_t(w) * size_t(n) * 3);
  for (int y = 0; y < n; y++) {
    const uint8_t* row = &in.pixels[size_t(y0 + y) * size_t(in.width) * 3];
    for (int xx = 0; xx < w; xx++) {
      const int xmin = c.bounds[size_t(xx) * 2], cnt = c.bounds[size_t(xx) * 2 + 1];
      const int* k = &c.k[size_t(xx) * size_t(c.ksize)];
      for (int ch = 0; ch < 3; ch++) {
        int ss = 1 << (kPrecisionBits - 1);
        for (int x = 0; x < cnt; x++) ss += int(row[size_t(x + xmin) * 3 + size_t(ch)]) * k[x];
        out.pixels[(size_t(y) * size_t(w) + size_t(xx)) * 3 + size_t(ch)] = clip8(ss);
      }
    }
  }
  return out;
}

// `in` resized vertically to h, its rows being those of the source from y_first on.
Rgb8 vertical(const Rgb8& in, const Coeffs& c, int y_first, int h) {
  Rgb8 out;
  out.width = in.width;
  out.height = h;
  out.pixels.resize(size_t(in.width) * size_t(h) * 3);
  const size_t stride = size_t(in.width) * 3;
  for (int yy = 0; yy < h; yy++) {
    const int ymin = c.bounds[size_t(yy) * 2] - y_first, cnt = c.bounds[size_t(yy) * 2 + 1];
    const int* k = &c.k[size_t(yy) * size_t(c.ksize)];
    for (size_t i = 0; i < stride; i++) {
      int ss = 1 << (kPrecisionBits - 1);
      for (int y = 0; y < cnt; y++) ss += int(in.pixels[size_t(ymin + y) * stride + i]) * k[y];
      out.pixels[size_t(yy) * stride + i] = clip8(ss);
    }
  }
  return out;
}

Rgb8 crop(const Rgb8& in, int x0, int y0, int w, int h) {
  Rgb8 out;
  out.width = w;
  out.height = h;
  out.pixels.resize(size_t(w) * size_t(h) * 3);
  for (int y = 0; y < h; y++) {
    std::memcpy(&out.pixels[size_t(y) * size_t(w) * 3], &in.pixels[(size_t(y0 + y) * size_t(in.width) + size_t(x0)) * 3],
                size_t(w) * 3);
  }
  return out;
}

int ceil_div(int a, int b) { return (a + b - 1) / b; }

}  // namespace

Rgb8 resize_lanczos(const Rgb8& img, int w, int h) {
  if (w <= 0 || h <= 0 || img.width <= 0 || img.height <= 0) fail("image resize: empty size");
  const bool need_h = w != img.width, need_v = h != img.height;
  if (!need_h && !need_v) return img;
  if (!need_v) return horizontal(img, w, 0, img.height);
  const Coeffs cv = coeffs(img.height, h);
  if (!need_h) return vertical(img, cv, 0, h);
  // Only the source rows the vertical pass reads go through the horizontal pass (as Pillow does).
  const int y_first = cv.bounds[0];
  const int y_last = cv.bounds[size_t(h) * 2 - 2] + cv.bounds[size_t(h) * 2 - 1];
  return vertical(horizontal(img, w, y_first, y_last - y_first), cv, y_first, h);
}

ResizePlan plan_resize(int width, int height, const ProcessorConfig& cfg) {
  if (width <= 0 || height <= 0) fail("image processor: empty image");
  if (cfg.tile <= 0 || cfg.longest_edge <= 0 || cfg.longest_edge > cfg.max_edge) fail("image processor: bad sizes");
  ResizePlan p;
  // 1. longest edge -> longest_edge, the other made even, then under max_edge
  double aspect = double(width) / double(height);
  int w = width, h = height;
  if (w >= h) {
    w = cfg.longest_edge;
    h = int(double(w) / aspect);
    if (h % 2 != 0) h++;
  } else {
    h = cfg.longest_edge;
    w = int(double(h) * aspect);
    if (w % 2 != 0) w++;
  }
  h = std::max(h, 1);
  w = std::max(w, 1);
  aspect = double(w) / double(h);
  if (w >= h && w > cfg.max_edge) {
    w = cfg.max_edge;
    h = int(double(w) / aspect);
  } else if (h > w && h > cfg.max_edge) {
    h = cfg.max_edge;
    w = int(double(h) * aspect);
  }
  p.w1 = std::max(w, 1);
  p.h1 = std::max(h, 1);
  // 2. multiples of tile
  aspect = double(p.w1) / double(p.h1);
  if (p.w1 >= p.h1) {
    w = ceil_div(p.w1, cfg.tile) * cfg.tile;
    h = int(double(w) / aspect);
    h = ceil_div(h, cfg.tile) * cfg.tile;
  } else {
    h = ceil_div(p.h1, cfg.tile) * cfg.tile;
    w = int(double(h) * aspect);
    w = ceil_div(w, cfg.tile) * cfg.tile;
  }
  p.w2 = w;
  p.h2 = h;
  return p;
}

Processed process(const Rgb8& img, const ProcessorConfig& cfg) {
  const ResizePlan p = plan_resize(img.width, img.height, cfg);
  const Rgb8 r = resize_lanczos(resize_lanczos(img, p.w1, p.h1), p.w2, p.h2);
  Processed out;
  out.resized_width = p.w2;
  out.resized_height = p.h2;
  if (p.w2 > cfg.tile || p.h2 > cfg.tile) {
    out.rows = ceil_div(p.h2, cfg.tile);
    out.cols = ceil_div(p.w2, cfg.tile);
    const int th = ceil_div(p.h2, out.rows), tw = ceil_div(p.w2, out.cols);  // == tile (edges are multiples)
    for (int rr = 0; rr < out.rows; rr++) {
      for (int cc = 0; cc < out.cols; cc++) {
        const int x0 = cc * tw, y0 = rr * th;
        out.tiles.push_back(crop(r, x0, y0, std::min(tw, p.w2 - x0), std::min(th, p.h2 - y0)));
      }
    }
    out.tiles.push_back(resize_lanczos(r, cfg.tile, cfg.tile));
  } else {
    out.tiles.push_back(r);
  }
  return out;
}

std::vector<float> pixel_values(const Rgb8& tile, const ProcessorConfig& cfg) {
  const size_t n = size_t(tile.width) * size_t(tile.height);
  std::vector<float> out(n * 3);
  for (int c = 0; c < 3; c++) {
    for (size_t i = 0; i < n; i++) {
      const float x = float(tile.pixels[i * 3 + size_t(c)]) * float(1.0 / 255.0);
      out[size_t(c) * n + i] = (x - cfg.mean[c]) / cfg.std[c];
    }
  }
  return out;
}

std::string image_prompt(int rows, int cols, int image_seq_len) {
  const std::string fake = "<fake_token_around_image>", img = "<image>", global = "<global-img>";
  std::string seq;
  for (int i = 0; i < image_seq_len; i++) seq += img;
  if (rows == 0 && cols == 0) return fake + global + seq + fake;
  std::string s;
  for (int r = 0; r < rows; r++) {
    for (int c = 0; c < cols; c++) s += fake + "<row_" + std::to_string(r + 1) + "_col_" + std::to_string(c + 1) + ">" + seq;
    s += "\n";
  }
  return s + "\n" + fake + global + seq + fake;
}

}  // namespace sotto::image
