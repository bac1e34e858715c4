// embed-model.h — the embedding model of a retrieval index, loaded for `sotto index add`, `search` and `ask`
// (defined in cmd-index.cpp): the file given, else the one the index recorded; its identity (name, SHA-256, n_embd)
// for Index::check_model.
// Does not: check it against the index (the caller does, with Index::check_model).
#pragma once

#include <memory>
#include <string>

#include "backend/backend.h"
#include "core/gguf.h"
#include "core/thread-pool.h"
#include "rag/embedder.h"
#include "rag/index.h"

namespace sotto::cli {

struct EmbedModel {
  std::unique_ptr<GgufFile> file;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<Backend> be;
  std::unique_ptr<rag::Embedder> emb;
  rag::ModelId id;
};

// ix: the index whose recorded model is the default; null for a new index (model_arg then required). flag names
// the option in the message when the recorded file is gone ("-m", "--embed-model").
EmbedModel load_embed_model(rag::Index* ix, const std::string& model_arg, int n_threads, bool quiet,
                            const char* flag = "-m");

}  // namespace sotto::cli
