// test-convert.cpp — `sotto convert` / convert::convert_hf (src/convert/) against the Python converter
// (tools/train/base.py load_hf + export) and the PyTorch reference, on the tiny Hugging Face checkpoints of
// tests/fixtures/hf-{llama,smollm2,qwen2,gemma3,qwen3} (made by tools/ref/make_hf_fixtures.py, which documents what each
// one exercises: sharded BF16, F16, F32, tying, biases, llama3 RoPE scaling, Gemma's text_config, ...).
//   MatchesPython       the converted file's SHA-256 equals the Python converter's output's (SHA256SUMS): the same
//                       bytes, metadata and tensors, for f32 / f16 / bf16 and the q4_0 files without rounding ties;
//   QuantizedIsEngine   q8_0 / q4_0 / q4_k files: the f32 file's metadata and tensor order, each matrix the engine's
//                       quantize_row of the f32 file's rows (in the type the converter reports when rows do not fill
//                       the blocks), vectors F32 unchanged;
//   SpeechIsTheParityFixture  Moonshine / Whisper (tests/fixtures/hf-asr): the F32 conversion is byte for byte
//                       tests/fixtures/asr/{moonshine,whisper}-hf.gguf, tools/ref/convert_asr.py's output that
//                       test-asr-parity checks against PyTorch (their F16 files are in SHA256SUMS);
//   LogitsMatchPyTorch  the engine on the converted f32 and q8_0 files against arch.py's float64 logits of the
//                       checkpoint (test-model-parity's tolerances) and the same greedy token at every position;
//   Bad*                one-line errors for malformed folders and files (each names the file and what is wrong);
//   Cli                 `sotto convert` and `-m DIR` (a folder converted once into the cache, then reused).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli-run.h"
#include "convert/hf-convert.h"
#include "convert/safetensors.h"
#include "core/error.h"
#include "core/gguf.h"
#include "core/quant.h"
#include "core/thread-pool.h"
#include "models/model.h"
#include "parity-fixtures.h"
#include "rag/index.h"

using namespace sotto;
namespace fs = std::filesystem;

