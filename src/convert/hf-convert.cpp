// hf-convert.cpp — see hf-convert.h. Mirrors tools/train/base.py (config_from_hf, load_hf_weights,
// tokenizer_kv_from_json, export) and tools/ref/export.py (export, permute_rows, the GGUF layout of ggufw.py)
// step by step; each step names its Python twin.
#include "convert/hf-convert.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>

#include "convert/gguf-stream.h"
#include "convert/safetensors.h"
#include "convert/vision-convert.h"
#include "core/error.h"
#include "core/file.h"
#include "core/json.h"
#include "core/quant.h"
#include "core/thread-pool.h"

namespace sotto::convert {

namespace {

namespace fs = std::filesystem;
using namespace detail;

// ---------------------------------------------------------------- GGUF bytes (ggufw.py)
// ---------------------------------------------------------------- config.json (base.config_from_hf)
struct Config {
  std::string arch, name;
  uint32_t hidden = 0, ff = 0, n_layer = 0, n_head = 0, n_head_kv = 0, head_dim = 0, vocab = 0, ctx = 0;
  double eps = 0, rope_theta = 0;
  bool gemma = false;
  std::optional<double> rope_linear;
  const json::Value* llama3 = nullptr;  // rope_scaling of type llama3
  std::optional<double> qpas;           // query_pre_attn_scalar
  uint32_t sliding_window = 0;
  double rope_local_base = 10000.0;
};

Config parse_config(const json::Value& top, const std::string& path) {
  if (!top.is_object()) fail(path, ": not a JSON object");
  const json::Value* mt = top.find("model_type");
  const std::string type = mt && mt->is_string() ? mt->str() : (mt ? json::dump(*mt) : "none");
  const json::Value* conf = &top;
  if ((type == "gemma3" || is_vlm_type(type)) && top.find("text_config")) {
    conf = top.find("text_config");
    if (!conf->is_object()) fail(path, ": text_config is not an object");
  }
  Config c;
  if (is_vlm_type(type)) {  // SmolVLM / Idefics3: the language model is a Llama (SmolLM2)
    const json::Value* tt = conf != &top ? conf->find("model_type") : nullptr;
    if (conf == &top) fail(path, ": model_type '", type, "' without a text_config object");
    if (tt && !(tt->is_string() && tt->str() == "llama")) {
      fail(path, ": text_config model_type ", json::dump(*tt), " is not supported (llama, as SmolVLM's)");
    }
    c.arch = "llama";
  } else if (type == "llama") c.arch = "llama";
  else if (type == "qwen2") c.arch = "qwen2";
  else if (type == "qwen3") c.arch = "qwen3";
  else if (type == "gemma3" || type == "gemma3_text") c.arch = "gemma3";
  else fail(path, ": model_type '", type, "' is not supported (supported: llama, qwen2, qwen3, gemma3_text, gemma3, moonshine, whisper, idefics3, smolvlm)");
  c.gemma = c.arch == "gemma3";
  const char* need[] = {"hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "vocab_size"};
  std::string missing;
  for (const char* k : need) {
    if (!conf->find(k)) missing += (missing.empty() ? "" : ", ") + std::string(k);
  }
  if (!missing.empty()) fail(path, ": missing ", missing);
  c.hidden = as_u32(conf->at("hidden_size"), path, "hidden_size");
  c.ff = as_u32(conf->at("intermediate_size"), path, "intermediate_size");
  c.n_layer = as_u32(conf->at("num_hidden_layers"), path, "num_hidden_layers");
  c.n_head = as_u32(conf->at("num_attention_heads"), path, "num_attention_heads");
  c.vocab = as_u32(conf->at("vocab_size"), path, "vocab_size");
  if (c.n_head == 0) fail(path, ": num_attention_heads is 0");
  const json::Value* nn = conf->find("_name_or_path");
  c.name = truthy(nn) && nn->is_string() ? nn->str() : c.arch;
  const json::Value* kvh = conf->find("num_key_value_heads");
  c.n_head_kv = truthy(kvh) ? as_u32(*kvh, path, "num_key_value_heads") : c.n_head;
  const json::Value* hd = conf->find("head_dim");
  c.head_dim = truthy(hd) ? as_u32(*hd, path, "head_dim") : c.hidden / c.n_head;
  if (c.n_head_kv == 0 || c.head_dim == 0 || c.head_dim % 2) {
    fail(path, ": ", std::to_string(c.n_head_kv), " kv heads of ", std::to_string(c.head_dim), " dims is not a valid attention shape");
  }
  const json::Value* v;
  c.eps = (v = conf->find("rms_norm_eps")) ? as_num(*v, path, "rms_norm_eps") : (c.gemma ? 1e-6 : 1e-5);
  c.rope_theta = (v = conf->find("rope_theta")) ? as_num(*v, path, "rope_theta") : (c.gemma ? 1e6 : 1e4);
  c.ctx = (v = conf->find("max_position_embeddings")) ? as_u32(*v, path, "max_position_embeddings") : 4096;
  if (const json::Value* rs = conf->find("rope_scaling"); truthy(rs)) {
    if (!rs->is_object()) fail(path, ": rope_scaling is not an object");
    const json::Value* kind = rs->find("rope_type");
    if (!kind) kind = rs->find("type");
    const std::string k = kind && kind->is_string() ? kind->str() : (kind ? json::dump(*kind) : "None");
    if (k == "llama3" && c.arch == "llama") {
      for (const char* f : {"factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"}) {
        if (!rs->find(f)) fail(path, ": rope_scaling llama3 without ", f);
        as_num(rs->at(f), path, f);
      }
      c.llama3 = rs;
    } else if (k == "linear") {
      if (!rs->find("factor")) fail(path, ": rope_scaling linear without factor");
      c.rope_linear = as_num(rs->at("factor"), path, "rope_scaling.factor");
    } else {
      fail(path, ": rope_scaling '", k, "' is not supported (llama3 for llama, linear)");
    }
  }
  if ((v = conf->find("partial_rotary_factor")) && as_num(*v, path, "partial_rotary_factor") != 1.0) {
    fail(path, ": partial_rotary_factor is not supported");
  }
  if (c.gemma) {
    c.qpas = (v = conf->find("query_pre_attn_scalar")) ? as_num(*v, path, "query_pre_attn_scalar") : c.head_dim;
    c.sliding_window = (v = conf->find("sliding_window")) ? as_u32(*v, path, "sliding_window") : 512;
    const uint32_t pattern = (v = conf->find("sliding_window_pattern")) ? as_u32(*v, path, "sliding_window_pattern") : 6;
    if (pattern != 6) fail(path, ": sliding_window_pattern ", std::to_string(pattern), " (the engine has 6)");
    c.rope_local_base = (v = conf->find("rope_local_base_freq")) ? as_num(*v, path, "rope_local_base_freq") : 10000.0;
  } else if (truthy(v = conf->find("query_pre_attn_scalar"))) {
    c.qpas = as_num(*v, path, "query_pre_attn_scalar");
  }
  return c;
}

// ---------------------------------------------------------------- tokenizer.json (base.tokenizer_kv_from_json)
// Python's json.dumps (", " and ": " separators, ASCII only): the Python converter tells the pre-tokenizer
// families apart by substrings of that text, so the same text is searched here.
void py_dumps(const json::Value& v, std::string& o) {
  switch (v.kind()) {
    case json::Kind::Null: o += "null"; return;
    case json::Kind::Bool: o += v.boolean() ? "true" : "false"; return;
    case json::Kind::Number: o += json::dump(v); return;
    case json::Kind::Array: {
      o += '[';
      for (size_t i = 0; i < v.arr().size(); i++) {
        if (i) o += ", ";
        py_dumps(v.arr()[i], o);
      }
      o += ']';
      return;
    }
    case json::Kind::Object: {
      o += '{';
      bool first = true;
      for (const auto& [k, x] : v.obj()) {
        if (!first) o += ", ";
        first = false;
        py_dumps(json::Value(k), o);
        o += ": ";
        py_dumps(x, o);
      }
      o += '}';
      return;
    }
    case json::Kind::String: break;
  }
  const std::string& s = v.str();
  o += '"';
  char buf[16];
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      i++;
      if (c == '"') o += "\\\"";
      else if (c == '\\') o += "\\\\";
      else if (c == '\n') o += "\\n";
      else if (c == '\r') o += "\\r";
      else if (c == '\t') o += "\\t";
      else if (c == '\b') o += "\\b";
      else if (c == '\f') o += "\\f";
      else if (c < 0x20) { std::snprintf(buf, sizeof buf, "\\u%04x", c); o += buf; }
      else o += char(c);
      continue;
    }
    // valid UTF-8 (the JSON parser checked it): decode one code point
    const int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    uint32_t cp = c & (0x7F >> len);
    for (int k = 1; k < len; k++) cp = (cp << 6) | (uint8_t(s[i + size_t(k)]) & 0x3F);
    i += size_t(len);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
    } else {
      std::snprintf(buf, sizeof buf, "\\u%04x", cp);
    }
    o += buf;
  }
  o += '"';
}

