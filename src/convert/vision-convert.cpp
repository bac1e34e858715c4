// vision-convert.cpp — see vision-convert.h. Mirrors tools/ref/mmproj_gguf.py (write, gguf_name) key by key and in
// its tensor order (siglip_ref.random_weights' order: embeddings, post_layernorm, connector, then per layer).
#include "convert/vision-convert.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "core/file.h"
#include "core/json.h"
#include "core/quant.h"

namespace sotto::convert::detail {

namespace {

namespace fs = std::filesystem;

std::string shape_str(const std::vector<int64_t>& s) {
  std::string o = "[";
  for (size_t i = 0; i < s.size(); i++) o += (i ? ", " : "") + std::to_string(s[i]);
  return o + "]";
}

// A count of `conf` with transformers' default when absent (Idefics3VisionConfig / Idefics3Config).
uint32_t count_or(const json::Value* conf, const char* key, uint32_t dflt, const std::string& where) {
  const json::Value* v = conf ? conf->find(key) : nullptr;
  return v && !v->is_null() ? as_u32(*v, where, key) : dflt;
}

}  // namespace

bool is_vlm_type(const std::string& t) { return t == "idefics3" || t == "smolvlm"; }

DType mmproj_matrix_type(DType lm_type) {
  switch (lm_type) {
    case DType::F32: return DType::F32;
    case DType::Q8_0: case DType::Q4_0: case DType::Q4_K: return DType::Q8_0;
    default: return DType::F16;
  }
}

std::string default_mmproj_path(const std::string& lm_out) {
  const fs::path p(lm_out);
  return (p.parent_path() / ("mmproj-" + p.filename().string())).string();
}

std::unique_ptr<MmprojPlan> plan_mmproj(const std::string& dir, const json::Value& top, const std::string& cpath,
                                        const ConvertOptions& opt) {
  const json::Value* vc = top.find("vision_config");
  const json::Value* tc = top.find("text_config");
  if (!vc || !vc->is_object()) fail(cpath, ": no vision_config object (a SmolVLM / Idefics3 config has one)");
  if (!tc || !tc->is_object() || !tc->find("hidden_size")) fail(cpath, ": no text_config with hidden_size");
  const std::string where = cpath + " vision_config";
  const int64_t D = count_or(vc, "hidden_size", 1152, where), FF = count_or(vc, "intermediate_size", 3072, where);
  const int64_t L = count_or(vc, "num_hidden_layers", 12, where), H = count_or(vc, "num_attention_heads", 16, where);
  const int64_t S = count_or(vc, "image_size", 224, where), P = count_or(vc, "patch_size", 32, where);
  const double eps = vc->find("layer_norm_eps") ? as_num(vc->at("layer_norm_eps"), where, "layer_norm_eps") : 1e-6;
  const int64_t s = count_or(&top, "scale_factor", 2, cpath);
  const int64_t T = as_u32(tc->at("hidden_size"), cpath + " text_config", "hidden_size");
  if (D == 0 || FF == 0 || L == 0 || H == 0 || D % H || P == 0 || S % P || s == 0 || (S / P) % s) {
    fail(where, ": hidden ", std::to_string(D), " in ", std::to_string(H), " heads, image ", std::to_string(S),
         " in patches of ", std::to_string(P), ", pixel shuffle ", std::to_string(s), " is not a valid tower");
  }
  const int64_t N = (S / P) * (S / P);

  // preprocessor_config.json: the processor's longest edge and normalisation.
  uint32_t longest = 0;
  std::vector<float> mean(3, 0.5f), stdv(3, 0.5f);
  const std::string ppath = (fs::path(dir) / "preprocessor_config.json").string();
  std::error_code ec;
  if (fs::exists(ppath, ec)) {
    const json::Value pc = json::parse(read_file(ppath), ppath);
    if (!pc.is_object()) fail(ppath, ": not a JSON object");
    if (const json::Value* sz = pc.find("size"); sz && sz->is_object() && sz->find("longest_edge")) {
      longest = as_u32(sz->at("longest_edge"), ppath, "size.longest_edge");
    }
    for (auto [key, out] : {std::pair{"image_mean", &mean}, {"image_std", &stdv}}) {
      const json::Value* v = pc.find(key);
      if (!v) continue;
      if (!v->is_array() || v->arr().size() != 3) fail(ppath, ": ", key, " is not a list of 3 numbers");
      for (size_t i = 0; i < 3; i++) (*out)[i] = float(as_num(v->arr()[i], ppath, key));
    }
  }

  auto m = std::make_unique<MmprojPlan>();
  m->files = open_checkpoint_files(dir);
  std::map<std::string, const StTensor*> by_name;
  for (const auto& f : m->files) {
    for (const StTensor& t : f->tensors()) by_name[t.name] = &t;
  }

  Kv& g = m->kv;  // mmproj_gguf.write's order
  g.string("general.architecture", "clip");
  g.boolean("clip.has_vision_encoder", true);
  g.string("clip.projector_type", "idefics3");
  g.boolean("clip.use_gelu", true);
  g.u32("clip.vision.image_size", uint32_t(S));
  g.u32("clip.vision.patch_size", uint32_t(P));
  g.u32("clip.vision.embedding_length", uint32_t(D));
  g.u32("clip.vision.feed_forward_length", uint32_t(FF));
  g.u32("clip.vision.block_count", uint32_t(L));
  g.u32("clip.vision.projection_dim", uint32_t(T));
  g.u32("clip.vision.attention.head_count", uint32_t(H));
  g.f32("clip.vision.attention.layer_norm_epsilon", float(eps));
  g.u32("clip.vision.projector.scale_factor", uint32_t(s));
  if (longest && int64_t(longest) != 4 * S) g.u32("clip.vision.preproc_image_size", longest);
  g.f32s("clip.vision.image_mean", mean);
  g.f32s("clip.vision.image_std", stdv);

  const DType mtype = mmproj_matrix_type(opt.type);
  auto add = [&](const std::string& gname, const std::string& hname, std::vector<int64_t> shape, bool matrix) {
    auto it = by_name.find(hname);
    if (it == by_name.end()) {
      fail(dir, ": missing tensor ", hname, " (a SmolVLM / Idefics3 checkpoint carries its vision tower)");
    }
    const StTensor& t = *it->second;
    check_float(t, dir);
    if (t.shape != shape) {
      fail(dir, ": tensor ", hname, " has shape ", shape_str(t.shape), ", not ", shape_str(shape),
           " (config.json's vision_config and text_config)");
    }
    // Q8_0 where the rows fill its blocks (mmproj_gguf.py's rule): the 4-D patch convolution, whose rows in the
    // file are one patch row (ne[0] = patch size), and matrices of other widths are F16.
    DType type = matrix ? mtype : DType::F32;
    if (type == DType::Q8_0 && (shape.size() != 2 || shape[1] % QK8_0 != 0)) {
      type = DType::F16;
      if (shape.size() == 2) {
        m->fallbacks.push_back(gname + ": f16 (" + std::to_string(shape[1]) + " columns are not a multiple of " +
                               std::to_string(QK8_0) + ")");
      }
    }
    Planned p;
    p.name = gname;
    p.type = type;
    p.ne.assign(shape.rbegin(), shape.rend());
    p.src = &t;
    m->plan.push_back(std::move(p));
  };
  const std::string v = "model.vision_model.";
  add("v.patch_embd.weight", v + "embeddings.patch_embedding.weight", {D, 3, P, P}, true);
  add("v.patch_embd.bias", v + "embeddings.patch_embedding.bias", {D}, false);
  add("v.position_embd.weight", v + "embeddings.position_embedding.weight", {N, D}, false);
  add("v.post_ln.weight", v + "post_layernorm.weight", {D}, false);
  add("v.post_ln.bias", v + "post_layernorm.bias", {D}, false);
  add("mm.model.fc.weight", "model.connector.modality_projection.proj.weight", {T, D * s * s}, true);
  for (int64_t i = 0; i < L; i++) {
    const std::string p = v + "encoder.layers." + std::to_string(i) + ".", b = "v.blk." + std::to_string(i) + ".";
    for (auto [hf, gg] : {std::pair{"layer_norm1", "ln1"}, {"layer_norm2", "ln2"}}) {
      add(b + gg + ".weight", p + hf + ".weight", {D}, false);
      add(b + gg + ".bias", p + hf + ".bias", {D}, false);
    }
    for (auto [hf, gg] : {std::pair{"q_proj", "attn_q"}, {"k_proj", "attn_k"}, {"v_proj", "attn_v"},
                          {"out_proj", "attn_out"}}) {
      add(b + gg + ".weight", p + "self_attn." + hf + ".weight", {D, D}, true);
      add(b + gg + ".bias", p + "self_attn." + hf + ".bias", {D}, false);
    }
    add(b + "ffn_up.weight", p + "mlp.fc1.weight", {FF, D}, true);
    add(b + "ffn_up.bias", p + "mlp.fc1.bias", {FF}, false);
    add(b + "ffn_down.weight", p + "mlp.fc2.weight", {D, FF}, true);
    add(b + "ffn_down.bias", p + "mlp.fc2.bias", {D}, false);
  }
  return m;
}

}  // namespace sotto::convert::detail