namespace {

const std::string kFix = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/";
const char* kModels[] = {"llama", "smollm2", "qwen2", "gemma3", "qwen3"};

// The checkpoint folder of a fixture name: hf-NAME, or the speech checkpoints of hf-asr (named as
// tools/ref/make_asr_hf_fixture.py names its scratch folders, since the speech converter names a model after its folder).
std::string folder(const std::string& name) {
  if (name == "moonshine") return kFix + "hf-asr/hf";
  if (name == "whisper") return kFix + "hf-asr/whf";
  return kFix + "hf-" + name;
}

std::string scratch(const std::string& what) {
  const std::string d = testing::TempDir() + "/sotto-convert-" + std::to_string(::getpid()) + "-" + what;
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

void spit(const std::string& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << bytes;
}

// A copy of fixture folder hf-NAME to mutate.
std::string copy_fixture(const std::string& name, const std::string& tag) {
  const std::string d = scratch(tag) + "/hf-" + name;
  fs::copy(kFix + "hf-" + name, d, fs::copy_options::recursive);
  return d;
}

std::string convert_err(const std::string& dir, DType t = DType::F32) {
  try {
    convert::convert_hf(dir, scratch("out") + "/x.gguf", {t, 1});
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    return m;
  }
  return "(no error)";
}

// ---------------------------------------------------------------- byte identity with the Python converter
struct Sum {
  std::string sha, file;
};
std::vector<Sum> sums() {
  std::vector<Sum> out;
  std::istringstream in(slurp(kFix + "hf-converted/SHA256SUMS"));
  std::string sha, file;
  while (in >> sha >> file) out.push_back({sha, file});
  return out;
}

TEST(Convert, MatchesPython) {
  const auto want = sums();
  ASSERT_EQ(want.size(), 15u);
  const std::string out = scratch("py");
  for (const Sum& s : want) {
    const std::string name = s.file.substr(0, s.file.find('-'));
    const std::string type = s.file.substr(name.size() + 1, s.file.size() - name.size() - 6);
    const std::string path = out + "/" + s.file;
    convert::convert_hf(folder(name), path, {dtype_from_name(type), 2});
    EXPECT_EQ(rag::sha256_file(path), s.sha) << s.file << ": not the Python converter's bytes "
                                             << "(tools/ref/make_hf_fixtures.py --keep DIR writes them to compare)";
  }
  fs::remove_all(out);
}

// The speech checkpoints' F32 conversions are the very files test-asr-parity checks against the PyTorch reference
// (tools/ref/convert_asr.py's output of the same folders).
TEST(Convert, SpeechIsTheParityFixture) {
  const std::string out = scratch("asr");
  for (const char* name : {"moonshine", "whisper"}) {
    convert::convert_hf(folder(name), out + "/x.gguf", {DType::F32, 1});
    const std::string want = slurp(kFix + "asr/" + name + "-hf.gguf");
    ASSERT_FALSE(want.empty());
    EXPECT_TRUE(slurp(out + "/x.gguf") == want) << name;
  }
  fs::remove_all(out);
}

// ---------------------------------------------------------------- quantized files: the engine's quantizer
TEST(Convert, QuantizedIsEngine) {
  const std::string out = scratch("q");
  for (const char* name : {"llama", "smollm2", "qwen2", "gemma3", "qwen3", "moonshine"}) {
    const std::string f32_path = out + "/" + name + "-f32.gguf";
    convert::convert_hf(folder(name), f32_path, {DType::F32, 1});
    auto ref = GgufFile::open(f32_path);
    const bool speech = std::string(name) == "moonshine";
    for (DType t : {DType::Q8_0, DType::Q4_0, DType::Q4_K}) {
      if (speech && t == DType::Q4_K) continue;
      const std::string what = std::string(name) + " " + dtype_name(t);
      const std::string q_path = out + "/" + name + "-" + dtype_name(t) + ".gguf";
      const convert::ConvertReport rep = convert::convert_hf(folder(name), q_path, {t, 2});
      auto q = GgufFile::open(q_path);
      // metadata: the same keys with the same values (GgufValue has no ==: compare through the typed variants)
      ASSERT_EQ(q->metadata().size(), ref->metadata().size()) << what;
      for (const auto& [k, v] : ref->metadata()) {
        const GgufValue* w = q->find(k);
        ASSERT_NE(w, nullptr) << what << " " << k;
        EXPECT_TRUE(w->type == v.type && w->v == v.v) << what << " " << k;
      }
      ASSERT_EQ(q->tensors().size(), ref->tensors().size()) << what;
      size_t n_fallback = 0;
      for (size_t i = 0; i < ref->tensors().size(); i++) {
        const GgufTensorInfo& a = ref->tensors()[i];
        const GgufTensorInfo& b = q->tensors()[i];
        ASSERT_EQ(a.name, b.name) << what;
        ASSERT_EQ(a.ne, b.ne) << what << " " << a.name;
        ASSERT_EQ(a.type, DType::F32);
        const int64_t cols = a.ne[0], rows = a.view.nrows();
        if (a.ne[1] == 1) {  // norms, biases, rope_freqs: F32 as they are
          EXPECT_EQ(b.type, DType::F32) << what << " " << a.name;
          EXPECT_EQ(std::memcmp(a.view.data, b.view.data, size_t(cols) * 4), 0) << what << " " << a.name;
          continue;
        }
        DType want = t;
        if (cols % dtype_block_size(t) != 0) {
          want = (t == DType::Q4_K && cols % 32 == 0) ? DType::Q4_0 : DType::F16;  // speech: F16 (asr_gguf.py)
          n_fallback++;
        }
        EXPECT_EQ(b.type, want) << what << " " << a.name;
        const std::vector<uint8_t> expect = quantize_tensor(want, static_cast<const float*>(a.view.data), rows, cols);
        EXPECT_EQ(std::memcmp(expect.data(), b.view.data, expect.size()), 0) << what << " " << a.name;
      }
      EXPECT_EQ(rep.fallbacks.size(), n_fallback) << what;
    }
  }
  fs::remove_all(out);
}

// ---------------------------------------------------------------- the engine on the converted files
TEST(Convert, LogitsMatchPyTorch) {
  const std::string out = scratch("logits");
  for (const char* name : kModels) {
    auto ref = GgufFile::open(kFix + "hf-converted/" + name + ".ref.gguf");
    const auto& tok_t = ref->tensor("tokens");
    const auto& lg_t = ref->tensor("logits");
    const int n_tok = int(tok_t.ne[0]);
    const int64_t V = lg_t.ne[0];
    const int32_t* toks = tok_t.view.as<const int32_t>();
    const float* want = lg_t.view.as<const float>();
    const float sd = float(reference_sd(want, size_t(V * n_tok)));
    for (DType t : {DType::F32, DType::Q8_0}) {
      const std::string what = std::string(name) + " " + dtype_name(t);
      const std::string path = out + "/" + name + "-" + dtype_name(t) + ".gguf";
      convert::convert_hf(kFix + "hf-" + name, path, {t, 1});
      auto f = GgufFile::open(path);
      ThreadPool pool(1);
      auto be = make_cpu_backend(pool);
      auto model = Model::load(*f, *be);
      ASSERT_EQ(model->config().n_vocab, V) << what;
      KvCache cache = model->new_cache(64, DType::F32);
      const std::vector<float> got = model->forward(cache, toks, n_tok, true);
      ASSERT_EQ(int64_t(got.size()), V * n_tok) << what;
      const float tol = (t == DType::F32 ? 1e-4f : 0.2f) * sd;
      float max_err = 0;
      for (int p = 0; p < n_tok; p++) {
        const float* w = want + int64_t(p) * V;
        const float* g = got.data() + int64_t(p) * V;
        int64_t best = 0, best_g = 0;
        float top1 = -INFINITY, top2 = -INFINITY;
        for (int64_t i = 0; i < V; i++) {
          max_err = std::max(max_err, std::fabs(w[i] - g[i]));
          if (w[i] > top1) {
            top2 = top1;
            top1 = w[i];
            best = i;
          } else if (w[i] > top2) {
            top2 = w[i];
          }
          if (g[i] > g[best_g]) best_g = i;
        }
        if (top1 - top2 > 2 * tol) {
          EXPECT_EQ(best_g, best) << what << " greedy token at position " << p;
        }
      }
      EXPECT_LE(max_err, tol) << what << ": max |diff| " << max_err << " (sd " << sd << ")";
    }
  }
  fs::remove_all(out);
}

// ---------------------------------------------------------------- malformed input: one-line errors
// A safetensors file from a header text and a data section.
std::string st_file(const std::string& header, const std::string& data) {
  std::string s(8, '\0');
  uint64_t n = header.size();
  std::memcpy(s.data(), &n, 8);
  return s + header + data;
}

std::string st_err(const std::string& bytes) {
  try {
    convert::SafetensorsFile::from_memory(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "m.safetensors");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Convert, BadSafetensorsHeader) {
  EXPECT_EQ(st_err("abc"), "m.safetensors: 3 bytes is too short for a safetensors header (8-byte length first)");
  std::string big(8, '\xff');
  EXPECT_EQ(st_err(big + "{}"), "m.safetensors: header length 18446744073709551615 runs past the end of the file "
                                "(10 bytes): not a safetensors file, or truncated");
  EXPECT_EQ(st_err(st_file("{\"a\":", "")).rfind("m.safetensors header:1:6: ", 0), 0u);
  EXPECT_EQ(st_err(st_file("[1]", "")), "m.safetensors: the header is an array, not a JSON object");
  const std::string ok = R"({"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  EXPECT_EQ(st_err(st_file(ok, std::string(8, '\0'))), "(no error)");
  EXPECT_EQ(st_err(st_file(ok, std::string(4, '\0'))),
            "m.safetensors: tensor w: data [0, 8) runs past the data section (4 bytes)");
  EXPECT_EQ(st_err(st_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", std::string(8, '\0'))),
            "m.safetensors: tensor w: data_offsets [8, 0) end before they begin");
  EXPECT_EQ(st_err(st_file(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0'))),
            "m.safetensors: tensor w: F32 shape [3] needs 12 bytes, data_offsets give 8");
  EXPECT_EQ(st_err(st_file(R"({"w":{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}})", std::string(8, '\0'))),
            "m.safetensors: tensor w: unknown dtype \"F8_E4M3\"");
  EXPECT_EQ(st_err(st_file(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}})", std::string(8, '\0'))),
            "m.safetensors: tensor w: shape has -1, not a size");
  EXPECT_EQ(st_err(st_file(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}})",
                           std::string(8, '\0'))),
            "m.safetensors: tensor w: shape overflows");
  EXPECT_EQ(st_err(st_file(R"({"w":{"dtype":"F32","shape":[2]}})", std::string(8, '\0'))),
            "m.safetensors: tensor w: no \"data_offsets\" [begin, end]");
}

// Rewrites one tensor entry of a fixture's model.safetensors header (same length, so offsets stay valid).
void patch_header(const std::string& file, const std::string& from, const std::string& to) {
  std::string s = slurp(file);
  ASSERT_EQ(from.size(), to.size());
  const size_t at = s.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  s.replace(at, from.size(), to);
  spit(file, s);
}

TEST(Convert, BadFolder) {
  EXPECT_EQ(convert_err("/nonexistent/hf"), "/nonexistent/hf: not a folder (a Hugging Face checkpoint folder is expected)");
  {
    const std::string d = copy_fixture("qwen2", "noconf");
    fs::remove(d + "/config.json");
    EXPECT_EQ(convert_err(d), d + ": no config.json");
  }
  {
    const std::string d = copy_fixture("qwen2", "notok");
    fs::remove(d + "/tokenizer.json");
    EXPECT_EQ(convert_err(d), d + ": no tokenizer.json (needed for the exported GGUF's vocabulary)");
  }
  {
    const std::string d = copy_fixture("qwen2", "nost");
    fs::remove(d + "/model.safetensors");
    EXPECT_EQ(convert_err(d), d + ": no *.safetensors");
  }
  {  // a shard the index names is missing
    const std::string d = copy_fixture("llama", "noshard");
    fs::remove(d + "/model-00002-of-00002.safetensors");
    EXPECT_EQ(convert_err(d), d + "/model-00002-of-00002.safetensors: cannot open: No such file or directory");
  }
  {  // the index may only name files of the folder
    const std::string d = copy_fixture("llama", "escape");
    std::string idx = slurp(d + "/model.safetensors.index.json");
    const std::string shard = "\"model-00001-of-00002.safetensors\"";
    idx.replace(idx.find(shard), shard.size(), "\"../../../../../../../../etc/passwd\"");
    spit(d + "/model.safetensors.index.json", idx);
    const std::string m = convert_err(d);
    EXPECT_NE(m.find("not a file name in the folder"), std::string::npos) << m;
  }
  {
    const std::string d = copy_fixture("qwen2", "arch");
    std::string c = slurp(d + "/config.json");
    c.replace(c.find("\"qwen2\""), 7, "\"mamba\"");
    spit(d + "/config.json", c);
    EXPECT_EQ(convert_err(d), d + "/config.json: model_type 'mamba' is not supported (supported: llama, qwen2, "
                                  "qwen3, gemma3_text, gemma3, moonshine, whisper, idefics3, smolvlm)");
  }
  {
    const std::string d = copy_fixture("qwen2", "vocab");
    std::string c = slurp(d + "/config.json");
    c.replace(c.find("\"vocab_size\": 263"), 17, "\"vocab_size\": 264");
    spit(d + "/config.json", c);
    EXPECT_EQ(convert_err(d), d + ": embedding rows 263 != vocab_size 264");
  }
  {  // a tensor the architecture needs, renamed away
    const std::string d = copy_fixture("qwen2", "missing");
    patch_header(d + "/model.safetensors", "model.layers.0.mlp.down_proj.weight", "model.layers.0.mlp.down_proj.weigh_");
    EXPECT_EQ(convert_err(d), d + ": missing tensor model.layers.0.mlp.down_proj.weight");
  }
  {  // an integer tensor where weights belong
    const std::string d = copy_fixture("qwen2", "int");
    std::string s = slurp(d + "/model.safetensors");
    const size_t at = s.find("\"model.layers.0.mlp.up_proj.weight\"");
    ASSERT_NE(at, std::string::npos);
    const size_t dt = s.find("\"F16\"", at);
    s.replace(dt, 5, "\"I16\"");
    spit(d + "/model.safetensors", s);
    EXPECT_EQ(convert_err(d), d + ": tensor model.layers.0.mlp.up_proj.weight has dtype I16 (F32, F16, BF16 or F64 "
                                  "expected)");
  }
  {
    const std::string d = copy_fixture("gemma3", "unigram");
    std::string t = slurp(d + "/tokenizer.json");
    t.replace(t.find("\"type\": \"BPE\""), 13, "\"type\": \"Uni\"");
    spit(d + "/tokenizer.json", t);
    EXPECT_EQ(convert_err(d), d + "/tokenizer.json: tokenizer model \"Uni\" is not supported (BPE only)");
  }
  {
    const std::string d = copy_fixture("gemma3", "tokid");
    std::string t = slurp(d + "/tokenizer.json");
    t.replace(t.find("\"id\": 271"), 9, "\"id\": 999");
    spit(d + "/tokenizer.json", t);
    EXPECT_EQ(convert_err(d), d + "/tokenizer.json: added token \"<mask>\" has id 999 outside the model's "
                                  "vocabulary of 274");
  }
  {  // truncated shard
    const std::string d = copy_fixture("smollm2", "trunc");
    fs::resize_file(d + "/model.safetensors", fs::file_size(d + "/model.safetensors") - 100);
    const std::string m = convert_err(d);
    EXPECT_NE(m.find(d + "/model.safetensors: tensor "), std::string::npos) << m;
    EXPECT_NE(m.find("runs past the data section"), std::string::npos) << m;
  }
}

TEST(Convert, BadSpeech) {
  const std::string root = scratch("asr-bad");
  fs::copy(kFix + "hf-asr", root, fs::copy_options::recursive);
  EXPECT_EQ(convert_err(root + "/whf", DType::Q8_0), root + "/whf: a whisper model converts to f32 or f16, not q8_0");
  EXPECT_EQ(convert_err(root + "/hf", DType::Q4_K), root + "/hf: a moonshine model converts to f32, f16, q8_0 or q4_0, "
                                                    "not q4_k");
  std::string c = slurp(root + "/hf/config.json");
  spit(root + "/hf/config.json", c.substr(0, c.size() - 1) + ", \"decoder_num_key_value_heads\": 1}");
  EXPECT_EQ(convert_err(root + "/hf"), root + "/hf: grouped-query attention (decoder_num_key_value_heads) is not "
                                              "supported yet");
  spit(root + "/hf/config.json", c);
  patch_header(root + "/hf/model.safetensors", "model.encoder.conv1.weight", "model.encoder.conv1.weigh_");
  EXPECT_EQ(convert_err(root + "/hf"), root + "/hf: missing tensor model.encoder.conv1.weight");
  c = slurp(root + "/whf/config.json");
  const size_t at = c.find("\"num_mel_bins\"");
  ASSERT_NE(at, std::string::npos);
  c.replace(at, 14, "\"num_mel_binz\"");
  spit(root + "/whf/config.json", c);
  EXPECT_EQ(convert_err(root + "/whf"), root + "/whf/config.json: missing num_mel_bins");
  fs::remove(root + "/whf/model.safetensors");
  fs::remove_all(root);
}

TEST(Convert, OutputNotWritableLeavesNothing) {
  const std::string d = scratch("ro");
  try {
    convert::convert_hf(kFix + "hf-qwen2", d + "/no/such/dir/x.gguf", {DType::F16, 1});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), d + "/no/such/dir/x.gguf.tmp: cannot create: No such file or directory");
  }
  // an error half way (a missing tensor found before writing) leaves neither the file nor the .tmp
  const std::string bad = copy_fixture("qwen2", "half");
  patch_header(bad + "/model.safetensors", "model.layers.0.mlp.down_proj.weight", "model.layers.0.mlp.down_proj.weigh_");
  EXPECT_THROW(convert::convert_hf(bad, d + "/x.gguf", {DType::F16, 1}), Error);
  EXPECT_FALSE(fs::exists(d + "/x.gguf"));
  EXPECT_FALSE(fs::exists(d + "/x.gguf.tmp"));
}

