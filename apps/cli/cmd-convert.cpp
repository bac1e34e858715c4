// cmd-convert.cpp — `sotto convert`: a Hugging Face checkpoint folder (config.json, *.safetensors, tokenizer.json)
// of Llama / SmolLM2, Qwen2.5, Qwen3, Gemma 3, Moonshine or Whisper to a GGUF file, optionally quantized
// (convert/hf-convert.h; the same file tools/train/base.py or tools/ref/convert_asr.py writes, docs/models.md). Prints one line per tensor type that had to differ from --type.
// Also hf_dir_model(): what -m DIR uses, a converted F16 copy of the folder kept in the cache (and -m hf: / pull of
// a hub repo of safetensors, in the type asked for).
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "cli.h"
#include "convert/hf-convert.h"
#include "core/dtype.h"
#include "core/error.h"

namespace sotto::cli {

namespace {

namespace fs = std::filesystem;

// FNV-1a, 64 bits: a cache key that is the same in every build.
void fnv(uint64_t& h, const std::string& s) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  h = (h ^ 0xff) * 0x100000001b3ULL;  // a separator, so "ab"+"c" and "a"+"bc" differ
}

std::string cache_root() {
  const char* x = std::getenv("XDG_CACHE_HOME");
  if (x && *x) return std::string(x) + "/sotto/converted";
  const char* home = std::getenv("HOME");
  if (home && *home) return std::string(home) + "/.cache/sotto/converted";
  fail("-m: no cache folder for the converted checkpoint (set XDG_CACHE_HOME or HOME)");
}

}  // namespace

std::string converted_cache_dir() { return cache_root(); }

// The converter's own version: a change of what it writes changes every cache key.
constexpr const char* kConvertCacheVersion = "1";

std::string hf_dir_model(const std::string& dir, const std::string& type, const std::string& label) {
  std::error_code ec;
  const fs::path abs = fs::weakly_canonical(fs::absolute(dir, ec), ec);
  uint64_t h = 0xcbf29ce484222325ULL;
  fnv(h, kConvertCacheVersion);
  fnv(h, abs.string());
  // What the conversion reads: the file names, sizes and modification times stand for their contents.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(abs, ec)) {
    const std::string n = e.path().filename().string();
    if (n == "config.json" || n == "tokenizer.json" || n == "model.safetensors.index.json" ||
        n == "preprocessor_config.json" ||  // a SmolVLM's mmproj takes its image size and normalisation
        (n.size() > 12 && n.compare(n.size() - 12, 12, ".safetensors") == 0)) {
      names.push_back(n);
    }
  }
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    struct stat st;
    if (::stat((abs / n).c_str(), &st) != 0) continue;
    fnv(h, n + ":" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
               std::to_string(st.st_mtim.tv_nsec));
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  const std::string root = cache_root();
  const std::string out =
      root + "/" + (label.empty() ? abs.filename().string() : label) + "-" + hex + "-" + type + ".gguf";
  if (fs::is_regular_file(out, ec)) return out;
  fs::create_directories(root, ec);
  if (ec) fail(root, ": cannot create: ", ec.message());
  std::fprintf(stderr, "sotto: converting the checkpoint folder %s to GGUF (%s): %s\n", dir.c_str(), type.c_str(),
               out.c_str());
  convert::ConvertOptions opt;
  opt.type = dtype_from_name(type);
  opt.n_threads = 0;
  const convert::ConvertReport r = convert::convert_hf(abs.string(), out, opt);
  for (const std::string& f : r.fallbacks) std::fprintf(stderr, "sotto convert: %s\n", f.c_str());
  return out;
}

int run_convert(int argc, char** argv) {
  std::string dir, out, type = "f16", mmproj;
  int n_threads = 0;
  bool quiet = false;
  ArgParser ap("sotto convert", "HF_DIR -o OUT.gguf [--type f32|f16|bf16|q8_0|q4_0|q4_k]",
               "Converts a Hugging Face checkpoint folder (config.json, model.safetensors or model-*.safetensors with "
               "model.safetensors.index.json, tokenizer.json) of a Llama / SmolLM2, Qwen2.5, Qwen3, Gemma 3, Moonshine, Whisper "
               "or SmolVLM (Idefics3: the language model, plus the vision tower as an mmproj GGUF) model to GGUF, the file the Python converters (tools/train/base.py, tools/ref/convert_asr.py) write. "
               "Norms and biases stay F32; matrices take --type, or the nearest type whose blocks their rows fill (said "
               "on stderr). Speech models: f32 or f16 (Moonshine also q8_0, q4_0).");
  ap.positional("HF_DIR", &dir, "the checkpoint folder");
  ap.option("-o,--output", &out, "OUT.gguf", "the GGUF file to write (required)");
  ap.option("--mmproj", &mmproj, "OUT.gguf",
            "SmolVLM / Idefics3: the vision tower's GGUF (mmproj-OUT.gguf beside OUT.gguf)");
  ap.option("--type", &type, "TYPE", "f32, f16, bf16, q8_0, q4_0 or q4_k (f16)");
  ap.option("-t,--threads", &n_threads, "N", "quantizing threads; 0 = all, at most the hardware threads (0)", 0,
            kMaxThreads);
  ap.flag("-q,--quiet", &quiet, "no summary line");
  if (!ap.parse(argc, argv)) return 0;
  if (out.empty()) ap.usage_error("give the output file with -o OUT.gguf");
  convert::ConvertOptions opt;
  const char* types[] = {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_k"};
  bool known = false;
  for (const char* t : types) known |= type == t;
  if (!known) ap.usage_error("--type '" + type + "' is not one of f32, f16, bf16, q8_0, q4_0, q4_k");
  opt.type = dtype_from_name(type);
  opt.n_threads = resolve_threads(n_threads, quiet);
  const convert::ConvertReport r = convert::convert_hf(dir, out, opt, mmproj);
  for (const std::string& f : r.fallbacks) std::fprintf(stderr, "sotto convert: %s\n", f.c_str());
  if (!quiet) {
    std::fprintf(stderr, "sotto convert: %s -> %s: %s, %zu tensors, %s\n", dir.c_str(), out.c_str(), r.arch.c_str(),
                 r.n_tensors, human_bytes(double(r.n_bytes)).c_str());
    if (!r.mmproj_path.empty()) {
      std::fprintf(stderr, "sotto convert: vision tower -> %s: clip (idefics3), %zu tensors, %s\n",
                   r.mmproj_path.c_str(), r.mmproj_tensors, human_bytes(double(r.mmproj_bytes)).c_str());
    }
  }
  return 0;
}

}  // namespace sotto::cli
