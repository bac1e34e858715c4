// cmd-embed.cpp — `sotto embed`: text embeddings with a BERT-family GGUF (all-MiniLM, bge) or a decoder-based one
// (Qwen3-Embedding); apps/rag/embedder.h.
// Texts: -p TEXT (repeatable) and/or --file FILE (one text a line; "-" for stdin; a final newline ends the last line,
// it does not add an empty one). Output: --out FILE raw little-endian float32 [n_texts][n_embd]; --json one JSON object
// {"model", "n_embd", "pooling", "normalized", "embeddings": [[...], ...]} on stdout; neither: a summary line per text.
// Bad input is a one-line error: not a BERT GGUF, an empty text (naming it, and its line with --file), a text over the
// model's context (refused; --truncate cuts it to the context with a warning), a missing or unreadable file.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>

#include "backend/backend.h"
#include "cli.h"
#include "core/error.h"
#include "core/file.h"
#include "core/gguf.h"
#include "core/json.h"
#include "core/thread-pool.h"
#include "rag/embedder.h"

namespace sotto::cli {

namespace {

std::string float_str(float v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest text that reads back as the same float
  return std::string(buf, r.ptr);
}

}  // namespace

int run_embed(int argc, char** argv) {
  std::string model_path, file, out_path, pooling_s;
  std::vector<std::string> prompts;
  bool json = false, no_normalize = false, truncate = false, quiet = false;
  int n_threads = 0, batch = 2048;
  ArgParser ap("sotto embed", "-m MODEL.gguf (-p TEXT ... | --file LINES.txt) [--pooling cls|mean|last] [--out FILE | --json]",
               "Embeds texts with a BERT-family embedding model (all-MiniLM-L6-v2, bge-small-en-v1.5 as converted by "
               "llama.cpp's convert_hf_to_gguf.py: [CLS] text [SEP] through the encoder, pooled) or a decoder-based one "
               "(Qwen3-Embedding: the text and EOS through the decoder, last token); L2-normalised.");
  ap.model("-m,--model", &model_path, "the embedding model (GGUF: bert, or a decoder such as qwen3 with {arch}.pooling_type)");
  ap.list("-p,--prompt", &prompts, "TEXT", "a text to embed");
  ap.option("-f,--file", &file, "FILE", "texts to embed, one a line (- for stdin)");
  ap.option("--pooling", &pooling_s, "cls|mean|last", "pooling (default: the model's {arch}.pooling_type)");
  ap.flag("--no-normalize", &no_normalize, "do not L2-normalise the embeddings");
  ap.flag("--truncate", &truncate, "cut texts over the model's context to fit, with a warning (default: refuse them)");
  ap.option("-o,--out", &out_path, "FILE", "write raw little-endian float32 [n_texts][n_embd]");
  ap.flag("--json", &json, "print the embeddings as one JSON object on stdout");
  ap.option("--batch", &batch, "N", "tokens per forward pass (2048); does not change results", 1, 1 << 20);
  ap.option("-t,--threads", &n_threads, "N", "CPU threads; 0 = all, at most the hardware threads (0)", 0, kMaxThreads);
  ap.flag("-q,--quiet", &quiet, "no timing line");
  if (!ap.parse(argc, argv)) return 0;
  if (model_path.empty()) ap.usage_error("-m MODEL.gguf is required");
  if (prompts.empty() && file.empty()) ap.usage_error("give the texts with -p TEXT or --file FILE");
  if (json && !out_path.empty()) ap.usage_error("give --out or --json, not both");
  Pooling pooling = Pooling::None;
  if (pooling_s == "cls") pooling = Pooling::Cls;
  else if (pooling_s == "mean") pooling = Pooling::Mean;
  else if (pooling_s == "last") pooling = Pooling::Last;
  else if (!pooling_s.empty()) ap.usage_error("--pooling is cls, mean or last, not '" + pooling_s + "'");

  std::vector<std::string> texts = prompts;
  std::vector<std::string> where;  // how a text is named in errors
  for (size_t i = 0; i < prompts.size(); i++) where.push_back("-p #" + std::to_string(i + 1));
  if (!file.empty()) {
    const std::string all = file == "-" ? read_stream(stdin, "stdin") : read_file(file);
    size_t at = 0, line = 1;
    while (at < all.size()) {
      size_t nl = all.find('\n', at);
      if (nl == std::string::npos) nl = all.size();
      std::string t = all.substr(at, nl - at);
      if (!t.empty() && t.back() == '\r') t.pop_back();
      texts.push_back(std::move(t));
      where.push_back((file == "-" ? std::string("stdin") : file) + ":" + std::to_string(line));
      at = nl + 1;
      line++;
    }
    if (all.empty()) fail(file == "-" ? std::string("stdin") : file, ": no texts (the file is empty)");
  }

  auto f = GgufFile::open(model_path);
  ThreadPool pool(resolve_threads(n_threads, quiet || json));
  auto be = make_cpu_backend(pool);
  rag::Embedder emb(*f, *be);
    rag::EmbedOptions o;
  o.pooling = pooling;
  o.normalize = !no_normalize;
  o.truncate = truncate;
  o.batch_tokens = batch;
  o.on_truncate = [&](size_t i, size_t before, size_t after) {
    std::fprintf(stderr, "sotto: warning: %s: %zu tokens cut to the model's context of %zu\n", where[i].c_str(), before, after);
  };
  std::vector<float> vecs;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    vecs = emb.embed(texts, o);
  } catch (const Error& e) {  // "text N ..." -> name it by its source
    std::string m = e.what();
    if (m.compare(0, 5, "text ") == 0) {
      const size_t sp = m.find(' ', 5);
      const size_t i = size_t(std::stoul(m.substr(5, sp - 5))) - 1;
      if (i < where.size()) fail(where[i], ":", m.substr(sp));
    }
    throw;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const size_t d = size_t(emb.n_embd()), n = texts.size();
  const char* pool_name = pooling_name(pooling == Pooling::None ? emb.pooling() : pooling);

  if (!out_path.empty()) {
    std::FILE* out = std::fopen(out_path.c_str(), "wb");
    if (!out) fail(out_path, ": cannot open for writing");
    const bool ok = std::fwrite(vecs.data(), sizeof(float), vecs.size(), out) == vecs.size();
    if (std::fclose(out) != 0 || !ok) fail(out_path, ": write failed");
  }
  if (json) {
    std::string s = "{\"model\":" + json::quote(f->get_string_or("general.name", "")) + ",\"n_embd\":" + std::to_string(d) +
                    ",\"pooling\":\"" + pool_name + "\",\"normalized\":" + (o.normalize ? "true" : "false") +
                    ",\"embeddings\":[";
    for (size_t t = 0; t < n; t++) {
      s += t ? ",[" : "[";
      for (size_t i = 0; i < d; i++) {
        if (i) s += ',';
        s += float_str(vecs[t * d + i]);
      }
      s += ']';
    }
    s += "]}\n";
    std::fwrite(s.data(), 1, s.size(), stdout);
    return 0;
  }
  if (out_path.empty()) {
    for (size_t t = 0; t < n; t++) {
      double norm = 0;
      for (size_t i = 0; i < d; i++) norm += double(vecs[t * d + i]) * vecs[t * d + i];
      std::string head;
      for (size_t i = 0; i < std::min<size_t>(d, 4); i++) head += float_str(vecs[t * d + i]) + ", ";
      std::printf("%zu: [%s...] |e| %.4f\n", t + 1, head.c_str(), std::sqrt(norm));
    }
  }
  if (!quiet) {
    std::printf("embedded %zu texts: [%zu, %zu] float32, pooling %s%s; %.3f s, %.1f texts/s%s%s\n", n, n, d, pool_name,
                o.normalize ? ", normalized" : "", secs, double(n) / std::max(secs, 1e-9),
                out_path.empty() ? "" : "; wrote ", out_path.c_str());
  }
  return 0;
}

}  // namespace sotto::cli