void tokenizer_kv(const std::string& path, uint32_t n_vocab, Kv& g) {
  const json::Value doc = json::parse(read_file(path, size_t(1) << 30), path);
  if (!doc.is_object()) fail(path, ": not a JSON object");
  const json::Value* model = doc.find("model");
  const json::Value* mtype = model ? model->find("type") : nullptr;
  if (!mtype || !mtype->is_string() || mtype->str() != "BPE") {
    fail(path, ": tokenizer model ", mtype ? json::dump(*mtype) : "None", " is not supported (BPE only)");
  }
  const bool spm = truthy(model->find("byte_fallback"));
  const json::Value* vocab = model->find("vocab");
  if (!vocab || !vocab->is_object()) fail(path, ": model.vocab is not an object");
  const json::Value* added = doc.find("added_tokens");
  if (added && !added->is_array()) fail(path, ": added_tokens is not an array");
  auto id_of = [&](const json::Value& x, const std::string& what) {
    if (!x.is_integer_number() || x.integer() < 0 || x.integer() >= int64_t(n_vocab)) {
      fail(path, ": ", what, " has id ", json::dump(x), " outside the model's vocabulary of ", std::to_string(n_vocab));
    }
    return size_t(x.integer());
  };
  std::vector<std::string> tokens(n_vocab);
  std::vector<bool> set(n_vocab, false);
  std::vector<int32_t> types(n_vocab, 1);
  for (const auto& [piece, idv] : vocab->obj()) {
    const size_t i = id_of(idv, "token " + json::quote(piece));
    tokens[i] = piece;
    set[i] = true;
    if (spm && code_points(piece) == 6 && piece.rfind("<0x", 0) == 0 && piece.back() == '>') types[i] = 6;
  }
  if (added) {
    for (const json::Value& a : added->arr()) {
      const json::Value* content = a.is_object() ? a.find("content") : nullptr;
      const json::Value* idv = a.is_object() ? a.find("id") : nullptr;
      if (!content || !content->is_string() || !idv) fail(path, ": an added token without id and content");
      const size_t i = id_of(*idv, "added token " + json::quote(content->str()));
      tokens[i] = content->str();
      set[i] = true;
      types[i] = truthy(a.find("special")) ? 3 : 4;
    }
  }
  for (size_t i = 0; i < n_vocab; i++) {
    if (!set[i]) {
      tokens[i] = "<|sotto_unused_" + std::to_string(i) + "|>";
      types[i] = 5;
    }
  }
  std::vector<std::string> merges;
  if (const json::Value* m = model->find("merges"); m && !m->is_null()) {
    if (!m->is_array()) fail(path, ": model.merges is not an array");
    for (const json::Value& x : m->arr()) {
      if (x.is_string()) {
        merges.push_back(x.str());
      } else if (x.is_array()) {
        std::string s;
        for (size_t k = 0; k < x.arr().size(); k++) {
          if (!x.arr()[k].is_string()) fail(path, ": a merge is not a pair of strings");
          s += (k ? " " : "") + x.arr()[k].str();
        }
        merges.push_back(s);
      } else {
        fail(path, ": a merge is ", json::kind_name(x.kind()), ", not a string or a pair");
      }
    }
  }
  std::map<std::string, int64_t> ids;
  for (size_t i = 0; i < n_vocab; i++) ids[tokens[i]] = int64_t(i);  // a piece twice: the last id, as Python's dict
  auto id = [&](const char* t) -> int64_t {
    auto it = ids.find(t);
    return it == ids.end() ? -1 : it->second;
  };
  std::string pre;
  const json::Value* pt = doc.find("pre_tokenizer");
  py_dumps(pt ? *pt : json::Value(), pre);
  std::string pre_name;
  if (spm) pre_name = "default";
  else if (pre.find("\\\\p{N}{1,3}") != std::string::npos) pre_name = "llama-bpe";
  else if (pre.find("[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}|") != std::string::npos) pre_name = "qwen2";
  else if (pre.find("\"Digits\"") != std::string::npos) pre_name = "smollm";
  else pre_name = "gpt2";
  int64_t bos, eos;
  if (spm) {
    bos = id("<bos>");
    eos = id("<eos>");
  } else {
    bos = id("<|begin_of_text|>");
    eos = id("<|endoftext|>");
    if (eos < 0) eos = id("<|end_of_text|>");
  }
  g.string("tokenizer.ggml.model", spm ? "llama" : "gpt2");
  g.string("tokenizer.ggml.pre", pre_name);
  g.strings("tokenizer.ggml.tokens", tokens);
  g.i32s("tokenizer.ggml.token_type", types);
  if (spm) g.f32s("tokenizer.ggml.scores", std::vector<float>(n_vocab, 0.0f));
  g.strings("tokenizer.ggml.merges", merges);
  if (bos >= 0) g.u32("tokenizer.ggml.bos_token_id", uint32_t(bos));
  if (eos >= 0) g.u32("tokenizer.ggml.eos_token_id", uint32_t(eos));
  if (const json::Value* unk = model->find("unk_token"); unk && unk->is_string() && ids.count(unk->str())) {
    g.u32("tokenizer.ggml.unknown_token_id", uint32_t(ids[unk->str()]));
  }
  g.boolean("tokenizer.ggml.add_bos_token", spm || ids.count("<|start_header_id|>"));
}

