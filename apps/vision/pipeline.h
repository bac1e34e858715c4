// pipeline.h — the vision use case's pipeline (SmolVLM), shared by the CLI (`sotto generate --image`, `sotto
// image-embed`) and the wasm ABI (wasm/vision-abi.cpp): the processor settings an mmproj file implies, and one
// decoded image through the processor (image/processor.h) and the vision tower (models/siglip.h) into what the
// language model's prompt takes (runtime/vision-prompt.h ImageInput).
// Does not: decode files (image/image.h; a browser decodes for the wasm build), tokenize or generate.
#pragma once

#include "image/image.h"
#include "image/processor.h"
#include "models/siglip.h"
#include "runtime/vision-prompt.h"

namespace sotto {

class GgufFile;

namespace vision {

// Its tile size, tokens a tile, mean and std, and clip.vision.preproc_image_size as the longest edge (default 4
// tiles).
image::ProcessorConfig processor_config(const VisionConfig& c, const GgufFile& f);

// The image's layout (tags and <image> runs) and rows [tiles * tokens a tile][proj_dim], tiles in prompt order
// (row-major crops, then the global image). *n_tiles (if given) grows by the image's tile count. On a WebGPU backend
// the rows are deferred reads: they are there once the host has settled the submitted work.
ImageInput embed_image(VisionModel& vm, const image::ProcessorConfig& pc, const image::Rgb8& img,
                       int* n_tiles = nullptr);

}  // namespace vision
}  // namespace sotto
