// siglip.h — the SmolVLM / Idefics3 vision tower on the Backend interface: the SigLIP vision encoder and the Idefics3
// connector, loaded from a separate "mmproj" GGUF with the keys and tensor names llama.cpp's converters write
// (general.architecture "clip", clip.projector_type "idefics3", clip.vision.*, v.*, mm.model.fc.weight; docs/vision.md).
//   encoder:   x = patch_embd(pixels) [conv P x P, stride P, bias] + position_embd; per layer
//              x += attn_out(attention(ln1(x))) [no mask, q/k/v/out with biases]; x += ffn_down(gelu_tanh(ffn_up(ln2(x))));
//              post_ln(x)                                     -> [n_embd, n_patches]   (768 x 1024 for 512 / 16)
//   connector: pixel shuffle by s (groups of s x s neighbouring patches become one token of s*s*n_embd features,
//              as Idefics3Connector.pixel_shuffle orders them), then mm.model.fc (no bias)
//                                                             -> [proj_dim, n_patches / s^2] (576 x 64)
// Input: one tile's pixel values [3][image_size][image_size] (image/processor.h pixel_values). Every tile is full
// size, so position ids are 0..n_patches-1 (no patch attention mask: the processor never pads a tile).
// The pixel shuffle runs on the backend as a gather of patch rows (get_rows), so a tile needs no read-back until its
// rows are done.
// Does not: tile or normalise images (image/processor.h), feed the LM (vision-prompt.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"

namespace sotto {

class GgufFile;

struct VisionConfig {
  std::string projector;  // clip.projector_type ("idefics3")
  int image_size = 0;     // clip.vision.image_size (512)
  int patch_size = 0;     // clip.vision.patch_size (16)
  int n_embd = 0;         // clip.vision.embedding_length (768)
  int n_ff = 0;           // clip.vision.feed_forward_length (3072)
  int n_layer = 0;        // clip.vision.block_count (12)
  int n_head = 0;         // clip.vision.attention.head_count (12)
  float norm_eps = 1e-6f; // clip.vision.attention.layer_norm_epsilon
  int scale_factor = 0;   // clip.vision.projector.scale_factor (4)
  int proj_dim = 0;       // the LM's hidden size: mm.model.fc.weight's rows (576)
  float image_mean[3] = {0.5f, 0.5f, 0.5f}, image_std[3] = {0.5f, 0.5f, 0.5f};  // clip.vision.image_mean / _std
  bool ffn_swapped = false;  // the file names fc1 "ffn_down" and fc2 "ffn_up" (older converters); told by shape

  int n_patches() const { return (image_size / patch_size) * (image_size / patch_size); }
  int n_tokens() const { return n_patches() / (scale_factor * scale_factor); }  // per tile (64)
};

// True when f is a vision projector file (general.architecture "clip" or a clip.projector_type key).
bool is_vision_file(const GgufFile& f);
// Reads and checks the config (no weights): a one-line error naming the file and key otherwise.
VisionConfig read_vision_config(const GgufFile& f);

class VisionModel {
 public:
  // Checks every weight (name, shape, a type the backend supports) and makes it usable by `be`; f must outlive it.
  static std::unique_ptr<VisionModel> load(const GgufFile& f, Backend& be);
  virtual ~VisionModel() = default;
  virtual const VisionConfig& config() const = 0;
  // The encoder's output (after post_ln) for one tile: [n_patches][n_embd] (n_embd innermost).
  virtual std::vector<float> encode(const float* pixels) = 0;
  // Encoder + connector: [n_tokens][proj_dim], the rows that replace one tile's <image> tokens.
  virtual std::vector<float> embed(const float* pixels) = 0;
  // The same left on the backend: {proj_dim, n_tokens}, valid until the next call.
  virtual Tensor embed_device(const float* pixels) = 0;
  // embed() into dst ([n_tokens][proj_dim] floats) through the backend's read: at once on the CPU; on WebGPU a
  // deferred read, so dst holds the rows once the host has settled the submitted work.
  virtual void embed_into(const float* pixels, float* dst) = 0;
};

// The connector's pixel shuffle on the host: x [side*side][d] (side = sqrt(n)) -> [n / s^2][s*s*d], where output token
// (R, C) (row-major over side/s) holds, for dy, dx < s, the d features of patch (R*s + dy, C*s + dx) at
// offset (dy*s + dx)*d.
std::vector<float> pixel_shuffle(const std::vector<float>& x, int n, int d, int s);
// The order of that shuffle as a gather: output row i (of n, each d wide; s*s consecutive rows form one token) is
// patch pixel_shuffle_rows(n, s)[i]. The tower gathers on the backend (Backend::get_rows) with it.
std::vector<int32_t> pixel_shuffle_rows(int n, int s);

}  // namespace sotto