// ---------------------------------------------------------------- the CLI
class ConvertCli : public cli_run::CliTest {
 protected:
  ConvertCli() : CliTest("convert-cli") {}
};

TEST_F(ConvertCli, ConvertAndModelFolder) {
  auto r = cli_run::run("convert " + kFix + "hf-llama -o " + dir_ + "/l.gguf --type q4_k -t 1");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("token_embd.weight: q4_0 (64 columns are not a multiple of 256)"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("ffn_down.weight:"), std::string::npos) << r.out;  // 256 columns: Q4_K itself
  auto f = GgufFile::open(dir_ + "/l.gguf");
  EXPECT_EQ(f->tensor("blk.0.ffn_down.weight").type, DType::Q4_K);

  r = cli_run::run("convert " + kFix + "hf-llama -o " + dir_ + "/x.gguf --type q5_1");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("--type 'q5_1' is not one of"), std::string::npos) << r.out;
  r = cli_run::run("convert " + dir_ + " -o " + dir_ + "/x.gguf");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_EQ(r.out, "sotto: " + dir_ + ": no config.json\n");

  // -m DIR: converted once into $XDG_CACHE_HOME/sotto/converted, then the cached file is used as is; greedy text
  // the same as from the f16 file `sotto convert` writes
  ASSERT_EQ(cli_run::run("convert " + kFix + "hf-smollm2 -o " + dir_ + "/s16.gguf -q").code, 0);
  const std::string env = "XDG_CACHE_HOME=" + dir_ + "/cache " + cli_run::sotto_path() + " ";
  const std::string gen = " -p hello -n 6 --temp 0 -t 1";
  for (int k = 0; k < 2; k++) {
    const std::string o = dir_ + "/out" + std::to_string(k), e = dir_ + "/err" + std::to_string(k);
    ASSERT_EQ(std::system((env + "generate -m " + kFix + "hf-smollm2" + gen + " >" + o + " 2>" + e).c_str()), 0)
        << slurp(e);
    EXPECT_EQ(slurp(e).find("sotto: converting the checkpoint folder") != std::string::npos, k == 0) << slurp(e);
  }
  ASSERT_EQ(std::system((env + "generate -m " + dir_ + "/s16.gguf" + gen + " >" + dir_ + "/out2 2>/dev/null").c_str()), 0);
  EXPECT_FALSE(slurp(dir_ + "/out0").empty());
  EXPECT_EQ(slurp(dir_ + "/out0"), slurp(dir_ + "/out1"));
  EXPECT_EQ(slurp(dir_ + "/out0"), slurp(dir_ + "/out2"));
  size_t n_cached = 0;
  for (const auto& c : fs::directory_iterator(dir_ + "/cache/sotto/converted")) {
    n_cached++;
    EXPECT_EQ(slurp(c.path().string()), slurp(dir_ + "/s16.gguf"));
  }
  EXPECT_EQ(n_cached, 1u);
}

}  // namespace
