// cmd-pull.cpp — `sotto pull REPO[:FILE]` (a model from the Hugging Face hub into its local cache; prints the local
// path on stdout; a repo of safetensors is converted, --type) and `sotto models` (the cached .gguf files with their
// sizes). hub.h does the work; docs/models.md.
// Does not: delete cached files (the hub's own `huggingface-cli delete-cache` does), or download anything for
// `models`.
#include <cctype>
#include <cstdio>

#include "cli.h"
#include "hub.h"

namespace sotto::cli {

int run_pull(int argc, char** argv) {
  std::string spec, type;
  bool offline = false;
  ArgParser ap("sotto pull", "OWNER/NAME[:FILE] [--offline]",
               "Downloads a GGUF model from the Hugging Face hub (HF_ENDPOINT overrides https://huggingface.co) into\n"
               "the hub's local cache ($HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub), resuming a\n"
               "partial download and checking the SHA-256 the hub publishes; prints the local path. Without FILE, the\n"
               "repo's one .gguf; a FILE without a '.' is a quantisation tag (Q4_K_M: the .gguf whose name ends in it).\n"
               "A file already cached is not downloaded again. Then `-m hf:OWNER/NAME[:FILE]` works\n"
               "wherever a model path goes, without the network (docs/models.md). A repo of safetensors instead of\n"
               "GGUF (config.json, tokenizer.json, model.safetensors or its sharded index) is fetched the same way and\n"
               "converted once (--type, or a tag OWNER/NAME:q8_0) into the converted cache ($XDG_CACHE_HOME/sotto/\n"
               "converted); the GGUF's path is printed.");
  ap.positional("OWNER/NAME[:FILE]", &spec, "the hub repo and the file in it, or a quantisation tag (OWNER/NAME:Q8_0)");
  ap.flag("--offline", &offline, "only look in the cache (also HF_HUB_OFFLINE=1)");
  ap.option("--type", &type, "TYPE",
            "a repo of safetensors (no .gguf): the type it is converted to, f32, f16, bf16, q8_0, q4_0 or q4_k (f16)");
  if (!ap.parse(argc, argv)) return 0;
  for (auto& c : type) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (!type.empty() && type != "f32" && type != "f16" && type != "bf16" && type != "q8_0" && type != "q4_0" &&
      type != "q4_k")
    ap.usage_error("--type '" + type + "' is not one of f32, f16, bf16, q8_0, q4_0, q4_k");
  hub::Ref ref;
  try {
    ref = hub::parse_ref(spec);
  } catch (const std::exception& e) {
    ap.usage_error(e.what());
  }
  std::printf("%s\n", hub::pull(ref, hub::Options{offline, type}).c_str());
  return 0;
}

int run_models(int argc, char** argv) {
  bool paths = false;
  ArgParser ap("sotto models", "[--paths]",
               "Lists the .gguf files in the Hugging Face hub's local cache (those `sotto pull` fetched, and those\n"
               "other tools put there) as hf:OWNER/NAME:FILE with their sizes; each works as -m hf:OWNER/NAME:FILE.");
  ap.flag("--paths", &paths, "also print each file's local path");
  if (!ap.parse(argc, argv)) return 0;
  const std::string dir = hub::cache_dir();
  const auto files = hub::list_cached_ggufs();
  if (files.empty()) {
    std::printf("no models in %s (sotto pull OWNER/NAME[:FILE] fetches one)\n", dir.c_str());
    return 0;
  }
  size_t width = 0;
  for (const auto& f : files) width = std::max(width, f.repo.size() + f.file.size() + 4);
  double total = 0;
  for (const auto& f : files) {
    const std::string name = "hf:" + f.repo + ":" + f.file;
    std::printf("%-*s  %10s%s%s\n", int(width), name.c_str(), human_bytes(double(f.size)).c_str(), paths ? "  " : "",
                paths ? f.path.c_str() : "");
    total += double(f.size);
  }
  std::printf("%zu file%s, %s, in %s\n", files.size(), files.size() == 1 ? "" : "s", human_bytes(total).c_str(),
              dir.c_str());
  return 0;
}

}  // namespace sotto::cli
