// vision-prompt.h — a SmolVLM (Idefics3 family) prompt with images, ready for generate(): the chat turn with each
// image's tile layout at its place, its tokens, and the vision tower's rows for the <image> positions (which
// Model::forward_embd takes instead of the <image> token's embedding, as Idefics3Model.inputs_merger does).
//   "<|im_start|>" ["System: " system "<end_of_utterance>\n"] "User" (":" when the turn starts with an image,
//   else ": ") turn "<end_of_utterance>\nAssistant:"                       (SmolVLM's chat template)
// Images take the places of "<image>" written in the text, in order (as many placeholders as images), or, when the
// text has none, all go before it (the chat template's order for a turn of images then text).
// Does not: decode or tile images (image/), run the vision tower (models/siglip.h) or the language model.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/model.h"

namespace sotto {

class Tokenizer;

// One image as the language model sees it.
struct ImageInput {
  std::string layout;       // image/processor.h image_prompt(rows, cols, seq_len): tags and <image> runs
  std::vector<float> rows;  // [n <image> in layout][n_embd]: the tiles' embeddings in prompt order
};

struct VisionPrompt {
  std::vector<int32_t> tokens;  // the whole prompt (no BOS added: the template starts with <|im_start|>)
  std::vector<float> embd;      // [n <image> tokens][n_embd], in prompt order
  int32_t image_id = -1;        // the <image> token
  int n_embd = 0;
  // The runs of <image> positions with their rows (pointers into embd: valid while this object lives unchanged).
  std::vector<EmbdSpan> spans() const;
};

// The user turn: text with layouts[i] at its i-th "<image>" (their counts must agree), or all layouts before text
// when it has none. Throws Error: "the prompt has 3 <image> placeholders for 2 images".
std::string splice_images(const std::string& text, const std::vector<std::string>& layouts);

// The chat text around a user turn (see the top of this file).
std::string idefics3_chat(const std::string& turn, const std::string& system = "");

// splice_images + idefics3_chat + tokens + rows. Checks that the vocabulary has the layouts' control tokens, that
// each image's rows fit n_embd and its <image> count, and that the tokens hold exactly the images' <image> positions.
VisionPrompt make_vision_prompt(const Tokenizer& tok, const std::string& text, const std::vector<ImageInput>& images,
                                int n_embd, const std::string& system = "");

}  // namespace sotto
