// processor.h — the Idefics3 / SmolVLM image processor and the image's place in the prompt, restated from the
// published rules (transformers' Idefics3ImageProcessor / SmolVLMImageProcessor with do_image_splitting, and
// SmolVLMProcessor's prompt expansion); tools/ref/idefics3_processor.py states the same rules in Python and
// tests/test-image-processor.cpp compares the two.
//   1. resize so the longest edge is `longest_edge` (up or down): the other edge int(longest / aspect), made even;
//      then capped at 4096 on the longest edge;
//   2. resize again so both edges are multiples of `tile` (the longer edge rounded up, the other int(long / aspect)
//      rounded up);
//   3. if either edge is > tile: cut into rows x cols tiles of tile x tile, row-major, then a global image (the
//      whole step-2 image resized to tile x tile, aspect ignored); else rows = cols = 0 and the one image;
//   4. pixel values: x / 255 (rescale), then (x - mean) / std per channel (SmolVLM: 0.5 and 0.5).
// Resampling filter: every resize is PIL's Image.resize(LANCZOS) on 8-bit RGB (what the published processor calls,
// resample=LANCZOS): Lanczos a=3, support scaled by the reduction factor (antialiasing when shrinking), separable,
// horizontal pass first, 22-bit fixed-point coefficients, 8-bit rounding after each pass. Bit-exact with Pillow 9.4
// on the fixtures (tests/fixtures/vision/processor-*).
// Does not: decode files (image.h), run the encoder (models/siglip.h), tokenize the prompt.
#pragma once

#include <string>
#include <vector>

#include "image/image.h"

namespace sotto::image {

struct ProcessorConfig {
  int longest_edge = 2048;  // size["longest_edge"] (SmolVLM-256M: 4 x 512)
  int tile = 512;           // max_image_size["longest_edge"] = the vision encoder's image size
  int max_edge = 4096;      // the processor's absolute cap (MAX_IMAGE_SIZE)
  float mean[3] = {0.5f, 0.5f, 0.5f};
  float std[3] = {0.5f, 0.5f, 0.5f};
  int image_seq_len = 64;   // <image> tokens per tile: (tile / patch)^2 / scale_factor^2
};

struct Processed {
  int rows = 0, cols = 0;    // 0, 0: the image was not split (one tile, the "global" image alone)
  int resized_width = 0, resized_height = 0;  // after step 2
  std::vector<Rgb8> tiles;   // rows * cols crops (row-major), then the global image; each tile x tile
};

// Steps 1-3.
Processed process(const Rgb8& img, const ProcessorConfig& cfg);
// The sizes of steps 1 and 2 alone (no pixels): {w1, h1, w2, h2}.
struct ResizePlan {
  int w1 = 0, h1 = 0, w2 = 0, h2 = 0;
};
ResizePlan plan_resize(int width, int height, const ProcessorConfig& cfg);

// Step 4: one tile as float [3][tile][tile] (channel planes, rows top to bottom).
std::vector<float> pixel_values(const Rgb8& tile, const ProcessorConfig& cfg);

// PIL-compatible Lanczos resize of 8-bit RGB to w x h (see the header comment). Same size: a copy.
Rgb8 resize_lanczos(const Rgb8& img, int w, int h);

// The text that stands for one image in the prompt (SmolVLMProcessor): split images give, per row r and column c,
// "<fake_token_around_image><row_r_col_c>" + "<image>" x seq_len (1-based r, c), "\n" after each row, then
// "\n<fake_token_around_image><global-img>" + "<image>" x seq_len + "<fake_token_around_image>"; an unsplit image
// gives "<fake_token_around_image><global-img>" + "<image>" x seq_len + "<fake_token_around_image>".
std::string image_prompt(int rows, int cols, int image_seq_len);

}  // namespace sotto::image
