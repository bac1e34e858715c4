// loaded-model.cpp — see loaded-model.h.
#include "runtime/loaded-model.h"

#include <chrono>

namespace sotto {

LoadedModel load_model(const std::string& path, int n_threads, bool with_tokenizer) {
  const auto t0 = std::chrono::steady_clock::now();
  LoadedModel m;
  m.file = GgufFile::open(path);
  m.pool = std::make_unique<ThreadPool>(n_threads);
  m.backend = make_cpu_backend(*m.pool);
  m.model = Model::load(*m.file, *m.backend);
  if (with_tokenizer) m.tokenizer = Tokenizer::from_gguf(*m.file);
  m.load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return m;
}

namespace {

// Tokens of rendered prompt text; templates that write the BOS token themselves would otherwise give two.
std::vector<int32_t> encode_rendered(const Tokenizer& tok, const std::string& rendered) {
  std::vector<int32_t> ids = tok.encode(rendered, /*add_bos=*/true, /*parse_special=*/true);
  const int32_t bos = tok.bos();
  if (bos >= 0 && ids.size() >= 2 && ids[0] == bos && ids[1] == bos) ids.erase(ids.begin());
  return ids;
}

}  // namespace

std::vector<int32_t> encode_prompt(const Tokenizer& tok, const std::string& text, bool chat,
                                   const std::string& system) {
  if (!chat) return encode_rendered(tok, text);
  std::vector<ChatMessage> msgs;
  if (!system.empty()) msgs.push_back({"system", system});
  msgs.push_back({"user", text});
  return encode_chat(tok, msgs);
}

std::vector<int32_t> encode_chat(const Tokenizer& tok, const std::vector<ChatMessage>& messages) {
  return encode_rendered(tok, tok.apply_chat_template(messages, true));
}

}  // namespace sotto
