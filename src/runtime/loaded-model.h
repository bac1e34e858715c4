// loaded-model.h — everything needed to run a GGUF language model on the CPU, owned together in the
// right destruction order (tokenizer, model, backend, thread pool, then the file mapping the weights view).
// Also: turning a user prompt (optionally through the model's chat template) into prompt tokens.
// Does not: generate (see generate.h) or choose sampling parameters (see sampler.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "core/gguf.h"
#include "core/thread-pool.h"
#include "models/model.h"
#include "text/tokenizer.h"

namespace sotto {

struct LoadedModel {
  std::unique_ptr<GgufFile> file;       // declared first: destroyed last (weights are views into it)
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<Backend> backend;
  std::unique_ptr<Model> model;
  std::unique_ptr<Tokenizer> tokenizer;  // null when not asked for
  double load_s = 0.0;                   // wall time of load_model
};

// Opens `path`, starts a pool of n_threads (<= 0: all hardware threads), builds the CPU backend, the
// model and (if with_tokenizer) the tokenizer. Throws Error naming the file.
LoadedModel load_model(const std::string& path, int n_threads, bool with_tokenizer = true);

// Prompt tokens for `text`: raw (special tokens written in the text are recognised), or, when chat is
// true, a user turn (after an optional system turn) rendered by the model's chat template with the
// assistant prompt appended. A BOS token is added when the model has one and the text does not already
// start with it.
std::vector<int32_t> encode_prompt(const Tokenizer& tok, const std::string& text, bool chat,
                                   const std::string& system = "");
// Prompt tokens for a whole conversation (system, user and assistant turns) rendered by the model's chat
// template with the assistant prompt appended, BOS as above (encode_prompt's chat form; the API's messages).
// Throws Error when the tokenizer has no known chat format.
std::vector<int32_t> encode_chat(const Tokenizer& tok, const std::vector<ChatMessage>& messages);

}  // namespace sotto
