// vision-abi.cpp — images in the wasm build's language-model sessions (SmolVLM: docs/vision.md), for the JS wrapper
// wasm/vision.mjs. The page decodes (createImageBitmap + OffscreenCanvas: EXIF orientation as the platform applies
// it) and hands over 8-bit RGBA; the processor, the vision tower and the prompt splice are the CLI's
// (`sotto generate --mmproj --image`: apps/vision/pipeline.h, runtime/vision-prompt.h), so the same pixels give the
// same answer.
//   sotto_vision_load(s, buf, name)      attaches an mmproj GGUF (takes the buffer) to the session s (CPU or WebGPU);
//                                        the tower runs on the session's backend and must project to the LM's n_embd
//   p = sotto_vision_image_new(s, w, h, name)
//                                        checks the size (image::kMaxPixels) BEFORE allocating; returns where the
//                                        host writes w * h * 4 bytes of RGBA (rows top to bottom, straight alpha)
//   sotto_vision_image_add(s, name)      alpha over white, processor, tower; the image joins the next start.
//                                        Returns its tile count. On a WebGPU session the tower runs on the device
//                                        and its rows are deferred reads: the host settles before the start
//   sotto_vision_start(s, text, len, system, slen, temp, top_k, top_p, min_p, repeat_penalty, seed_lo, seed_hi)
//                                        SmolVLM's chat turn: each image at its "<image>" placeholder in text, in
//                                        order, or all before the text; prefilled with the tower's rows at the
//                                        <image> positions. The images are used up. Returns the prompt's token
//                                        count; then sotto_step / sotto_feed as after sotto_start (grammar included);
//                                        on a WebGPU session as sotto_gpu_start (greedy, no grammar) or else
//                                        sotto_gpu_start_sampled: then sotto_gpu_next
//   sotto_vision_clear(s)                drops images added and not yet used
// For tests: sotto_vision_prompt_ids(s) (the last start's tokens), sotto_vision_rows(s) + sotto_vision_rows_len(s)
// (the last started generation's last image: [tiles * 64][n_embd] floats), sotto_image_process(buf, w, h,
// longest_edge, tile): the processor alone on RGBA (buf: a sotto_buffer_new of w * h * 4 bytes, kept by the caller),
// the tiles' RGB bytes at sotto_image_tiles() and {rows, cols, resized w, resized h, n_tiles} at sotto_image_grid();
// sotto_image_over_white(buf, w, h): the RGB the engine makes of RGBA (alpha over white), w * h * 3 bytes.
// WebGPU: a tile's rows land in its image's buffer when the host settles; nothing here frees an image before that
// (sotto_vision_clear and a new load come after the host has drained, wasm/vision.mjs).
// Errors: sotto::fail() traps with its one-line message (wasm/sotto-abi.cpp); wasm/vision.mjs checks the size first so
// an enormous image is refused without a trap.
// Does not: decode files (the platform does), keep images between starts. The mmproj's bytes stay in wasm memory on WebGPU too (uploaded from there, not streamed).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/gguf.h"
#include "image/image.h"
#include "image/processor.h"
#include "models/siglip.h"
#include "runtime/generate.h"
#include "runtime/vision-prompt.h"
#include "session.h"
#include "vision/pipeline.h"

#define SOTTO_EXPORT extern "C" __attribute__((visibility("default"), used))

namespace sotto_wasm {

struct VisionState {
  std::unique_ptr<sotto::GgufFile> file;  // first: destroyed last (the tower's weights may view it)
  std::unique_ptr<sotto::VisionModel> model;
  sotto::image::ProcessorConfig pc;
  std::vector<uint8_t> rgba;  // the image being handed over
  int width = 0, height = 0;
  std::vector<sotto::ImageInput> images;  // added, not yet used
  std::vector<int32_t> prompt;            // the last start's tokens
  std::vector<float> last_rows;           // the last started generation's last image
};

}  // namespace sotto_wasm

using sotto_wasm::Session;
using sotto_wasm::VisionState;

namespace {

VisionState& vision_of(Session* s, const char* who) {
  if (!s->vision) sotto::fail(who, ": no vision model attached (sotto_vision_load)");
  return *s->vision;
}

std::vector<uint8_t> g_tiles;  // sotto_image_process's output
int32_t g_grid[5] = {};

}  // namespace

SOTTO_EXPORT void sotto_vision_load(Session* s, std::vector<uint8_t>* gguf, const char* name) {
  std::unique_ptr<std::vector<uint8_t>> bytes(gguf);
  s->vision.reset();
  auto v = std::make_shared<VisionState>();
  v->file = sotto::GgufFile::from_memory(std::move(*bytes), name);
  v->model = sotto::VisionModel::load(*v->file, *s->lm.backend);
  const int n_embd = s->lm.model->config().n_embd;
  if (v->model->config().proj_dim != n_embd) {
    sotto::fail(name, ": projects images to ", std::to_string(v->model->config().proj_dim),
                " features but the language model has n_embd ", std::to_string(n_embd),
                " (the vision file is not this model's)");
  }
  v->pc = sotto::vision::processor_config(v->model->config(), *v->file);
  s->vision = std::move(v);
}

SOTTO_EXPORT double sotto_vision_max_pixels() { return double(sotto::image::kMaxPixels); }

