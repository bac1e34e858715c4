// vision-prompt.cpp — see vision-prompt.h.
#include "runtime/vision-prompt.h"

#include "core/error.h"
#include "text/tokenizer.h"

namespace sotto {

namespace {

const char kImage[] = "<image>";
constexpr size_t kImageLen = sizeof(kImage) - 1;

size_t count_of(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + what.size())) n++;
  return n;
}

}  // namespace

std::vector<EmbdSpan> VisionPrompt::spans() const {
  std::vector<EmbdSpan> out;
  size_t row = 0;
  for (size_t i = 0; i < tokens.size();) {
    if (tokens[i] != image_id) {
      i++;
      continue;
    }
    size_t j = i;
    while (j < tokens.size() && tokens[j] == image_id) j++;
    out.push_back({int(i), int(j - i), embd.data() + row * size_t(n_embd)});
    row += j - i;
    i = j;
  }
  return out;
}

std::string splice_images(const std::string& text, const std::vector<std::string>& layouts) {
  const size_t n_place = count_of(text, kImage);
  if (n_place == 0) {
    std::string s;
    for (const auto& l : layouts) s += l;
    return s + text;
  }
  if (n_place != layouts.size()) {
    fail("the prompt has ", std::to_string(n_place), " <image> placeholder", n_place == 1 ? "" : "s", " for ",
         std::to_string(layouts.size()), " image", layouts.size() == 1 ? "" : "s",
         " (one --image each, or none to put the images before the text)");
  }
  std::string s;
  size_t at = 0;
  for (const auto& l : layouts) {
    const size_t k = text.find(kImage, at);
    s += text.substr(at, k - at) + l;
    at = k + kImageLen;
  }
  return s + text.substr(at);
}

std::string idefics3_chat(const std::string& turn, const std::string& system) {
  std::string s = "<|im_start|>";
  if (!system.empty()) s += "System: " + system + "<end_of_utterance>\n";
  // The template writes "User:" when the turn's first part is an image, else "User: "; layouts start with a tag.
  const bool image_first = turn.rfind("<fake_token_around_image>", 0) == 0;
  s += image_first ? "User:" : "User: ";
  return s + turn + "<end_of_utterance>\nAssistant:";
}

VisionPrompt make_vision_prompt(const Tokenizer& tok, const std::string& text, const std::vector<ImageInput>& images,
                                int n_embd, const std::string& system) {
  VisionPrompt p;
  p.n_embd = n_embd;
  p.image_id = tok.token_id(kImage);
  if (p.image_id < 0) fail("the language model's vocabulary has no <image> token (not a SmolVLM language model?)");
  for (const char* t : {"<|im_start|>", "<end_of_utterance>"}) {
    if (tok.token_id(t) < 0) {
      fail("the language model's vocabulary has no ", t, " token (not a SmolVLM language model?)");
    }
  }
  std::vector<std::string> layouts;
  for (size_t i = 0; i < images.size(); i++) {
    const ImageInput& im = images[i];
    // Every tag of the layout (<fake_token_around_image>, <global-img>, <row_r_col_c>) must be one token.
    for (size_t a = im.layout.find('<'); a != std::string::npos; a = im.layout.find('<', a + 1)) {
      const size_t b = im.layout.find('>', a);
      if (b == std::string::npos) break;
      const std::string tag = im.layout.substr(a, b - a + 1);
      if (tok.token_id(tag) < 0) {
        fail("the language model's vocabulary has no ", tag, " token (image ", std::to_string(i + 1), ")");
      }
    }
    const size_t n_img = count_of(im.layout, kImage);
    if (n_embd <= 0 || im.rows.size() != n_img * size_t(n_embd)) {
      fail("image ", std::to_string(i + 1), ": ", std::to_string(im.rows.size()), " embedding values for ",
           std::to_string(n_img), " <image> tokens of ", std::to_string(n_embd));
    }
    layouts.push_back(im.layout);
    p.embd.insert(p.embd.end(), im.rows.begin(), im.rows.end());
  }
  if (count_of(system, kImage)) fail("the system message cannot hold <image>");
  p.tokens = tok.encode(idefics3_chat(splice_images(text, layouts), system), /*add_bos=*/false, /*parse_special=*/true);
  size_t n_img = 0;
  for (int32_t t : p.tokens) n_img += t == p.image_id;
  if (n_img * size_t(n_embd) != p.embd.size()) {
    fail("the prompt tokenizes to ", std::to_string(n_img), " <image> tokens for ",
         std::to_string(p.embd.size() / size_t(n_embd)), " image embeddings");
  }
  return p;
}

}  // namespace sotto
