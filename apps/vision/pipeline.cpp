// pipeline.cpp — see pipeline.h.
#include "vision/pipeline.h"

#include "core/gguf.h"

namespace sotto::vision {

image::ProcessorConfig processor_config(const VisionConfig& c, const GgufFile& f) {
  image::ProcessorConfig pc;
  pc.tile = c.image_size;
  pc.image_seq_len = c.n_tokens();
  for (int i = 0; i < 3; i++) {
    pc.mean[i] = c.image_mean[i];
    pc.std[i] = c.image_std[i];
  }
  pc.longest_edge = int(f.get_int_or("clip.vision.preproc_image_size", 4 * c.image_size));
  return pc;
}

ImageInput embed_image(VisionModel& vm, const image::ProcessorConfig& pc, const image::Rgb8& img, int* n_tiles) {
  const image::Processed p = image::process(img, pc);
  ImageInput in;
  in.layout = image::image_prompt(p.rows, p.cols, pc.image_seq_len);
  const size_t per_tile = size_t(vm.config().n_tokens()) * size_t(vm.config().proj_dim);
  in.rows.resize(p.tiles.size() * per_tile);
  for (size_t t = 0; t < p.tiles.size(); t++) {
    const std::vector<float> px = image::pixel_values(p.tiles[t], pc);
    vm.embed_into(px.data(), in.rows.data() + t * per_tile);
  }
  if (n_tiles) *n_tiles += int(p.tiles.size());
  return in;
}

}  // namespace sotto::vision