// ---------------------------------------------------------------- weights (base.load_hf_weights)
struct Checkpoint {
  std::vector<std::unique_ptr<SafetensorsFile>> files;
  std::map<std::string, const StTensor*> by_name;  // HF names after base.py's renaming
  std::string dir;

  const StTensor& get(const std::string& name) const {
    auto it = by_name.find(name);
    if (it == by_name.end()) fail(dir, ": missing tensor ", name);
    return *it->second;
  }
  const StTensor* find(const std::string& name) const {
    auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : it->second;
  }
};

Checkpoint open_checkpoint(const std::string& dir) {
  Checkpoint ck;
  ck.dir = dir;
  ck.files = open_checkpoint_files(dir);
  for (const auto& file : ck.files) {
    for (const StTensor& t : file->tensors()) {
      std::string k = t.name;
      for (auto [from, to] : {std::pair{"language_model.model.", "model."}, {"language_model.lm_head.", "lm_head."},
                              {"model.text_model.", "model."}}) {
        for (size_t at; (at = k.find(from)) != std::string::npos;) k.replace(at, std::strlen(from), to);
      }
      const bool keep = (k.rfind("model.", 0) == 0 || k.rfind("lm_head.", 0) == 0) &&
                        !(k.size() >= 19 && k.compare(k.size() - 19, 19, "rotary_emb.inv_freq") == 0);
      if (keep) ck.by_name[k] = &t;
    }
  }
  return ck;
}