SOTTO_EXPORT uint8_t* sotto_vision_image_new(Session* s, int width, int height, const char* name) {
  VisionState& v = vision_of(s, "sotto_vision_image_new");
  sotto::image::check_size(name, width, height);
  v.rgba.assign(size_t(width) * size_t(height) * 4, 0);
  v.width = width;
  v.height = height;
  return v.rgba.data();
}

SOTTO_EXPORT int sotto_vision_image_add(Session* s, const char* name) {
  VisionState& v = vision_of(s, "sotto_vision_image_add");
  if (v.rgba.empty()) sotto::fail("sotto_vision_image_add: no image (sotto_vision_image_new first)");
  const sotto::image::Rgb8 img = sotto::image::from_rgba(v.rgba.data(), v.rgba.size(), v.width, v.height, name);
  v.rgba = {};
  int n_tiles = 0;
  v.images.push_back(sotto::vision::embed_image(*v.model, v.pc, img, &n_tiles));  // WebGPU: rows land at settle
  return n_tiles;
}

SOTTO_EXPORT void sotto_vision_clear(Session* s) {
  if (s->vision) s->vision->images.clear();
}

SOTTO_EXPORT int sotto_vision_start(Session* s, const char* text, uint32_t len, const char* system, uint32_t slen,
                                    float temp, int top_k, float top_p, float min_p, float repeat_penalty,
                                    uint32_t seed_lo, uint32_t seed_hi) {
  VisionState& v = vision_of(s, "sotto_vision_start");
  std::vector<sotto::ImageInput> images = std::move(v.images);
  v.images.clear();
  if (images.empty()) sotto::fail("sotto_vision_start: no image added (sotto_vision_image_add)");
  const sotto::VisionPrompt vp = sotto::make_vision_prompt(*s->lm.tokenizer, std::string(text, len), images,
                                                           s->lm.model->config().n_embd, std::string(system, slen));
  v.prompt = vp.tokens;
  v.last_rows = images.back().rows;
  const int n = int(vp.tokens.size());
  if (n > s->n_ctx) {
    sotto::fail("prompt of ", std::to_string(n), " tokens (", std::to_string(vp.embd.size() / size_t(vp.n_embd)),
                " for the images) does not fit the context of ", std::to_string(s->n_ctx));
  }
  if (s->gpu) {  // sotto_gpu_start (greedy: argmax on the device, pipelined) or, with sampling, penalties or a
                 // grammar, sotto_gpu_start_sampled; then sotto_gpu_next
    if (temp > 0 || repeat_penalty != 1.0f || s->grammar) {
      sotto_wasm::gpu_start_sampled(
          s, vp.tokens.data(), n,
          sotto_wasm::sampler_params(temp, top_k, top_p, min_p, repeat_penalty, seed_lo, seed_hi), vp.spans());
    } else {
      sotto_wasm::gpu_start(s, vp.tokens.data(), n, vp.spans());
    }
    return n;
  }
  sotto_wasm::begin_generation(s, "sotto_vision_start", vp.tokens.data(), n,
                               sotto_wasm::sampler_params(temp, top_k, top_p, min_p, repeat_penalty, seed_lo, seed_hi));
  s->logits = sotto::prefill(*s->lm.model, s->cache, vp.tokens.data(), n, 256, vp.spans());
  s->n_past = n;
  return n;
}

SOTTO_EXPORT const int32_t* sotto_vision_prompt_ids(Session* s) {
  return vision_of(s, "sotto_vision_prompt_ids").prompt.data();
}
SOTTO_EXPORT const float* sotto_vision_rows(Session* s) { return vision_of(s, "sotto_vision_rows").last_rows.data(); }
SOTTO_EXPORT uint32_t sotto_vision_rows_len(Session* s) {
  return uint32_t(vision_of(s, "sotto_vision_rows_len").last_rows.size());
}

SOTTO_EXPORT int sotto_image_process(std::vector<uint8_t>* rgba, int width, int height, int longest_edge, int tile) {
  if (longest_edge < 1 || tile < 1 || longest_edge > 8192 || tile > 4096) {
    sotto::fail("sotto_image_process: longest edge ", std::to_string(longest_edge), " and tile ", std::to_string(tile),
                " out of range");
  }
  const sotto::image::Rgb8 img = sotto::image::from_rgba(rgba->data(), rgba->size(), width, height, "image");
  sotto::image::ProcessorConfig pc;
  pc.longest_edge = longest_edge;
  pc.tile = tile;
  const sotto::image::Processed p = sotto::image::process(img, pc);
  g_tiles.clear();
  for (const auto& t : p.tiles) g_tiles.insert(g_tiles.end(), t.pixels.begin(), t.pixels.end());
  g_grid[0] = p.rows;
  g_grid[1] = p.cols;
  g_grid[2] = p.resized_width;
  g_grid[3] = p.resized_height;
  g_grid[4] = int32_t(p.tiles.size());
  return int(p.tiles.size());
}
SOTTO_EXPORT const uint8_t* sotto_image_tiles() { return g_tiles.data(); }
SOTTO_EXPORT const int32_t* sotto_image_grid() { return g_grid; }
SOTTO_EXPORT const uint8_t* sotto_image_over_white(std::vector<uint8_t>* rgba, int width, int height) {
  g_tiles = sotto::image::from_rgba(rgba->data(), rgba->size(), width, height, "image").pixels;
  return g_tiles.data();
}
