// asr-convert.cpp — Moonshine and Whisper checkpoints (Hugging Face layout) to GGUF: the file tools/ref/convert_asr.py
// writes (through tools/ref/asr_gguf.py export_moonshine / export_whisper), byte for byte, in C++. Mirrors, step by
// step: load_weights (model.safetensors, else the index's shards; names as they are), load_tokenizer (tokenizer.json
// -> tokens, types, scores -i, merges, unk), the config checks and defaults of main / convert_whisper, and the
// metadata and tensor order of the exporters: Conv1d kernels [C_out, C_in, K] stored as [C_out, K, C_in], Moonshine's
// decoder fc1 split into ffn_up (first half of the rows) and ffn_gate, norms, biases and position tables F32.
// Types: F32 and F16 (matrices and kernels F16, the rest F32), as convert_asr.py offers; Moonshine also Q8_0 / Q4_0
// (asr_gguf.py's rule: a matrix whose rows fill blocks of 32, else F16).
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "convert/gguf-stream.h"
#include "convert/hf-convert.h"
#include "core/error.h"
#include "core/file.h"

namespace sotto::convert::detail {

namespace {

namespace fs = std::filesystem;

struct Weights {
  std::vector<std::unique_ptr<SafetensorsFile>> files;
  std::map<std::string, const StTensor*> by_name;
  std::string dir;
  const StTensor& get(const std::string& n) const {
    auto it = by_name.find(n);
    if (it == by_name.end()) fail(dir, ": missing tensor ", n);
    check_float(*it->second, dir);
    return *it->second;
  }
  bool has(const std::string& n) const { return by_name.count(n) != 0; }
};

// convert_asr.load_weights
Weights load_weights(const std::string& dir) {
  Weights w;
  w.dir = dir;
  std::vector<std::string> files;
  std::error_code ec;
  const fs::path single = fs::path(dir) / "model.safetensors", index = fs::path(dir) / "model.safetensors.index.json";
  if (fs::exists(single, ec)) {
    files.push_back("model.safetensors");
  } else if (fs::exists(index, ec)) {
    const json::Value doc = json::parse(read_file(index.string()), index.string());
    const json::Value* wm = doc.is_object() ? doc.find("weight_map") : nullptr;
    if (!wm || !wm->is_object()) fail(index.string(), ": no weight_map object");
    std::set<std::string> names;
    for (const auto& [k, f] : wm->obj()) {
      if (!f.is_string() || f.str().empty() || f.str().find('/') != std::string::npos || f.str()[0] == '.') {
        fail(index.string(), ": tensor ", k, " maps to ", json::dump(f), ", not a file name in the folder");
      }
      names.insert(f.str());
    }
    files.assign(names.begin(), names.end());
  } else {
    fail(dir, ": no model.safetensors or model.safetensors.index.json");
  }
  for (const std::string& f : files) {
    w.files.push_back(SafetensorsFile::open((fs::path(dir) / f).string()));
    for (const StTensor& t : w.files.back()->tensors()) w.by_name[t.name] = &t;
  }
  return w;
}

struct Tok {
  std::vector<std::string> tokens, merges;
  std::vector<int32_t> types;
  std::map<std::string, int64_t> ids;
  int64_t unk = 0;
};

// convert_asr.load_tokenizer
Tok load_tokenizer(const std::string& path, uint32_t n_vocab) {
  const json::Value doc = json::parse(read_file(path, size_t(1) << 30), path);
  const json::Value* model = doc.is_object() ? doc.find("model") : nullptr;
  const json::Value* mt = model && model->is_object() ? model->find("type") : nullptr;
  if (!mt || !mt->is_string() || mt->str() != "BPE") {
    fail(path, ": tokenizer model type ", mt ? json::dump(*mt) : "None", " is not BPE");
  }
  const json::Value* vocab = model->find("vocab");
  if (!vocab || !vocab->is_object()) fail(path, ": model.vocab is not an object");
  std::vector<bool> set(n_vocab, false);
  Tok t;
  t.tokens.resize(n_vocab);
  auto id_of = [&](const json::Value& v, const std::string& what) -> int64_t {
    if (!v.is_integer_number() || v.integer() < 0) fail(path, ": ", what, " has id ", json::dump(v), ", not an id");
    return v.integer();
  };
  for (const auto& [piece, v] : vocab->obj()) {
    const int64_t i = id_of(v, "token " + json::quote(piece));
    if (i < int64_t(n_vocab)) t.tokens[size_t(i)] = piece, set[size_t(i)] = true;
  }
  std::set<int64_t> special;
  if (const json::Value* added = doc.find("added_tokens"); added && added->is_array()) {
    for (const json::Value& a : added->arr()) {
      const json::Value* c = a.is_object() ? a.find("content") : nullptr;
      const json::Value* iv = a.is_object() ? a.find("id") : nullptr;
      if (!c || !c->is_string() || !iv) fail(path, ": an added token without id and content");
      const int64_t i = id_of(*iv, "added token " + json::quote(c->str()));
      if (i >= int64_t(n_vocab)) continue;
      t.tokens[size_t(i)] = c->str();
      set[size_t(i)] = true;
      if (truthy(a.find("special"))) special.insert(i);
    }
  }
  const json::Value* unk = model->find("unk_token");
  const std::string* unk_piece = unk && unk->is_string() ? &unk->str() : nullptr;
  for (uint32_t i = 0; i < n_vocab; i++) {
    const std::string& p = t.tokens[i];
    if (!set[i]) {
      t.tokens[i] = "<unused" + std::to_string(i) + ">";
      t.types.push_back(5);
    } else if (unk_piece && p == *unk_piece) {
      t.types.push_back(2);
    } else if (special.count(i)) {
      t.types.push_back(3);
    } else if (code_points(p) == 6 && p.rfind("<0x", 0) == 0 && p.back() == '>') {
      t.types.push_back(6);
    } else {
      t.types.push_back(1);
    }
  }
  if (const json::Value* m = model->find("merges"); m && m->is_array()) {
    for (const json::Value& x : m->arr()) {
      if (x.is_string()) {
        t.merges.push_back(x.str());
      } else if (x.is_array()) {
        std::string s;
        for (size_t k = 0; k < x.arr().size(); k++) {
          if (!x.arr()[k].is_string()) fail(path, ": a merge is not a pair of strings");
          s += (k ? " " : "") + x.arr()[k].str();
        }
        t.merges.push_back(s);
      } else {
        fail(path, ": a merge is ", json::kind_name(x.kind()), ", not a string or a pair");
      }
    }
  }
  for (uint32_t i = 0; i < n_vocab; i++) t.ids[t.tokens[i]] = i;
  if (unk_piece && t.ids.count(*unk_piece)) t.unk = t.ids[*unk_piece];
  return t;
}

// conf.get(key, default) of an integer setting.
uint32_t get_u32(const json::Value& conf, const char* key, uint32_t def, const std::string& path) {
  const json::Value* v = conf.find(key);
  return v ? as_u32(*v, path, key) : def;
}

// conf.get("_name_or_path", basename(normpath(dir))) or fallback
std::string model_name(const json::Value& conf, const std::string& dir, const char* fallback) {
  const json::Value* n = conf.find("_name_or_path");
  std::string s;
  if (n) {
    s = n->is_string() ? n->str() : std::string();
  } else {
    fs::path p = fs::path(dir).lexically_normal();
    if (p.filename().empty()) p = p.parent_path();
    s = p.filename().string();
  }
  return s.empty() ? fallback : s;
}

void require(const json::Value& conf, const std::vector<const char*>& keys, const std::string& path) {
  for (const char* k : keys) {
    if (!conf.find(k)) fail(path, ": missing ", k);
  }
}

// The plan's builders: asr_gguf's put / lin / vec / conv.
struct Builder {
  const Weights& w;
  DType type;  // F32, F16, Q8_0, Q4_0
  std::vector<Planned> plan;
  std::vector<std::string> fallbacks;