// ---------------------------------------------------------------- the output plan (export.export)
// The requested type, or the nearest one whose blocks a row of `cols` values fills.
DType fitting_type(DType want, int64_t cols) {
  if (cols % dtype_block_size(want) == 0) return want;
  if (want == DType::Q4_K && cols % QK4_0 == 0) return DType::Q4_0;
  return DType::F16;
}

// export.llama3_rope_factors via arch.inv_freq: original / scaled frequency per rotary pair, in float64.
std::vector<float> llama3_factors(const Config& c) {
  const json::Value& rs = *c.llama3;
  const double factor = rs.at("factor").number(), lo = rs.at("low_freq_factor").number();
  const double hi = rs.at("high_freq_factor").number(), old = rs.at("original_max_position_embeddings").number();
  const double lo_wl = old / lo, hi_wl = old / hi;
  std::vector<float> out;
  const int n_rot = int(c.head_dim);
  for (int i = 0; i < n_rot; i += 2) {
    const double fr = 1.0 / std::pow(c.rope_theta, double(i) / double(n_rot));
    const double wl = 2 * M_PI / fr;
    double scaled;
    if (wl < hi_wl) {
      scaled = fr;
    } else if (wl > lo_wl) {
      scaled = fr / factor;
    } else {
      const double s = (old / wl - lo) / (hi - lo);
      scaled = (1 - s) * fr / factor + s * fr;
    }
    out.push_back(float(fr / scaled));
  }
  return out;
}

