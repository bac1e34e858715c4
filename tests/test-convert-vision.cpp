// test-convert-vision.cpp — `sotto convert` of a SmolVLM / Idefics3 Hugging Face checkpoint (src/convert/
// vision-convert.*, hf-convert.cpp) on tests/fixtures/hf-smolvlm (tools/ref/make_vlm_hf_fixture.py: the HF layout
// holding exactly the weights of the engine's tiny VLM fixtures, F32):
//   MmprojIsPythons       the vision GGUF is tools/ref/mmproj_gguf.py's file for the same tensors: F32 byte for byte
//                         tests/fixtures/vision/tiny-mmproj-f32.gguf, F16 by SHA-256 (hf-smolvlm/SHA256SUMS), Q8_0
//                         (from --type q8_0 and q4_k) tiny-mmproj-q8_0.gguf (quants.py's blocks) but for exact halves;
//   LanguageModelTensors  the LM GGUF's tensors (names, order, types, shapes, bytes) are tiny-vlm-f32.gguf's (Python's
//                         export.py), lm_head dropped as tied, the same vocabulary;
//   TowerMatchesSiglipRef the converted tower (f32, f16, q8_0) on tiny-mmproj-f32.ref.gguf's pixels against
//                         siglip_ref.py (float64) on the file's own weights (f16: hf-smolvlm/tower-f16.ref.gguf, q8_0:
//                         tiny-mmproj-q8_0.ref.gguf): encoder and connector within 1e-5 x the reference's standard
//                         deviation (q8_0: 5e-2, its activations rounded to Q8_0 too);
//   GreedyMatchesReference the converted pair on two PNGs and a question: prompt tokens equal, last logits within
//                         1e-5 sd, 8 greedy tokens equal to smolvlm_ref.py's (tiny-vlm.ref.gguf);
//   Bad*                  one-line errors, and no file written, for a folder without the vision tensors, with a wrong
//                         shape, without text_config / vision_config;
//   Cli                   `sotto convert` writes mmproj-OUT.gguf beside OUT.gguf (or --mmproj), and says so.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli-run.h"
#include "convert/hf-convert.h"
#include "convert/safetensors.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/gguf.h"
#include "core/json.h"
#include "core/thread-pool.h"
#include "image/image.h"
#include "image/processor.h"
#include "models/model.h"
#include "models/siglip.h"
#include "rag/index.h"
#include "runtime/vision-prompt.h"
#include "text/tokenizer.h"

using namespace sotto;
namespace fs = std::filesystem;