  DType matrix_type(const std::string& g, int64_t cols) {
    if (type != DType::Q8_0 && type != DType::Q4_0) return type;
    if (cols % 32 == 0) return type;
    fallbacks.push_back(g + ": f16 (" + std::to_string(cols) + " columns are not a multiple of 32)");
    return DType::F16;
  }
  void lin(const std::string& g, const std::string& h, int64_t row0 = 0, int64_t rows = -1) {
    const StTensor& t = w.get(h);
    if (t.shape.size() != 2) fail(w.dir, ": tensor ", h, " is not a matrix");
    Planned p;
    p.name = g;
    p.src = &t;
    p.row0 = row0;
    p.ne = {t.shape[1], rows < 0 ? t.shape[0] : rows};
    p.type = matrix_type(g, p.ne[0]);
    plan.push_back(std::move(p));
  }
  // A position table or another matrix kept F32 whatever the type.
  void table_f32(const std::string& g, const std::string& h) {
    const StTensor& t = w.get(h);
    if (t.shape.size() != 2) fail(w.dir, ": tensor ", h, " is not a matrix");
    Planned p;
    p.name = g;
    p.src = &t;
    p.ne = {t.shape[1], t.shape[0]};
    plan.push_back(std::move(p));
  }
  void vec(const std::string& g, const std::string& h, int64_t at = 0, int64_t n = -1) {
    const StTensor& t = w.get(h);
    if (t.shape.size() != 1) fail(w.dir, ": tensor ", h, " is not a vector");
    Planned p;
    p.name = g;
    p.src = &t;
    p.row0 = at;
    p.ne = {n < 0 ? t.shape[0] : n};
    plan.push_back(std::move(p));
  }
  void conv(const std::string& g, const std::string& h) {
    const StTensor& t = w.get(h);
    if (t.shape.size() != 3 || t.shape[2] == 0) fail(w.dir, ": tensor ", h, " is not a Conv1d kernel [C_out, C_in, K]");
    Planned p;
    p.name = g;
    p.src = &t;
    p.conv_k = t.shape[2];
    p.ne = {t.shape[1] * t.shape[2], t.shape[0]};
    p.type = matrix_type(g, p.ne[0]);
    plan.push_back(std::move(p));
  }
};

ConvertReport moonshine(const std::string& dir, const json::Value& conf, const std::string& cpath,
                        const std::string& out, const ConvertOptions& opt) {
  if (opt.type != DType::F32 && opt.type != DType::F16 && opt.type != DType::Q8_0 && opt.type != DType::Q4_0) {
    fail(dir, ": a moonshine model converts to f32, f16, q8_0 or q4_0, not ", dtype_name(opt.type));
  }
  require(conf, {"hidden_size", "intermediate_size", "encoder_num_hidden_layers", "decoder_num_hidden_layers",
                 "encoder_num_attention_heads", "decoder_num_attention_heads", "vocab_size"}, cpath);
  const uint32_t E = as_u32(conf.at("hidden_size"), cpath, "hidden_size");
  const uint32_t I = as_u32(conf.at("intermediate_size"), cpath, "intermediate_size");
  const uint32_t n_enc = as_u32(conf.at("encoder_num_hidden_layers"), cpath, "encoder_num_hidden_layers");
  const uint32_t n_dec = as_u32(conf.at("decoder_num_hidden_layers"), cpath, "decoder_num_hidden_layers");
  const uint32_t h_enc = as_u32(conf.at("encoder_num_attention_heads"), cpath, "encoder_num_attention_heads");
  const uint32_t h_dec = as_u32(conf.at("decoder_num_attention_heads"), cpath, "decoder_num_attention_heads");
  const uint32_t n_vocab = as_u32(conf.at("vocab_size"), cpath, "vocab_size");
  if (h_enc == 0 || h_dec == 0) fail(cpath, ": 0 attention heads");
  const json::Value* v;
  const double prf = (v = conf.find("partial_rotary_factor")) ? as_num(*v, cpath, "partial_rotary_factor") : 0.9;
  const double theta = (v = conf.find("rope_theta")) ? as_num(*v, cpath, "rope_theta") : 10000.0;
  const uint32_t ctx = get_u32(conf, "max_position_embeddings", 512, cpath);
  const uint32_t start = get_u32(conf, "decoder_start_token_id", 1, cpath);
  for (const char* k : {"encoder_num_key_value_heads", "decoder_num_key_value_heads"}) {
    const json::Value* kv = conf.find(k);
    const uint32_t heads = std::string(k).rfind("encoder", 0) == 0 ? h_enc : h_dec;
    if (kv && !kv->is_null() && !(kv->is_number() && kv->number() == heads)) {
      fail(dir, ": grouped-query attention (", k, ") is not supported yet");
    }
  }
  if (truthy(conf.find("attention_bias"))) fail(dir, ": attention_bias is not supported");
  if (truthy(conf.find("rope_scaling"))) fail(dir, ": rope_scaling is not supported");
  const Weights w = load_weights(dir);
  const json::Value* tie_v = conf.find("tie_word_embeddings");
  const bool tie = (tie_v ? truthy(tie_v) : true) || !w.has("proj_out.weight");
  Tok tok = load_tokenizer((fs::path(dir) / "tokenizer.json").string(), n_vocab);
  const uint32_t bos = get_u32(conf, "bos_token_id", 1, cpath), eos = get_u32(conf, "eos_token_id", 2, cpath);
  // convert_asr.expected_names, checked before anything is written
  std::vector<std::string> need = {"model.encoder.conv1.weight", "model.encoder.conv2.weight", "model.encoder.conv3.weight",
                                   "model.encoder.groupnorm.weight", "model.decoder.embed_tokens.weight",
                                   "model.decoder.norm.weight", "model.encoder.layer_norm.weight"};
  for (uint32_t i = 0; i < n_enc; i++) need.push_back("model.encoder.layers." + std::to_string(i) + ".mlp.fc1.weight");
  for (uint32_t i = 0; i < n_dec; i++) {
    need.push_back("model.decoder.layers." + std::to_string(i) + ".encoder_attn.q_proj.weight");
  }
  for (const std::string& n : need) {
    if (!w.has(n)) fail(dir, ": missing tensor ", n);
  }

  const std::string a = "moonshine";
  Kv g;
  g.string("general.architecture", a);
  g.string("general.name", model_name(conf, dir, "moonshine"));
  g.u32(a + ".embedding_length", E);
  g.u32(a + ".feed_forward_length", I);
  g.u32(a + ".encoder.block_count", n_enc);
  g.u32(a + ".decoder.block_count", n_dec);
  g.u32(a + ".encoder.attention.head_count", h_enc);
  g.u32(a + ".decoder.attention.head_count", h_dec);
  g.u32(a + ".encoder.rope.dimension_count", uint32_t(double(E / h_enc) * prf));
  g.u32(a + ".decoder.rope.dimension_count", uint32_t(double(E / h_dec) * prf));
  g.f32(a + ".rope.freq_base", float(theta));
  g.f32(a + ".attention.layer_norm_epsilon", 1e-5f);
  g.u32(a + ".context_length", ctx);
  g.u32(a + ".decoder_start_token_id", start);
  g.f32(a + ".max_tokens_per_second", 6.5f);
  // asr_gguf.add_spm_tokenizer
  g.string("tokenizer.ggml.model", "llama");
  g.string("tokenizer.ggml.pre", "default");
  g.strings("tokenizer.ggml.tokens", tok.tokens);
  g.i32s("tokenizer.ggml.token_type", tok.types);
  std::vector<float> scores(n_vocab);
  for (uint32_t i = 0; i < n_vocab; i++) scores[i] = -float(i);
  g.f32s("tokenizer.ggml.scores", scores);
  g.u32("tokenizer.ggml.bos_token_id", bos);
  g.u32("tokenizer.ggml.eos_token_id", eos);
  if (!tok.merges.empty()) g.strings("tokenizer.ggml.merges", tok.merges);
  g.u32("tokenizer.ggml.unknown_token_id", uint32_t(tok.unk));
  g.boolean("tokenizer.ggml.add_bos_token", false);

  Builder b{w, opt.type, {}, {}};
  std::string p = "model.encoder.";
  b.conv("enc.conv1.weight", p + "conv1.weight");
  b.vec("enc.groupnorm.weight", p + "groupnorm.weight");
  b.vec("enc.groupnorm.bias", p + "groupnorm.bias");
  b.conv("enc.conv2.weight", p + "conv2.weight");
  b.vec("enc.conv2.bias", p + "conv2.bias");
  b.conv("enc.conv3.weight", p + "conv3.weight");
  b.vec("enc.conv3.bias", p + "conv3.bias");
  auto attn = [&](const std::string& gp, const std::string& hp) {
    b.lin(gp + "_q.weight", hp + "q_proj.weight");
    b.lin(gp + "_k.weight", hp + "k_proj.weight");
    b.lin(gp + "_v.weight", hp + "v_proj.weight");
    b.lin(gp + "_output.weight", hp + "o_proj.weight");
  };
  for (uint32_t i = 0; i < n_enc; i++) {
    const std::string q = p + "layers." + std::to_string(i) + ".", e = "enc.blk." + std::to_string(i) + ".";
    b.vec(e + "attn_norm.weight", q + "input_layernorm.weight");
    attn(e + "attn", q + "self_attn.");
    b.vec(e + "ffn_norm.weight", q + "post_attention_layernorm.weight");
    b.lin(e + "ffn_up.weight", q + "mlp.fc1.weight");
    b.vec(e + "ffn_up.bias", q + "mlp.fc1.bias");
    b.lin(e + "ffn_down.weight", q + "mlp.fc2.weight");
    b.vec(e + "ffn_down.bias", q + "mlp.fc2.bias");
  }
  b.vec("enc.output_norm.weight", p + "layer_norm.weight");
  p = "model.decoder.";
  b.lin("dec.token_embd.weight", p + "embed_tokens.weight");
  for (uint32_t i = 0; i < n_dec; i++) {
    const std::string q = p + "layers." + std::to_string(i) + ".", d = "dec.blk." + std::to_string(i) + ".";
    b.vec(d + "attn_norm.weight", q + "input_layernorm.weight");
    attn(d + "attn", q + "self_attn.");
    b.vec(d + "cross_attn_norm.weight", q + "post_attention_layernorm.weight");
    attn(d + "cross_attn", q + "encoder_attn.");
    b.vec(d + "ffn_norm.weight", q + "final_layernorm.weight");
    // fc1 = [up; gate] (HF chunks its output as (hidden, gate)): two matrices of I rows each
    const StTensor& fw = w.get(q + "mlp.fc1.weight");
    const StTensor& fb = w.get(q + "mlp.fc1.bias");
    if (fw.shape.size() != 2 || fw.shape[0] != 2 * int64_t(I) || fw.shape[1] != int64_t(E) || fb.shape.size() != 1 ||
        fb.shape[0] != 2 * int64_t(I)) {
      fail(dir, ": tensor ", q, "mlp.fc1 is not [2 x intermediate_size, hidden_size] with its bias");
    }
    b.lin(d + "ffn_up.weight", q + "mlp.fc1.weight", 0, I);
    b.lin(d + "ffn_gate.weight", q + "mlp.fc1.weight", I, I);
    b.vec(d + "ffn_up.bias", q + "mlp.fc1.bias", 0, I);
    b.vec(d + "ffn_gate.bias", q + "mlp.fc1.bias", I, I);
    b.lin(d + "ffn_down.weight", q + "mlp.fc2.weight");
    b.vec(d + "ffn_down.bias", q + "mlp.fc2.bias");
  }
  b.vec("dec.output_norm.weight", p + "norm.weight");
  if (!tie) b.lin("dec.output.weight", "proj_out.weight");
  ConvertReport rep;
  rep.arch = a;
  rep.n_tensors = b.plan.size();
  rep.fallbacks = b.fallbacks;
  rep.n_bytes = write_gguf(g, b.plan, out, opt.n_threads);
  return rep;
}

ConvertReport whisper(const std::string& dir, const json::Value& conf, const std::string& cpath,
                      const std::string& out, const ConvertOptions& opt) {
  if (opt.type != DType::F32 && opt.type != DType::F16) {
    fail(dir, ": a whisper model converts to f32 or f16, not ", dtype_name(opt.type));
  }
  const std::vector<const char*> keys = {"d_model", "encoder_layers", "decoder_layers", "encoder_attention_heads",
                                         "decoder_attention_heads", "encoder_ffn_dim", "decoder_ffn_dim",
                                         "num_mel_bins", "max_source_positions", "max_target_positions", "vocab_size"};
  require(conf, keys, cpath);
  std::map<std::string, uint32_t> c;
  for (const char* k : keys) c[k] = as_u32(conf.at(k), cpath, k);
  const Weights w = load_weights(dir);
  std::vector<std::string> need = {"model.encoder.conv1.weight", "model.encoder.embed_positions.weight",
                                   "model.decoder.embed_tokens.weight", "model.decoder.embed_positions.weight",
                                   "model.encoder.layer_norm.weight", "model.decoder.layer_norm.bias"};
  for (uint32_t i = 0; i < c["encoder_layers"]; i++) need.push_back("model.encoder.layers." + std::to_string(i) + ".fc1.weight");
  for (uint32_t i = 0; i < c["decoder_layers"]; i++) {
    need.push_back("model.decoder.layers." + std::to_string(i) + ".encoder_attn.q_proj.weight");
  }
  for (const std::string& n : need) {
    if (!w.has(n)) fail(dir, ": missing tensor ", n);
  }
  Tok tok = load_tokenizer((fs::path(dir) / "tokenizer.json").string(), c["vocab_size"]);
  auto id_or = [&](const char* t) -> uint32_t {
    auto it = tok.ids.find(t);
    return it == tok.ids.end() ? 0 : uint32_t(it->second);
  };
  const uint32_t eos = get_u32(conf, "eos_token_id", id_or("<|endoftext|>"), cpath);
  const uint32_t bos = get_u32(conf, "decoder_start_token_id", id_or("<|startoftranscript|>"), cpath);

  const std::string a = "whisper";
  Kv g;
  g.string("general.architecture", a);
  g.string("general.name", model_name(conf, dir, "whisper"));
  g.u32(a + ".embedding_length", c["d_model"]);
  g.u32(a + ".encoder.feed_forward_length", c["encoder_ffn_dim"]);
  g.u32(a + ".decoder.feed_forward_length", c["decoder_ffn_dim"]);
  g.u32(a + ".encoder.block_count", c["encoder_layers"]);
  g.u32(a + ".decoder.block_count", c["decoder_layers"]);
  g.u32(a + ".encoder.attention.head_count", c["encoder_attention_heads"]);
  g.u32(a + ".decoder.attention.head_count", c["decoder_attention_heads"]);
  g.u32(a + ".n_mels", c["num_mel_bins"]);
  g.u32(a + ".encoder.context_length", c["max_source_positions"]);
  g.u32(a + ".decoder.context_length", c["max_target_positions"]);
  g.f32(a + ".attention.layer_norm_epsilon", 1e-5f);
  g.u32(a + ".decoder_start_token_id", bos);
  g.string("tokenizer.ggml.model", "gpt2");
  g.string("tokenizer.ggml.pre", "gpt2");
  g.strings("tokenizer.ggml.tokens", tok.tokens);
  g.i32s("tokenizer.ggml.token_type", tok.types);
  g.strings("tokenizer.ggml.merges", tok.merges);
  g.u32("tokenizer.ggml.bos_token_id", bos);
  g.u32("tokenizer.ggml.eos_token_id", eos);

  Builder b{w, opt.type, {}, {}};
  auto lin = [&](const std::string& gn, const std::string& hn, bool bias = true) {
    b.lin(gn + ".weight", hn + ".weight");
    if (bias) b.vec(gn + ".bias", hn + ".bias");
  };
  auto norm = [&](const std::string& gn, const std::string& hn) {
    b.vec(gn + ".weight", hn + ".weight");
    b.vec(gn + ".bias", hn + ".bias");
  };
  auto conv = [&](const std::string& gn, const std::string& hn) {
    b.conv(gn + ".weight", hn + ".weight");
    b.vec(gn + ".bias", hn + ".bias");
  };
  auto attn = [&](const std::string& gp, const std::string& hp) {
    lin(gp + "_q", hp + "q_proj");
    lin(gp + "_k", hp + "k_proj", false);
    lin(gp + "_v", hp + "v_proj");
    lin(gp + "_output", hp + "out_proj");
  };
  std::string p = "model.encoder.";
  conv("enc.conv1", p + "conv1");
  conv("enc.conv2", p + "conv2");
  b.table_f32("enc.position_embd.weight", p + "embed_positions.weight");
  for (uint32_t i = 0; i < c["encoder_layers"]; i++) {
    const std::string q = p + "layers." + std::to_string(i) + ".", e = "enc.blk." + std::to_string(i) + ".";
    norm(e + "attn_norm", q + "self_attn_layer_norm");
    attn(e + "attn", q + "self_attn.");
    norm(e + "ffn_norm", q + "final_layer_norm");
    lin(e + "ffn_up", q + "fc1");
    lin(e + "ffn_down", q + "fc2");
  }
  norm("enc.output_norm", p + "layer_norm");
  p = "model.decoder.";
  b.lin("dec.token_embd.weight", p + "embed_tokens.weight");
  b.table_f32("dec.position_embd.weight", p + "embed_positions.weight");
  for (uint32_t i = 0; i < c["decoder_layers"]; i++) {
    const std::string q = p + "layers." + std::to_string(i) + ".", d = "dec.blk." + std::to_string(i) + ".";
    norm(d + "attn_norm", q + "self_attn_layer_norm");
    attn(d + "attn", q + "self_attn.");
    norm(d + "cross_attn_norm", q + "encoder_attn_layer_norm");
    attn(d + "cross_attn", q + "encoder_attn.");
    norm(d + "ffn_norm", q + "final_layer_norm");
    lin(d + "ffn_up", q + "fc1");
    lin(d + "ffn_down", q + "fc2");
  }
  norm("dec.output_norm", p + "layer_norm");
  ConvertReport rep;
  rep.arch = a;
  rep.n_tensors = b.plan.size();
  rep.fallbacks = b.fallbacks;
  rep.n_bytes = write_gguf(g, b.plan, out, opt.n_threads);
  return rep;
}

}  // namespace

ConvertReport convert_speech(const std::string& dir, const json::Value& conf, const std::string& cpath,
                             const std::string& out, const ConvertOptions& opt) {
  const json::Value* mt = conf.find("model_type");
  if (mt && mt->is_string() && mt->str() == "whisper") return whisper(dir, conf, cpath, out, opt);
  return moonshine(dir, conf, cpath, out, opt);
}

}  // namespace sotto::convert::detail
