// rag-abi.cpp — private retrieval (issue 21, docs/retrieval.md) in the wasm build, for the JS wrapper wasm/rag.mjs and
// the page web/rag: the embedder `sotto embed` runs (apps/rag/embedder.h: BERT family and decoder embedders) and the
// answer that cites with its check (apps/rag/ask.h, cite-check.h: what `sotto ask --extractive` and `sotto ask --check`
// print), so the same passages give the same vectors, answers and verdicts as the CLI.
//   e = sotto_embed_create(buf, name, n_threads)   an embedding GGUF (takes the buffer: sotto_buffer_new), CPU
//                                        backend; not an embedding model: the CLI's one-line message
//   sotto_embed_info(e)                  {"name", "n_embd", "n_ctx", "pooling", "decoder"} (JSON)
//   sotto_embed_run(e, json, len, pooling, normalize, truncate)
//                                        texts (a JSON array of strings) -> [n][n_embd] floats at the returned
//                                        pointer (sotto_embed_count(e) rows); pooling 0 the model's own, 1 mean, 2 cls,
//                                        3 last; an empty text or one over the context (unless truncate) is refused
//                                        naming it ("text 2 ...")
//   sotto_embed_words(e, text, len)      the text's words as the native chunker sees them (runs of bytes other than
//                                        space, \t \n \r \f \v) and each one's token count by the model's tokenizer
//                                        (sotto index add's word_tokens): [begin, end, tokens] int32 triples in bytes,
//                                        sotto_embed_count(e) words
//   sotto_embed_free(e)
//   sotto_rag_answer(json, len)          {"question", "passages": [{"document", "page", "begin", "end", "text"}],
//                                        "max_sentences"?} -> the extractive answer, checked, as `sotto ask
//                                        --extractive --json` prints it (apps/rag/ask.h answer_to_json)
//   sotto_rag_check(json, len)           {"question", "answer": {"answer", "citations": [{"document", "page",
//                                        "quote"}]}, "passages": [...]} -> that answer checked against those passages
//                                        (documents named as the passages name them), printed the same way
//   sotto_rag_out_len()                  the length of the last JSON result (valid until the next call)
// Errors: sotto::fail() traps with its one-line message (sotto_last_error, wasm/sotto-abi.cpp).
// Does not: read files (the page extracts text), search (the page ranks passages: BM25 and cosine fused as the
// native index does), store anything, generate answers with a language model.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/gguf.h"
#include "core/json.h"
#include "core/thread-pool.h"
#include "rag/ask.h"
#include "rag/cite-check.h"
#include "rag/embedder.h"

#define SOTTO_EXPORT extern "C" __attribute__((visibility("default"), used))

