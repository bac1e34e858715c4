// cmd-pull.cpp — `sotto pull REPO[:FILE]` (a model from the Hugging Face hub into its local cache; prints the local
// path on stdout; a repo of safetensors is converted, --type) and `sotto models` (the cached .gguf files with their
// sizes, then the checkpoints pull converted, with their revision; --json). hub.h does the work; docs/models.md.
// Does not: delete cached files (the hub's own `huggingface-cli delete-cache` does), or download anything for
// `models`.
#include <cctype>
#include <cstdio>

#include "cli.h"
#include "core/error.h"
#include "core/json.h"
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
  bool paths = false, as_json = false;
  ArgParser ap("sotto models", "[--paths] [--json]",
               "Lists the .gguf files in the Hugging Face hub's local cache (those `sotto pull` fetched, and those\n"
               "other tools put there) as hf:OWNER/NAME:FILE with their sizes; each works as -m hf:OWNER/NAME:FILE.\n"
               "Then the safetensors checkpoints `sotto pull` converted (in $XDG_CACHE_HOME/sotto/converted), as\n"
               "hf:OWNER/NAME:TYPE with the revision they came from, their size and a SmolVLM's mmproj.");
  ap.flag("--paths", &paths, "also print each file's local path");
  ap.flag("--json", &as_json, "one JSON array of the files (name, repo, file or type, revision, size, path, mmproj)");
  if (!ap.parse(argc, argv)) return 0;
  const std::string dir = hub::cache_dir();
  const auto files = hub::list_cached_ggufs();
  std::string conv_dir;
  try {
    conv_dir = converted_cache_dir();
  } catch (const Error&) {  // no HOME nor XDG_CACHE_HOME: nothing can have been converted
  }
  const auto convs = conv_dir.empty() ? std::vector<hub::Conversion>{} : hub::list_conversions(conv_dir);
  if (as_json) {
    json::Value list = json::Value::array();
    for (const auto& f : files) {
      json::Value v = json::Value::object();
      v.set("name", "hf:" + f.repo + ":" + f.file);
      v.set("repo", f.repo);
      v.set("file", f.file);
      v.set("revision", f.revision);
      v.set("size", int64_t(f.size));
      v.set("path", f.path);
      list.push_back(std::move(v));
    }
    for (const auto& c : convs) {
      json::Value v = json::Value::object();
      v.set("name", "hf:" + c.repo + ":" + c.type);
      v.set("repo", c.repo);
      v.set("type", c.type);
      v.set("revision", c.revision);
      v.set("size", int64_t(c.size));
      v.set("path", c.path);
      v.set("converted_from", "safetensors");
      if (!c.mmproj.empty()) {
        json::Value m = json::Value::object();
        m.set("size", int64_t(c.mmproj_size));
        m.set("path", c.mmproj);
        v.set("mmproj", std::move(m));
      }
      list.push_back(std::move(v));
    }
    std::printf("%s\n", json::dump(list, 2).c_str());
    return 0;
  }
  if (files.empty() && convs.empty()) {
    std::printf("no models in %s (sotto pull OWNER/NAME[:FILE] fetches one)\n", dir.c_str());
    return 0;
  }
  size_t width = 0;
  for (const auto& f : files) width = std::max(width, f.repo.size() + f.file.size() + 4);
  for (const auto& c : convs) width = std::max(width, c.repo.size() + c.type.size() + 4);
  if (!files.empty()) {
    double total = 0;
    for (const auto& f : files) {
      const std::string name = "hf:" + f.repo + ":" + f.file;
      std::printf("%-*s  %10s%s%s\n", int(width), name.c_str(), human_bytes(double(f.size)).c_str(),
                  paths ? "  " : "", paths ? f.path.c_str() : "");
      total += double(f.size);
    }
    std::printf("%zu file%s, %s, in %s\n", files.size(), files.size() == 1 ? "" : "s", human_bytes(total).c_str(),
                dir.c_str());
  }
  if (!convs.empty()) {
    double total = 0;
    for (const auto& c : convs) {
      const std::string name = "hf:" + c.repo + ":" + c.type;
      std::string what = "  converted from safetensors at " + c.revision.substr(0, 12);
      if (!c.mmproj.empty()) what += ", mmproj " + human_bytes(double(c.mmproj_size));
      std::printf("%-*s  %10s%s%s%s\n", int(width), name.c_str(), human_bytes(double(c.size)).c_str(), what.c_str(),
                  paths ? "  " : "", paths ? c.path.c_str() : "");
      total += double(c.size + c.mmproj_size);
    }
    std::printf("%zu converted checkpoint%s, %s, in %s\n", convs.size(), convs.size() == 1 ? "" : "s",
                human_bytes(total).c_str(), conv_dir.c_str());
  }
  return 0;
}

}  // namespace sotto::cli
