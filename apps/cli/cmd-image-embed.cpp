// cmd-image-embed.cpp — `sotto image-embed`: an image through the SmolVLM processor (image/processor.h) and, given an
// mmproj file, the vision tower (models/siglip.h): prints the decoded size, the resize plan, the tile layout, the
// <image> tokens the prompt gets, and the embedding's shape; --out writes the embeddings as raw little-endian float32,
// [n_tiles * tokens_per_tile][proj_dim], tiles in prompt order (row-major crops, then the global image).
// Without --mmproj only the layout is printed (SmolVLM-256M's settings, or --tile / --longest-edge).
// Does not: feed the embeddings to a language model (sotto generate --mmproj --image does; docs/vision.md).
#include <chrono>
#include <cstdio>
#include <memory>

#include "backend/backend.h"
#include "cli.h"
#include "core/error.h"
#include "core/gguf.h"
#include "core/thread-pool.h"
#include "image/image.h"
#include "image/processor.h"
#include "models/siglip.h"
#include "vision/pipeline.h"

namespace sotto::cli {

int run_image_embed(int argc, char** argv) {
  std::string mmproj, image_path, out_path;
  int n_threads = 0, longest_edge = 0, tile = 0;
  bool show_prompt = false;
  ArgParser ap("sotto image-embed", "--image PHOTO.jpg [--mmproj VISION.gguf] [--out FILE] [options]",
               "Runs one PNG or JPEG image through the SmolVLM image processor (resize, 512 x 512 tiles plus a global "
               "image) and, with --mmproj, through the vision encoder and connector; prints the tile layout and the "
               "embedding shape.");
  ap.option("--image", &image_path, "FILE", "the image (PNG or JPEG; EXIF orientation applied)");
  ap.model("--mmproj", &mmproj, "the vision projector GGUF (clip.projector_type idefics3); without it, the layout only");
  ap.option("-o,--out", &out_path, "FILE", "write the embeddings as raw float32 [tokens][proj_dim]");
  ap.option("--longest-edge", &longest_edge, "N", "resize the longest edge to N first (default: 4 x the tile, 2048)", 1, 4096);
  ap.option("--tile", &tile, "N", "tile size when there is no --mmproj (default 512)", 1, 4096);
  ap.flag("--prompt", &show_prompt, "print the text that stands for the image in the prompt (<image> runs shortened)");
  ap.option("-t,--threads", &n_threads, "N", "CPU threads; 0 = all, at most the hardware threads (0)", 0, kMaxThreads);
  if (!ap.parse(argc, argv)) return 0;
  if (image_path.empty()) ap.usage_error("--image is required");
  if (!out_path.empty() && mmproj.empty()) ap.usage_error("--out needs --mmproj (the embeddings come from the vision model)");
  if (!mmproj.empty() && tile) ap.usage_error("--tile is the mmproj file's image size when --mmproj is given");

  std::unique_ptr<GgufFile> f;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<Backend> be;
  std::unique_ptr<VisionModel> model;
  image::ProcessorConfig pc;
  if (!mmproj.empty()) {
    f = GgufFile::open(mmproj);
    pool = std::make_unique<ThreadPool>(resolve_threads(n_threads, false));
    be = make_cpu_backend(*pool);
    model = VisionModel::load(*f, *be);
    pc = vision::processor_config(model->config(), *f);
  } else if (tile) {
    pc.tile = tile;
    pc.longest_edge = 4 * tile;
  }
  if (longest_edge) pc.longest_edge = longest_edge;
  if (pc.longest_edge > pc.max_edge) ap.usage_error("--longest-edge is at most 4096");

  const image::Rgb8 img = image::load_image(image_path);
  std::printf("image:        %s, %d x %d (upright)\n", image_path.c_str(), img.width, img.height);
  const image::Processed p = image::process(img, pc);
  const image::ResizePlan plan = image::plan_resize(img.width, img.height, pc);
  std::printf("resized:      %d x %d, then %d x %d (Lanczos, as Pillow)\n", plan.w1, plan.h1, plan.w2, plan.h2);
  if (p.rows) {
    std::printf("tiles:        %d rows x %d cols of %d x %d + 1 global = %zu tiles\n", p.rows, p.cols, pc.tile, pc.tile,
                p.tiles.size());
  } else {
    std::printf("tiles:        1 (not split), %d x %d\n", pc.tile, pc.tile);
  }
  const std::string prompt = image::image_prompt(p.rows, p.cols, pc.image_seq_len);
  std::printf("prompt:       %zu <image> tokens (%d per tile)\n", p.tiles.size() * size_t(pc.image_seq_len), pc.image_seq_len);
  if (show_prompt) {
    std::string shown;
    const std::string run = [&] {
      std::string s;
      for (int i = 0; i < pc.image_seq_len; i++) s += "<image>";
      return s;
    }();
    const std::string abbrev = "<image>x" + std::to_string(pc.image_seq_len);
    for (size_t at = 0;;) {
      const size_t k = prompt.find(run, at);
      shown += prompt.substr(at, k == std::string::npos ? std::string::npos : k - at);
      if (k == std::string::npos) break;
      shown += abbrev;
      at = k + run.size();
    }
    std::printf("%s\n", shown.c_str());
  }
  if (!model) return 0;

  const VisionConfig& c = model->config();
  std::FILE* out = nullptr;
  if (!out_path.empty()) {
    out = std::fopen(out_path.c_str(), "wb");
    if (!out) fail(out_path, ": cannot open for writing");
  }
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t t = 0; t < p.tiles.size(); t++) {
    const std::vector<float> px = image::pixel_values(p.tiles[t], pc);
    const std::vector<float> e = model->embed(px.data());
    if (out && std::fwrite(e.data(), sizeof(float), e.size(), out) != e.size()) {
      std::fclose(out);
      fail(out_path, ": write failed");
    }
  }
  if (out && std::fclose(out) != 0) fail(out_path, ": write failed");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("embedding:    [%zu, %d] float32 (%zu tiles x %d tokens, LM hidden %d); %.2f s, %.2f s a tile\n",
              p.tiles.size() * size_t(c.n_tokens()), c.proj_dim, p.tiles.size(), c.n_tokens(), c.proj_dim, secs,
              secs / double(p.tiles.size()));
  if (out) std::printf("wrote:        %s\n", out_path.c_str());
  return 0;
}

}  // namespace sotto::cli