namespace {

struct EmbedSession {
  std::unique_ptr<sotto::GgufFile> file;  // first: destroyed last (the weights may view it)
  std::unique_ptr<sotto::ThreadPool> pool;
  std::unique_ptr<sotto::Backend> backend;
  std::unique_ptr<sotto::rag::Embedder> emb;
  std::string name, out;
  std::vector<float> vecs;
  std::vector<int32_t> words;
  uint32_t count = 0;
};

std::string g_out;  // sotto_rag_answer / sotto_rag_check

bool blank(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::vector<sotto::rag::Hit> passages_of(const sotto::json::Value& v) {
  const sotto::json::Value& ps = v.at("passages");
  if (!ps.is_array() || ps.arr().empty()) sotto::fail("rag: \"passages\" must be a non-empty array");
  std::vector<sotto::rag::Hit> hits;
  for (const sotto::json::Value& p : ps.arr()) {
    sotto::rag::Hit h;
    h.document = p.at("document").str();
    h.page = int(p.at("page").integer());
    h.begin = p.at("begin").integer();
    h.end = p.at("end").integer();
    h.text = p.at("text").str();
    if (h.page < 1 || h.begin < 0 || h.end < h.begin) sotto::fail("rag: passage ", std::to_string(hits.size() + 1), ": bad page or offsets");
    h.chunk_id = int64_t(hits.size() + 1);
    hits.push_back(std::move(h));
  }
  return hits;
}

const char* put_out(std::string s) {
  g_out = std::move(s);
  return g_out.c_str();
}

}  // namespace

SOTTO_EXPORT EmbedSession* sotto_embed_create(std::vector<uint8_t>* gguf, const char* name, int n_threads) {
  std::unique_ptr<std::vector<uint8_t>> bytes(gguf);
  auto s = std::make_unique<EmbedSession>();
  s->name = name;
  s->file = sotto::GgufFile::from_memory(std::move(*bytes), name);
  s->pool = std::make_unique<sotto::ThreadPool>(std::max(1, n_threads));
  s->backend = sotto::make_cpu_backend(*s->pool, /*own_weights=*/true);
  s->emb = std::make_unique<sotto::rag::Embedder>(*s->file, *s->backend);
  return s.release();
}

SOTTO_EXPORT void sotto_embed_free(EmbedSession* s) { delete s; }

SOTTO_EXPORT const char* sotto_embed_info(EmbedSession* s) {
  sotto::json::Value o = sotto::json::Value::object();
  o.set("name", sotto::json::Value(s->file->get_string_or("general.name", s->name)));
  o.set("n_embd", sotto::json::Value(s->emb->n_embd()));
  o.set("n_ctx", sotto::json::Value(s->emb->n_ctx()));
  o.set("pooling", sotto::json::Value(std::string(sotto::pooling_name(s->emb->pooling()))));
  o.set("decoder", sotto::json::Value(s->emb->is_decoder()));
  s->out = sotto::json::dump(o);
  return s->out.c_str();
}

SOTTO_EXPORT uint32_t sotto_embed_out_len(EmbedSession* s) { return uint32_t(s->out.size()); }
SOTTO_EXPORT uint32_t sotto_embed_count(EmbedSession* s) { return s->count; }

SOTTO_EXPORT const float* sotto_embed_run(EmbedSession* s, const char* json, uint32_t len, int pooling, int normalize,
                                          int truncate) {
  const sotto::json::Value v = sotto::json::parse(std::string_view(json, len), "texts");
  if (!v.is_array()) sotto::fail("embed: the texts must be a JSON array of strings");
  std::vector<std::string> texts;
  for (const sotto::json::Value& t : v.arr()) texts.push_back(t.str());
  if (pooling < 0 || pooling > 3) sotto::fail("embed: pooling ", std::to_string(pooling), " (0 the model's, 1 mean, 2 cls, 3 last)");
  sotto::rag::EmbedOptions o;
  o.pooling = sotto::Pooling(pooling);
  o.normalize = normalize != 0;
  o.truncate = truncate != 0;
  s->vecs = texts.empty() ? std::vector<float>{} : s->emb->embed(texts, o);
  s->count = uint32_t(texts.size());
  return s->vecs.data();
}

SOTTO_EXPORT const int32_t* sotto_embed_words(EmbedSession* s, const char* text, uint32_t len) {
  const std::string_view t(text, len);
  s->words.clear();
  for (size_t i = 0; i < t.size();) {
    while (i < t.size() && blank(static_cast<unsigned char>(t[i]))) i++;
    const size_t b = i;
    while (i < t.size() && !blank(static_cast<unsigned char>(t[i]))) i++;
    if (i > b) {
      const int n = int(s->emb->tokenizer().encode(t.substr(b, i - b), false, false).size());
      s->words.insert(s->words.end(), {int32_t(b), int32_t(i), int32_t(std::max(1, n))});
    }
  }
  s->count = uint32_t(s->words.size() / 3);
  return s->words.data();
}

SOTTO_EXPORT const char* sotto_rag_answer(const char* json, uint32_t len) {
  const sotto::json::Value v = sotto::json::parse(std::string_view(json, len), "answer request");
  const std::string question = v.at("question").str();
  const sotto::json::Value* ms = v.find("max_sentences");
  const sotto::rag::Answer a = sotto::rag::extractive_answer(question, passages_of(v), ms ? int(ms->integer()) : 2);
  return put_out(sotto::json::dump(sotto::rag::answer_to_json(question, a)));
}

SOTTO_EXPORT const char* sotto_rag_check(const char* json, uint32_t len) {
  const sotto::json::Value v = sotto::json::parse(std::string_view(json, len), "check request");
  const std::string question = v.at("question").str();
  sotto::rag::Answer a = sotto::rag::answer_from_json(v.at("answer"), "answer");
  a.passages = passages_of(v);
  a.check = sotto::rag::check_answer(a.text, a.citations, a.passages);
  return put_out(sotto::json::dump(sotto::rag::answer_to_json(question, a)));
}

SOTTO_EXPORT uint32_t sotto_rag_out_len() { return uint32_t(g_out.size()); }
