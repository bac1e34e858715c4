// cmd-info.cpp — `sotto info`: what a GGUF file holds: architecture and config, tensor counts and sizes
// per type, the tokenizer, and optionally every metadata key and tensor. Reads metadata only (no weights
// are touched beyond the mapping, except that a speech model is loaded on the CPU to read its config); a config or
// tokenizer this build cannot use is reported, not fatal.
#include <cstdio>
#include <map>
#include <string>

#include "cli.h"
#include "core/error.h"
#include "backend/backend.h"
#include "core/gguf.h"
#include "core/thread-pool.h"
#include "models/asr-model.h"
#include "models/bert.h"
#include "models/config.h"
#include "models/siglip.h"
#include "text/tokenizer.h"

namespace sotto::cli {

namespace {

std::string quoted(const std::string& s, size_t max = 60) {
  std::string o = "\"";
  for (unsigned char c : s.substr(0, max)) {
    if (c == '\n') o += "\\n";
    else if (c < 0x20) o += '?';
    else o += char(c);
  }
  if (s.size() > max) o += "...";
  return o + "\"";
}

template <typename V, typename F>
std::string list_str(const V& a, F f) {
  std::string s = "[";
  s += std::to_string(a.size());
  s += "]";
  for (size_t i = 0; i < a.size() && i < 6; ++i) {
    s += i ? ", " : " ";
    s += f(a[i]);
  }
  if (a.size() > 6) s += ", ...";
  return s;
}

std::string num_str(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", x);
  return b;
}

struct ValueFormatter {
  std::string operator()(int64_t x) const { return std::to_string(x); }
  std::string operator()(uint64_t x) const { return std::to_string(x); }
  std::string operator()(double x) const { return num_str(x); }
  std::string operator()(bool x) const { return x ? "true" : "false"; }
  std::string operator()(const std::string& s) const { return quoted(s); }
  std::string operator()(const std::vector<int64_t>& a) const {
    return list_str(a, [](int64_t x) { return std::to_string(x); });
  }
  std::string operator()(const std::vector<double>& a) const { return list_str(a, num_str); }
  std::string operator()(const std::vector<std::string>& a) const {
    return list_str(a, [](const std::string& s) { return quoted(s, 20); });
  }
  std::string operator()(const std::vector<bool>& a) const {
    return list_str(a, [](bool x) { return std::string(x ? "true" : "false"); });
  }
};

std::string format_value(const GgufValue& v) { return std::visit(ValueFormatter{}, v.v); }

void print_config(const ModelConfig& c) {
  std::printf("config:       n_vocab %d, n_embd %d, n_layer %d, n_head %d, n_head_kv %d, head_dim %d, n_ff %d\n",
              c.n_vocab, c.n_embd, c.n_layer, c.n_head, c.n_head_kv, c.head_dim, c.n_ff);
  std::printf("              n_ctx_train %d, norm_eps %g, rope: n_rot %d, base %g%s, %s%s\n", c.n_ctx_train,
              double(c.norm_eps), c.n_rot, double(c.rope_base), c.rope_neox ? ", neox" : "",
              c.has_rope_freqs ? "llama3 freq factors" : "no freq factors",
              c.rope_scale != 1.0f ? (", linear scale " + std::to_string(c.rope_scale)).c_str() : "");
  int n_swa = 0;
  for (bool b : c.layer_swa) n_swa += b;
  std::printf("              act %s, qkv_bias %s, qk_norm %s, post_norms %s, tied embeddings %s",
              c.act == FfnAct::SiLU ? "silu" : "gelu_tanh", c.qkv_bias ? "yes" : "no", c.qk_norm ? "yes" : "no",
              c.post_norms ? "yes" : "no", c.tied_embeddings ? "yes" : "no");
  if (c.sliding_window > 0)
    std::printf(", sliding window %d on %d/%d layers (base %g)", c.sliding_window, n_swa, c.n_layer,
                double(c.rope_base_swa));
  std::printf("\n");
}

// A speech model's config (Moonshine, Whisper), read by loading it on the CPU.
void print_asr_config(const GgufFile& f) {
  ThreadPool pool(1);
  auto be = make_cpu_backend(pool);
  auto m = AsrModel::load(f, *be);
  const AsrConfig& c = m->config();
  std::printf("config:       speech to text: n_vocab %d, n_embd %d, n_ff %d, encoder %d layers x %d heads, decoder %d "
              "layers x %d heads\n", c.n_vocab, c.n_embd, c.n_ff, c.n_enc_layer, c.n_enc_head, c.n_dec_layer, c.n_dec_head);
  char cap[64] = "no per-second cap on tokens";
  if (c.max_tokens_per_second > 0) std::snprintf(cap, sizeof cap, "at most %g tokens a second of audio", double(c.max_tokens_per_second));
  std::printf("              input %s at %d Hz, decoder context %d tokens, %s\n",
              c.n_mels ? (std::to_string(c.n_mels) + " log-mel bins").c_str() : "raw samples", c.sample_rate, c.n_ctx, cap);
}

// A vision projector's config (mmproj: SmolVLM's vision tower), from its metadata.
void print_vision_config(const GgufFile& f) {
  const VisionConfig c = read_vision_config(f);
  std::printf("config:       vision projector %s: image %d x %d, patch %d (%d patches), n_embd %d, n_ff %d, %d layers x %d "
              "heads, eps %g\n", c.projector.c_str(), c.image_size, c.image_size, c.patch_size, c.n_patches(), c.n_embd,
              c.n_ff, c.n_layer, c.n_head, double(c.norm_eps));
  std::printf("              pixel shuffle %d -> %d tokens a tile of %d features, projected to %d (the LM's hidden size)%s\n",
              c.scale_factor, c.n_tokens(), c.n_embd * c.scale_factor * c.scale_factor, c.proj_dim,
              c.ffn_swapped ? "; ffn_up/ffn_down named the older way" : "");
  std::printf("              image mean %g %g %g, std %g %g %g\n", double(c.image_mean[0]), double(c.image_mean[1]),
              double(c.image_mean[2]), double(c.image_std[0]), double(c.image_std[1]), double(c.image_std[2]));
}

// A BERT embedding model's config (models/bert.h), from its metadata.
void print_bert_config(const GgufFile& f) {
  const BertConfig c = read_bert_config(f);
  std::printf("config:       BERT text embedder: n_vocab %d, n_embd %d, n_ff %d, %d layers x %d heads, context %d, "
              "%d token types, eps %g\n", c.n_vocab, c.n_embd, c.n_ff, c.n_layer, c.n_head, c.n_ctx, c.n_token_types,
              double(c.norm_eps));
  std::printf("              pooling %s, output [%d] float32 a text (sotto embed)\n", pooling_name(c.pooling), c.n_embd);
}

}  // namespace

int run_info(int argc, char** argv) {
  std::string path;
  bool show_tensors = false, show_metadata = false;
  ArgParser ap("sotto info", "MODEL.gguf [--metadata] [--tensors]",
               "Describes a GGUF model file: architecture, config, tensors and tokenizer.");
  ap.model_positional("MODEL.gguf", &path, "the model file");
  ap.flag("--metadata", &show_metadata, "list every metadata key");
  ap.flag("--tensors", &show_tensors, "list every tensor");
  if (!ap.parse(argc, argv)) return 0;

  auto f = GgufFile::open(path);
  std::printf("file:         %s (GGUF v%u, %s)\n", path.c_str(), f->version(),
              human_bytes(double(f->file_size())).c_str());
  const std::string arch = f->get_string_or("general.architecture", "?");
  const std::string name = f->get_string_or("general.name", "");
  std::printf("architecture: %s%s\n", arch.c_str(), name.empty() ? "" : (" (" + quoted(name) + ")").c_str());
  try {
    if (arch == "moonshine" || arch == "whisper") print_asr_config(*f);
    else if (is_vision_file(*f)) print_vision_config(*f);
    else if (is_bert_file(*f)) print_bert_config(*f);
    else {
      print_config(read_config(*f));
      if (f->has(arch + ".pooling_type")) {  // a decoder-based embedding model (Qwen3-Embedding; sotto embed)
        const int64_t pt = f->get_int(arch + ".pooling_type");
        std::printf("              embedding model: pooling %s%s\n", pt == 3 ? "last" : std::to_string(pt).c_str(),
                    f->get_bool_or("tokenizer.ggml.add_eos_token", false) ? ", EOS appended" : "");
      }
    }
  } catch (const Error& e) {
    std::printf("config:       not usable by this build: %s\n", e.what());
  }

  struct PerType {
    int count = 0;
    double bytes = 0, params = 0;
  };
  std::map<std::string, PerType> by_type;
  double total_bytes = 0, total_params = 0;
  for (const auto& t : f->tensors()) {
    auto& pt = by_type[dtype_name(t.type)];
    ++pt.count;
    pt.bytes += double(t.view.nbytes());
    pt.params += double(t.view.nelements());
    total_bytes += double(t.view.nbytes());
    total_params += double(t.view.nelements());
  }
  std::printf("tensors:      %zu, %s, %s parameters\n", f->tensors().size(), human_bytes(total_bytes).c_str(),
              human_count(total_params).c_str());
  for (const auto& [type, pt] : by_type)
    std::printf("              %-5s %4d tensors, %10s, %s params\n", type.c_str(), pt.count,
                human_bytes(pt.bytes).c_str(), human_count(pt.params).c_str());

  const std::string tok_model = f->get_string_or("tokenizer.ggml.model", "");
  if (tok_model.empty()) {
    std::printf("tokenizer:    none in the file\n");
  } else {
    std::printf("tokenizer:    %s (tokenizer.ggml.pre %s), chat template %s\n", tok_model.c_str(),
                f->get_string_or("tokenizer.ggml.pre", "-").c_str(), f->has("tokenizer.chat_template") ? "yes" : "no");
    try {
      auto tok = Tokenizer::from_gguf(*f);
      auto piece = [&](int32_t id) {
        return id < 0 ? std::string("none") : std::to_string(id) + " " + quoted(tok->token_to_piece(id));
      };
      std::printf("              %d tokens, bos %s, eos %s\n", tok->n_vocab(), piece(tok->bos()).c_str(),
                  piece(tok->eos()).c_str());
    } catch (const Error& e) {
      std::printf("              not usable by this build: %s\n", e.what());
    }
  }
  std::printf("metadata:     %zu keys%s\n", f->metadata().size(), show_metadata ? ":" : " (--metadata lists them)");
  if (show_metadata)
    for (const auto& [k, v] : f->metadata()) std::printf("  %-40s %s\n", k.c_str(), format_value(v).c_str());
  if (show_tensors) {
    std::printf("tensor list:\n");
    for (const auto& t : f->tensors())
      std::printf("  %-40s %-5s %-22s %s\n", t.name.c_str(), dtype_name(t.type), shape_str(t.ne).c_str(),
                  human_bytes(double(t.view.nbytes())).c_str());
  }
  return 0;
}

}  // namespace sotto::cli