namespace {

const std::string kSrc = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/hf-smolvlm";
const std::string kVis = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/vision/";
constexpr double kTol = 1e-5;  // x sd of the reference, as test-model-vision and test-vision-lm
// A Q8_0 tower against the float64 reference on its own dequantized weights: the CPU's Q8_0 matmul also rounds
// each activation row to Q8_0 blocks (test-model-vision's tolerance for q8_0).
constexpr double kTolQ8 = 5e-2;

std::string scratch(const std::string& what) {
  const std::string d = testing::TempDir() + "/sotto-convert-vision-" + std::to_string(::getpid()) + "-" + what;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

void spit(const std::string& p, const std::string& b) { std::ofstream(p, std::ios::binary) << b; }

struct Converted {
  std::string dir, lm, mmproj;
  std::vector<std::string> fallbacks;
};

Converted convert(const std::string& type) {
  Converted c;
  c.dir = scratch(type);
  c.lm = c.dir + "/lm.gguf";
  convert::ConvertOptions opt;
  opt.type = dtype_from_name(type);
  const convert::ConvertReport r = convert::convert_hf(kSrc, c.lm, opt);
  EXPECT_EQ(r.arch, "llama");
  EXPECT_EQ(r.mmproj_path, c.dir + "/mmproj-lm.gguf");
  EXPECT_EQ(r.mmproj_tensors, size_t(6 + 2 * 16));
  c.mmproj = r.mmproj_path;
  c.fallbacks = r.fallbacks;
  return c;
}

std::string sum_of(const std::string& file) {
  std::istringstream in(slurp(kSrc + "/SHA256SUMS"));
  std::string sha, name;
  while (in >> sha >> name) {
    if (name == file) return sha;
  }
  return "(not listed)";
}

// max |a - b| / sd(ref) over n values
double rel_diff(const float* got, const float* ref, size_t n) {
  double mean = 0, var = 0, md = 0;
  for (size_t i = 0; i < n; i++) mean += ref[i];
  mean /= double(n);
  for (size_t i = 0; i < n; i++) {
    var += (ref[i] - mean) * (ref[i] - mean);
    md = std::max(md, std::fabs(double(got[i]) - ref[i]));
  }
  return md / std::sqrt(var / double(n));
}

std::string error_of(const std::string& dir, const std::string& out) {
  try {
    convert::convert_hf(dir, out);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ConvertVision, MmprojIsPythons) {
  const Converted f32 = convert("f32");
  EXPECT_TRUE(slurp(f32.mmproj) == slurp(kVis + "tiny-mmproj-f32.gguf")) << "not mmproj_gguf.py's f32 bytes";
  EXPECT_EQ(rag::sha256_file(f32.mmproj), sum_of("mmproj-f32.gguf"));
  const Converted f16 = convert("f16");
  EXPECT_EQ(rag::sha256_file(f16.mmproj), sum_of("mmproj-f16.gguf")) << "not mmproj_gguf.py's f16 bytes";
  // q8_0 (and q4_0 / q4_k): a Q8_0 tower, mmproj_gguf.py's "q8_0" file (quants.py's blocks, an independent
  // quantizer) but for exact halves, which core/quant.cpp rounds away from zero (lround, as ggml) and NumPy to even;
  // the 80-wide fc2 rows do not fill 32-value blocks and stay F16, said as a fallback.
  auto py = GgufFile::open(kVis + "tiny-mmproj-q8_0.gguf");
  EXPECT_EQ(rag::sha256_file(kVis + "tiny-mmproj-q8_0.gguf"), sum_of("mmproj-q8_0.gguf"));
  for (const char* t : {"q8_0", "q4_k"}) {
    const Converted q8 = convert(t);
    auto f = GgufFile::open(q8.mmproj);
    ASSERT_EQ(f->tensors().size(), py->tensors().size());
    size_t n_q = 0, n_half = 0;
    for (size_t i = 0; i < py->tensors().size(); i++) {
      const GgufTensorInfo& a = f->tensors()[i];
      const GgufTensorInfo& b = py->tensors()[i];
      ASSERT_EQ(a.name, b.name);
      ASSERT_EQ(a.type, b.type) << a.name;
      ASSERT_EQ(a.ne, b.ne) << a.name;
      ASSERT_EQ(a.view.nbytes(), b.view.nbytes()) << a.name;
      if (a.type != DType::Q8_0) {
        EXPECT_EQ(std::memcmp(a.view.data, b.view.data, a.view.nbytes()), 0) << a.name;
        continue;
      }
      const auto* x = static_cast<const BlockQ8_0*>(a.view.data);
      const auto* y = static_cast<const BlockQ8_0*>(b.view.data);
      for (size_t k = 0; k < a.view.nbytes() / sizeof(BlockQ8_0); k++) {
        EXPECT_EQ(x[k].d, y[k].d) << a.name << " block " << k;
        for (int j = 0; j < QK8_0; j++, n_q++) {
          if (x[k].qs[j] == y[k].qs[j]) continue;
          n_half++;  // an exact half: the two differ by one step, away from zero in ours
          EXPECT_EQ(std::abs(int(x[k].qs[j])), std::abs(int(y[k].qs[j])) + 1) << a.name << " block " << k;
          EXPECT_EQ(x[k].qs[j] > 0, y[k].qs[j] >= 0) << a.name << " block " << k;
        }
      }
    }
    EXPECT_EQ(n_q, size_t(2 * (4 * 32 * 32 + 80 * 32) + 512 * 48));  // q, k, v, out, fc1 of 2 layers; the connector
    EXPECT_LE(n_half, n_q / 1000) << t;  // measured: 1 of 37,888
    std::printf("%s: %zu Q8_0 values, %zu exact halves rounded the other way\n", t, n_q, n_half);
    EXPECT_EQ(f->tensor("v.blk.0.attn_q.weight").type, DType::Q8_0);
    EXPECT_EQ(f->tensor("mm.model.fc.weight").type, DType::Q8_0);
    EXPECT_EQ(f->tensor("v.blk.1.ffn_up.weight").type, DType::Q8_0);
    EXPECT_EQ(f->tensor("v.blk.1.ffn_down.weight").type, DType::F16);
    EXPECT_EQ(f->tensor("v.patch_embd.weight").type, DType::F16);
    EXPECT_EQ(f->tensor("v.position_embd.weight").type, DType::F32);
    size_t tower_fallbacks = 0;
    for (const std::string& fb : q8.fallbacks) {
      if (fb.rfind("v.", 0) == 0) {
        tower_fallbacks++;
        EXPECT_NE(fb.find("ffn_down.weight: f16 (80 columns are not a multiple of 32)"), std::string::npos) << fb;
      }
    }
    EXPECT_EQ(tower_fallbacks, 2u) << t;  // one fc2 per layer
  }
  const Converted b16 = convert("bf16");  // bf16 -> an F16 tower
  EXPECT_EQ(rag::sha256_file(b16.mmproj), sum_of("mmproj-f16.gguf"));
}

TEST(ConvertVision, LanguageModelTensors) {
  const Converted c = convert("f32");
  auto got = GgufFile::open(c.lm);
  auto want = GgufFile::open(kVis + "tiny-vlm-f32.gguf");
  ASSERT_EQ(got->tensors().size(), want->tensors().size());
  for (size_t i = 0; i < want->tensors().size(); i++) {
    const GgufTensorInfo& a = got->tensors()[i];
    const GgufTensorInfo& b = want->tensors()[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.type, b.type) << a.name;
    EXPECT_EQ(a.ne, b.ne) << a.name;
    ASSERT_EQ(a.view.nbytes(), b.view.nbytes()) << a.name;
    EXPECT_EQ(std::memcmp(a.view.data, b.view.data, a.view.nbytes()), 0) << a.name << ": bytes differ";
  }
  EXPECT_EQ(got->find_tensor("output.weight"), nullptr);  // lm_head equal to the embedding, tied by the config
  EXPECT_EQ(got->get_string_array("tokenizer.ggml.tokens"), want->get_string_array("tokenizer.ggml.tokens"));
  EXPECT_EQ(got->get_int_array("tokenizer.ggml.token_type"), want->get_int_array("tokenizer.ggml.token_type"));
  EXPECT_EQ(got->get_string("tokenizer.ggml.pre"), "smollm");
  for (const char* k : {"llama.embedding_length", "llama.block_count", "llama.attention.head_count",
                        "llama.attention.head_count_kv", "llama.feed_forward_length", "llama.vocab_size"}) {
    EXPECT_EQ(got->get_int(k), want->get_int(k)) << k;
  }
  EXPECT_EQ(got->get_float("llama.rope.freq_base"), want->get_float("llama.rope.freq_base"));
}

TEST(ConvertVision, TowerMatchesSiglipRef) {
  auto ref = GgufFile::open(kVis + "tiny-mmproj-f32.ref.gguf");
  const float* px = ref->tensor("pixels").view.as<const float>();
  for (const char* type : {"f32", "f16", "q8_0"}) {
    const Converted c = convert(type);
    auto f = GgufFile::open(c.mmproj);
    ThreadPool pool(2);
    auto be = make_cpu_backend(pool);
    auto vm = VisionModel::load(*f, *be);
    const std::vector<float> enc = vm->encode(px), emb = vm->embed(px);
    const auto& re = ref->tensor("encoded");
    const auto& rm = ref->tensor("embeds");
    ASSERT_EQ(enc.size(), size_t(re.ne[0] * re.ne[1]));
    ASSERT_EQ(emb.size(), size_t(rm.ne[0] * rm.ne[1]));
    const double de = rel_diff(enc.data(), re.view.as<const float>(), enc.size());
    const double dm = rel_diff(emb.data(), rm.view.as<const float>(), emb.size());
    if (std::string(type) == "f32") {
      std::printf("f32 tower vs siglip_ref: encoder %.3g sd, connector %.3g sd\n", de, dm);
      EXPECT_LT(de, kTol);
      EXPECT_LT(dm, kTol);
    } else if (std::string(type) == "q8_0") {  // siglip_ref on the Q8_0 file's own (dequantized) weights
      auto r8 = GgufFile::open(kVis + "tiny-mmproj-q8_0.ref.gguf");
      const double e8 = rel_diff(enc.data(), r8->tensor("encoded").view.as<const float>(), enc.size());
      const double m8 = rel_diff(emb.data(), r8->tensor("embeds").view.as<const float>(), emb.size());
      std::printf("q8_0 tower vs siglip_ref: encoder %.3g sd, connector %.3g sd (vs the f32 weights': %.3g, %.3g)\n",
                  e8, m8, de, dm);
      EXPECT_LT(e8, kTolQ8);
      EXPECT_LT(m8, kTolQ8);
    } else {  // against siglip_ref on the f16 file's own weights (make_vlm_hf_fixture.py)
      auto r16 = GgufFile::open(kSrc + "/tower-f16.ref.gguf");
      const double e16 = rel_diff(enc.data(), r16->tensor("encoded").view.as<const float>(), enc.size());
      const double m16 = rel_diff(emb.data(), r16->tensor("embeds").view.as<const float>(), emb.size());
      std::printf("f16 tower vs siglip_ref: encoder %.3g sd, connector %.3g sd (vs the f32 weights': %.3g, %.3g)\n",
                  e16, m16, de, dm);
      EXPECT_LT(e16, kTol);
      EXPECT_LT(m16, kTol);
    }
  }
}

TEST(ConvertVision, GreedyMatchesReference) {
  const Converted c = convert("f32");
  auto lm_file = GgufFile::open(c.lm);
  auto mm_file = GgufFile::open(c.mmproj);
  auto ref = GgufFile::open(kVis + "tiny-vlm.ref.gguf");
  ThreadPool pool(2);
  auto be = make_cpu_backend(pool);
  auto lm = Model::load(*lm_file, *be);
  auto tok = Tokenizer::from_gguf(*lm_file);
  auto vm = VisionModel::load(*mm_file, *be);
  std::vector<ImageInput> images;
  for (const char* name : {"processor-small.png", "processor-tall.png"}) {  // make_vlm_fixtures.py IMAGES
    image::ProcessorConfig pc;
    pc.tile = vm->config().image_size;
    pc.longest_edge = 4 * pc.tile;
    pc.image_seq_len = vm->config().n_tokens();
    const image::Processed p = image::process(image::load_image(kVis + name), pc);
    ImageInput in;
    in.layout = image::image_prompt(p.rows, p.cols, pc.image_seq_len);
    for (const auto& t : p.tiles) {
      const std::vector<float> px = image::pixel_values(t, pc);
      const std::vector<float> e = vm->embed(px.data());
      in.rows.insert(in.rows.end(), e.begin(), e.end());
    }
    images.push_back(std::move(in));
  }
  const VisionPrompt p = make_vision_prompt(*tok, "What is in these pictures?", images, lm->config().n_embd);
  const auto& rt = ref->tensor("tokens");
  const int32_t* rtok = rt.view.as<const int32_t>();
  EXPECT_EQ(p.tokens, std::vector<int32_t>(rtok, rtok + rt.ne[0]));
  const std::vector<EmbdSpan> sp = p.spans();
  KvCache cache = lm->new_cache(512, DType::F32);
  std::vector<float> logits = lm->forward_embd(cache, p.tokens.data(), int(p.tokens.size()), sp.data(), int(sp.size()));
  const auto& rl = ref->tensor("logits");
  ASSERT_EQ(size_t(rl.ne[0]), logits.size());
  const double d = rel_diff(logits.data(), rl.view.as<const float>(), logits.size());
  std::printf("converted pair, last-position logits vs smolvlm_ref: %.3g sd (tolerance %.0e)\n", d, kTol);
  EXPECT_LT(d, kTol);
  const auto& rg = ref->tensor("greedy");
  const std::vector<int32_t> want(rg.view.as<const int32_t>(), rg.view.as<const int32_t>() + rg.ne[0]);
  std::vector<int32_t> got;
  for (size_t i = 0; i < want.size(); i++) {
    const int32_t t = int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
    got.push_back(t);
    logits = lm->forward(cache, &t, 1);
  }
  EXPECT_EQ(got, want);
}

// A copy of the fixture folder with config.json edited by `edit` and model.safetensors keeping the tensors `keep`
// accepts (rewritten in the safetensors layout).
std::string variant(const std::string& what, void (*edit)(std::string&), bool (*keep)(const std::string&)) {
  const std::string d = scratch(what);
  for (const char* f : {"tokenizer.json", "preprocessor_config.json", "processor_config.json"}) {
    fs::copy_file(kSrc + "/" + f, d + "/" + f);
  }
  std::string conf = slurp(kSrc + "/config.json");
  if (edit) edit(conf);
  spit(d + "/config.json", conf);
  auto st = convert::SafetensorsFile::open(kSrc + "/model.safetensors");
  std::string header = "{", data;
  for (const convert::StTensor& t : st->tensors()) {
    if (keep && !keep(t.name)) continue;
    std::string shape;
    for (int64_t n : t.shape) {
      if (!shape.empty()) shape += ',';
      shape += std::to_string(n);
    }
    if (header.size() > 1) header += ',';
    header += json::quote(t.name);
    header += ":{\"dtype\":\"" + t.dtype + "\",\"shape\":[" + shape + "],\"data_offsets\":[";
    header += std::to_string(data.size()) + "," + std::to_string(data.size() + t.n_bytes) + "]}";
    data.append(reinterpret_cast<const char*>(t.data), t.n_bytes);
  }
  header += "}";
  const uint64_t n = header.size();
  spit(d + "/model.safetensors", std::string(reinterpret_cast<const char*>(&n), 8) + header + data);
  return d;
}

void replace(std::string& s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  s.replace(at, from.size(), to);
}

TEST(ConvertVision, BadFolders) {
  const std::string out = scratch("bad-out");
  auto nothing_written = [&] {
    EXPECT_TRUE(fs::is_empty(out)) << "a failed conversion left files in " << out;
  };
  // The same folder rewritten by variant() converts (the writer above is a faithful copy).
  const std::string same = variant("same", nullptr, nullptr);
  EXPECT_EQ(error_of(same, scratch("same-out") + "/lm.gguf"), "(no error)");

  const std::string no_vision = variant("no-vision", nullptr, [](const std::string& n) {
    return n.rfind("model.vision_model.", 0) != 0 && n.rfind("model.connector.", 0) != 0;
  });
  EXPECT_EQ(error_of(no_vision, out + "/lm.gguf"),
            no_vision + ": missing tensor model.vision_model.embeddings.patch_embedding.weight (a SmolVLM / Idefics3 "
                        "checkpoint carries its vision tower)");
  nothing_written();

  const std::string no_proj = variant("no-proj", nullptr, [](const std::string& n) {
    return n != "model.connector.modality_projection.proj.weight";
  });
  EXPECT_EQ(error_of(no_proj, out + "/lm.gguf"),
            no_proj + ": missing tensor model.connector.modality_projection.proj.weight (a SmolVLM / Idefics3 "
                      "checkpoint carries its vision tower)");
  nothing_written();

  const std::string ff = variant("ff", [](std::string& c) {
    replace(c, "\"intermediate_size\": 80", "\"intermediate_size\": 96");
  }, nullptr);
  EXPECT_EQ(error_of(ff, out + "/lm.gguf"),
            ff + ": tensor model.vision_model.encoder.layers.0.mlp.fc1.weight has shape [80, 32], not [96, 32] "
                 "(config.json's vision_config and text_config)");
  nothing_written();

  const std::string scale = variant("scale", [](std::string& c) {
    replace(c, "\"scale_factor\": 4", "\"scale_factor\": 2");
  }, nullptr);
  EXPECT_EQ(error_of(scale, out + "/lm.gguf"),
            scale + ": tensor model.connector.modality_projection.proj.weight has shape [48, 512], not [48, 128] "
                    "(config.json's vision_config and text_config)");
  nothing_written();

  const std::string no_vc = variant("no-vc", [](std::string& c) {
    replace(c, "\"vision_config\"", "\"vision_conf\"");
  }, nullptr);
  EXPECT_EQ(error_of(no_vc, out + "/lm.gguf"),
            no_vc + "/config.json: no vision_config object (a SmolVLM / Idefics3 config has one)");
  nothing_written();

  const std::string no_tc = variant("no-tc", [](std::string& c) { replace(c, "\"text_config\"", "\"text_conf\""); },
                                    nullptr);
  EXPECT_EQ(error_of(no_tc, out + "/lm.gguf"), no_tc + "/config.json: model_type 'idefics3' without a text_config object");
  nothing_written();

  const std::string mistral = variant("mistral", [](std::string& c) {
    replace(c, "\"model_type\": \"llama\"", "\"model_type\": \"mistral\"");
  }, nullptr);
  EXPECT_EQ(error_of(mistral, out + "/lm.gguf"),
            mistral + "/config.json: text_config model_type \"mistral\" is not supported (llama, as SmolVLM's)");
  nothing_written();
}

TEST(ConvertVision, Cli) {
  const std::string d = scratch("cli");
  cli_run::Result r = cli_run::run("convert " + kSrc + " -o " + d + "/tiny.gguf --type f32");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("vision tower -> " + d + "/mmproj-tiny.gguf: clip (idefics3), 38 tensors"), std::string::npos)
      << r.out;
  EXPECT_TRUE(slurp(d + "/mmproj-tiny.gguf") == slurp(kVis + "tiny-mmproj-f32.gguf"));
  r = cli_run::run("convert " + kSrc + " -o " + d + "/lm.gguf --mmproj " + d + "/vision.gguf -q");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(rag::sha256_file(d + "/vision.gguf"), sum_of("mmproj-f16.gguf"));
  // The converted pair answers through `sotto generate --mmproj --image`.
  r = cli_run::run("generate -m " + d + "/tiny.gguf --mmproj " + d + "/mmproj-tiny.gguf --image " + kVis +
                   "processor-small.png -p Hi -n 4 --temp 0", false);
  EXPECT_EQ(r.code, 0) << r.out;
}

}  // namespace