bool same_values(const StTensor& a, const StTensor& b) {  // torch.equal on the float values
  if (a.shape != b.shape) return false;
  const int64_t cols = a.shape.empty() ? 1 : a.shape.back();
  const int64_t rows = cols ? a.n_elements() / cols : 0;
  std::vector<float> x(static_cast<size_t>(cols)), y(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; r++) {
    read_values(a, r * cols, cols, x.data());
    read_values(b, r * cols, cols, y.data());
    for (int64_t i = 0; i < cols; i++) {
      if (!(x[size_t(i)] == y[size_t(i)])) return false;
    }
  }
  return true;
}

}  // namespace

bool is_hf_dir(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec) && fs::is_regular_file(fs::path(path) / "config.json", ec);
}

ConvertReport convert_hf(const std::string& dir, const std::string& out_path, const ConvertOptions& opt,
                         const std::string& mmproj_out) {
  switch (opt.type) {
    case DType::F32: case DType::F16: case DType::BF16: case DType::Q8_0: case DType::Q4_0: case DType::Q4_K: break;
    default: fail("convert: type ", dtype_name(opt.type), " is not an output type (f32, f16, bf16, q8_0, q4_0, q4_k)");
  }
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail(dir, ": not a folder (a Hugging Face checkpoint folder is expected)");
  const std::string cpath = (fs::path(dir) / "config.json").string();
  if (!fs::exists(cpath, ec)) fail(dir, ": no config.json");
  const json::Value top = json::parse(read_file(cpath), cpath);
  if (const json::Value* mt = top.is_object() ? top.find("model_type") : nullptr;
      mt && mt->is_string() && (mt->str() == "moonshine" || mt->str() == "whisper")) {
    return convert_speech(dir, top, cpath, out_path, opt);
  }
  const Config c = parse_config(top, cpath);
  const Checkpoint ck = open_checkpoint(dir);
  // A SmolVLM / Idefics3 checkpoint: its vision tower is planned (checked) before either file is written.
  const json::Value* top_type = top.find("model_type");
  std::unique_ptr<MmprojPlan> vision;
  if (top_type && top_type->is_string() && is_vlm_type(top_type->str())) vision = plan_mmproj(dir, top, cpath, opt);

  // base.load_hf: tied unless lm_head differs from the embedding (or the config says nothing of tying).
  const StTensor& embd = ck.get("model.embed_tokens.weight");
  const StTensor* head = ck.find("lm_head.weight");
  const json::Value* text_conf = vision ? top.find("text_config") : nullptr;
  if (head && (truthy(top.find("tie_word_embeddings")) || (text_conf && truthy(text_conf->find("tie_word_embeddings"))))) {
    check_float(*head, dir);
    check_float(embd, dir);
    if (same_values(*head, embd)) head = nullptr;
  }
  if (embd.shape.size() != 2 || embd.shape[0] != int64_t(c.vocab)) {
    fail(dir, ": embedding rows ", embd.shape.empty() ? "?" : std::to_string(embd.shape[0]), " != vocab_size ",
         std::to_string(c.vocab));
  }
  const std::string tpath = (fs::path(dir) / "tokenizer.json").string();
  if (!fs::exists(tpath, ec)) fail(dir, ": no tokenizer.json (needed for the exported GGUF's vocabulary)");

  // Metadata, in export.export's order; the tokenizer entries and base.export's extras where add_tokenizer runs.
  const std::string& a = c.arch;
  Kv g;
  g.string("general.architecture", a);
  g.string("general.name", c.name);
  g.u32(a + ".context_length", c.ctx);
  g.u32(a + ".embedding_length", c.hidden);
  g.u32(a + ".block_count", c.n_layer);
  g.u32(a + ".feed_forward_length", c.ff);
  g.u32(a + ".attention.head_count", c.n_head);
  g.u32(a + ".attention.head_count_kv", c.n_head_kv);
  g.u32(a + ".attention.key_length", c.head_dim);
  g.u32(a + ".attention.value_length", c.head_dim);
  g.f32(a + ".attention.layer_norm_rms_epsilon", float(c.eps));
  g.f32(a + ".rope.freq_base", float(c.rope_theta));
  g.u32(a + ".rope.dimension_count", c.head_dim);
  g.u32(a + ".vocab_size", c.vocab);
  if (c.gemma) g.u32(a + ".attention.sliding_window", c.sliding_window);
  if (c.rope_linear) {
    g.string(a + ".rope.scaling.type", "linear");
    g.f32(a + ".rope.scaling.factor", float(*c.rope_linear));
  }
  tokenizer_kv(tpath, c.vocab, g);
  if (c.qpas && *c.qpas != double(c.head_dim)) g.f32(a + ".attention.scale", float(std::pow(*c.qpas, -0.5)));
  if (c.rope_local_base != 10000.0) g.f32(a + ".rope.freq_base_swa", float(c.rope_local_base));

  // Tensors, in export.export's order.
  ConvertReport rep;
  rep.arch = a;
  std::vector<Planned> plan;
  auto mat = [&](const std::string& gname, const std::string& hname, int heads = 0) {
    const StTensor& t = ck.get(hname);
    check_float(t, dir);
    if (t.shape.size() != 2 || t.shape[0] == 0 || t.shape[1] == 0) fail(dir, ": tensor ", hname, " is not a matrix");
    if (heads && (t.shape[0] % heads || (t.shape[0] / heads) % 2)) {
      fail(dir, ": tensor ", hname, " has ", std::to_string(t.shape[0]), " rows, not ", std::to_string(heads),
           " heads of an even size");
    }
    const DType type = fitting_type(opt.type, t.shape[1]);
    if (type != opt.type) {
      rep.fallbacks.push_back(gname + ": " + dtype_name(type) + " (" + std::to_string(t.shape[1]) +
                              " columns are not a multiple of " + std::to_string(dtype_block_size(opt.type)) + ")");
    }
    Planned p;
    p.name = gname;
    p.type = type;
    p.ne = {t.shape[1], t.shape[0]};
    p.src = &t;
    p.permute_heads = heads;
    plan.push_back(std::move(p));
  };
  auto vec = [&](const std::string& gname, const std::string& hname, bool plus_one = false) {
    const StTensor& t = ck.get(hname);
    check_float(t, dir);
    if (t.shape.size() != 1 || t.shape[0] == 0) fail(dir, ": tensor ", hname, " is not a vector");
    Planned p;
    p.name = gname;
    p.ne = {t.shape[0]};
    p.src = &t;
    p.plus_one = plus_one;
    plan.push_back(std::move(p));
  };
  const bool gemma = c.gemma, perm = a == "llama";
  mat("token_embd.weight", "model.embed_tokens.weight");
  vec("output_norm.weight", "model.norm.weight", gemma);
  if (head) mat("output.weight", "lm_head.weight");
  if (c.llama3) {
    Planned p;
    p.name = "rope_freqs.weight";
    p.values = llama3_factors(c);
    p.ne = {int64_t(p.values.size())};
    plan.push_back(std::move(p));
  }
  for (uint32_t i = 0; i < c.n_layer; i++) {
    const std::string p = "model.layers." + std::to_string(i) + ".", b = "blk." + std::to_string(i) + ".";
    vec(b + "attn_norm.weight", p + "input_layernorm.weight", gemma);
    mat(b + "attn_q.weight", p + "self_attn.q_proj.weight", perm ? int(c.n_head) : 0);
    mat(b + "attn_k.weight", p + "self_attn.k_proj.weight", perm ? int(c.n_head_kv) : 0);
    mat(b + "attn_v.weight", p + "self_attn.v_proj.weight");
    mat(b + "attn_output.weight", p + "self_attn.o_proj.weight");
    for (const char* n : {"q", "k", "v"}) {
      const std::string bias = p + "self_attn." + n + "_proj.bias";
      if (!ck.find(bias)) continue;
      if (perm) fail(dir, ": tensor ", bias, ": Llama attention biases are not supported");
      vec(b + "attn_" + n + ".bias", bias);
    }
    if (gemma) {
      vec(b + "attn_q_norm.weight", p + "self_attn.q_norm.weight", true);
      vec(b + "attn_k_norm.weight", p + "self_attn.k_norm.weight", true);
      vec(b + "post_attention_norm.weight", p + "post_attention_layernorm.weight", true);
      vec(b + "ffn_norm.weight", p + "pre_feedforward_layernorm.weight", true);
      vec(b + "post_ffw_norm.weight", p + "post_feedforward_layernorm.weight", true);
    } else {
      if (a == "qwen3") {  // per-head RMSNorm of q and k
        vec(b + "attn_q_norm.weight", p + "self_attn.q_norm.weight");
        vec(b + "attn_k_norm.weight", p + "self_attn.k_norm.weight");
      }
      vec(b + "ffn_norm.weight", p + "post_attention_layernorm.weight");
    }
    mat(b + "ffn_gate.weight", p + "mlp.gate_proj.weight");
    mat(b + "ffn_up.weight", p + "mlp.up_proj.weight");
    mat(b + "ffn_down.weight", p + "mlp.down_proj.weight");
  }

  rep.n_bytes = write_gguf(g, plan, out_path, opt.n_threads);
  rep.n_tensors = plan.size();
  if (vision) {
    rep.mmproj_path = mmproj_out.empty() ? default_mmproj_path(out_path) : mmproj_out;
    try {
      rep.mmproj_bytes = write_gguf(vision->kv, vision->plan, rep.mmproj_path, opt.n_threads);
    } catch (...) {
      fs::remove(out_path, ec);  // both files or neither
      throw;
    }
    rep.mmproj_tensors = vision->plan.size();
    rep.fallbacks.insert(rep.fallbacks.end(), vision->fallbacks.begin(), vision->fallbacks.end());
  }
  return rep;
}

}  // namespace sotto::convert
