// hub-cache.cpp — the Hugging Face hub's local cache layout (hub.h): where it is, which commit refs/main names,
// the files of a snapshot, the snapshot links. The layout is huggingface_hub's, so files other tools put there
// are found and theirs find ours. Does not: touch the network (hub-fetch.cpp), delete anything, or read
// revisions other than main. Also: which files of a repo make a Hugging Face checkpoint, and whether the cache holds
// one complete (the conversion itself is cmd-convert.cpp's hf_dir_model()).
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "core/error.h"
#include "core/json.h"
#include "hub.h"

namespace fs = std::filesystem;

namespace sotto::cli::hub {

namespace {

bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; }

// One component of a repo id: [A-Za-z0-9._-], not "." or "..", no "--" (the cache's separator).
bool valid_repo_part(const std::string& s) {
  if (s.empty() || s.size() > 96 || s == "." || s == ".." || s.find("--") != std::string::npos) return false;
  return std::all_of(s.begin(), s.end(), name_char);
}

// A path in a repo: relative, '/'-separated, no empty, "." or ".." component, no control characters.
bool valid_file(const std::string& f) {
  if (f.empty() || f.size() > 1024 || f.front() == '/' || f.back() == '/') return false;
  std::stringstream ss(f);
  for (std::string part; std::getline(ss, part, '/');)
    if (part.empty() || part == "." || part == "..") return false;
  return std::none_of(f.begin(), f.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == '\\'; });
}

bool ends_with_gguf(const std::string& s) {
  if (s.size() < 5) return false;
  std::string ext = s.substr(s.size() - 5);
  for (auto& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".gguf";
}

bool truthy(const char* v) {
  if (!v) return false;
  std::string s = v;
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s == "1" || s == "true" || s == "yes" || s == "on";
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

Ref parse_ref(const std::string& s0) {
  std::string s = s0.rfind("hf:", 0) == 0 ? s0.substr(3) : s0;
  const std::string form = " (expected OWNER/NAME or OWNER/NAME:FILE, e.g. bartowski/SmolLM2-135M-Instruct-GGUF)";
  Ref r;
  const size_t colon = s.find(':');
  r.repo = s.substr(0, colon);
  if (colon != std::string::npos) {
    r.file = s.substr(colon + 1);
    if (!valid_file(r.file)) fail("hf:", s, ": '", r.file, "' is not a file path in a repo", form);
  }
  const size_t slash = r.repo.find('/');
  const bool ok = slash == std::string::npos
                      ? valid_repo_part(r.repo)
                      : valid_repo_part(r.repo.substr(0, slash)) && valid_repo_part(r.repo.substr(slash + 1));
  if (!ok) fail("hf:", s, ": '", r.repo, "' is not a hub repo id", form);
  return r;
}

bool offline_from_env() { return truthy(std::getenv("HF_HUB_OFFLINE")); }

std::string cache_dir() {
  for (const char* v : {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"})
    if (!env(v).empty()) return env(v);
  if (!env("HF_HOME").empty()) return env("HF_HOME") + "/hub";
  if (!env("XDG_CACHE_HOME").empty()) return env("XDG_CACHE_HOME") + "/huggingface/hub";
  if (env("HOME").empty()) fail("no hub cache folder: set HF_HUB_CACHE (or HF_HOME, or HOME)");
  return env("HOME") + "/.cache/huggingface/hub";
}

std::string repo_dir(const std::string& repo) {
  std::string folder = "models--" + repo;
  const size_t slash = folder.find('/');
  if (slash != std::string::npos) folder.replace(slash, 1, "--");
  return cache_dir() + "/" + folder;
}

std::string cached_commit(const std::string& repo) {
  std::ifstream in(repo_dir(repo) + "/refs/main");
  std::string commit;
  if (!(in >> commit)) return "";
  // The commit names a folder: a hex hash, nothing that could leave the snapshots/ folder.
  if (commit.size() > 64 || !std::all_of(commit.begin(), commit.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c));
      }))
    return "";
  return commit;
}

std::vector<std::string> snapshot_ggufs(const std::string& repo, const std::string& commit) {
  std::vector<std::string> out;
  const fs::path root = repo_dir(repo) + "/snapshots/" + commit;
  std::error_code ec;
  if (commit.empty() || !fs::is_directory(root, ec)) return out;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string rel = it->path().lexically_relative(root).generic_string();  // not fs::relative: it follows links
    if (ends_with_gguf(rel) && fs::is_regular_file(it->path(), ec)) out.push_back(rel);  // follows the link
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool is_mmproj(const std::string& file) {
  std::string base = file.substr(file.rfind('/') + 1);
  for (auto& c : base) c = char(std::tolower(static_cast<unsigned char>(c)));
  return base.rfind("mmproj", 0) == 0;
}

std::string mmproj_companion(const std::vector<std::string>& ggufs, const std::string& model) {
  const size_t slash = model.rfind('/');
  const std::string folder = slash == std::string::npos ? "" : model.substr(0, slash + 1);
  const std::string exact = folder + "mmproj-" + model.substr(folder.size());
  std::vector<std::string> beside;
  for (const auto& g : ggufs) {
    if (g == exact) return g;
    if (!is_mmproj(g) || g.rfind(folder, 0) != 0 || g.find('/', folder.size()) != std::string::npos) continue;
    const std::string base = g.substr(folder.size());  // mmproj-OTHER.gguf beside OTHER.gguf: that model's tower
    if (base.size() > 7 && base.compare(0, 7, "mmproj-") == 0 &&
        std::find(ggufs.begin(), ggufs.end(), folder + base.substr(7)) != ggufs.end())
      continue;
    beside.push_back(g);
  }
  return beside.size() == 1 ? beside[0] : "";
}

std::string pick_gguf(const std::vector<std::string>& ggufs, const Ref& ref, const std::string& where) {
  std::vector<std::string> hits;
  std::string tag = ref.file;
  for (auto& c : tag) c = char(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& g : ggufs) {
    if (is_mmproj(g)) continue;  // a vision tower, not a model to pick (mmproj_companion() goes with it)
    if (tag.empty()) {
      hits.push_back(g);
      continue;
    }
    std::string stem = g.substr(g.rfind('/') + 1);
    stem.resize(stem.size() - 5);  // ".gguf"
    for (auto& c : stem) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (stem == tag || (stem.size() > tag.size() && stem.compare(stem.size() - tag.size(), tag.size(), tag) == 0 &&
                        std::string("-_.").find(stem[stem.size() - tag.size() - 1]) != std::string::npos))
      hits.push_back(g);
  }
  if (hits.size() <= 1) return hits.empty() ? "" : hits[0];
  std::string names;
  for (const auto& g : hits) names += (names.empty() ? "" : ", ") + ref.repo + ":" + g;
  fail("hf:", ref.str(), ": ", where, " has ", std::to_string(hits.size()), " .gguf files",
       tag.empty() ? "" : " ending in " + ref.file, "; name one: ", names);
}

std::string cached_path(const Ref& ref, std::string* chosen_file) {
  const std::string commit = cached_commit(ref.repo);
  if (commit.empty()) return "";
  std::string file = ref.file;
  if (ref.picks()) {
    file = pick_gguf(snapshot_ggufs(ref.repo, commit), ref, "the cache");
    if (file.empty()) return "";
  }
  const std::string path = repo_dir(ref.repo) + "/snapshots/" + commit + "/" + file;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return "";
  if (chosen_file) *chosen_file = file;
  return path;
}

std::string link_snapshot(const std::string& repo, const std::string& commit, const std::string& file,
                          const std::string& sha) {
  const std::string dir = repo_dir(repo);
  const fs::path link = dir + "/snapshots/" + commit + "/" + file;
  fs::create_directories(link.parent_path());
  fs::create_directories(dir + "/refs");
  std::error_code ec;
  if (fs::is_symlink(link, ec)) fs::remove(link, ec);
  if (!fs::exists(link, ec)) {
    // snapshots/<commit>/a/b.gguf -> ../../../blobs/<sha>: one ".." per folder below the repo folder.
    std::string target;
    for (size_t depth = 2 + size_t(std::count(file.begin(), file.end(), '/')); depth > 0; --depth) target += "../";
    fs::create_symlink(target + "blobs/" + sha, link, ec);
    if (ec && !fs::exists(link)) fail(link.string(), ": cannot make the snapshot link: ", ec.message());  // (another made it)
  }
  // A name of this process's own: two pulls at once must not rename each other's file away (ENOENT).
  const std::string ref_tmp = dir + "/refs/main.sotto-tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(ref_tmp, std::ios::trunc);
    out << commit;
    if (!out) fail(ref_tmp, ": cannot write");
  }
  fs::rename(ref_tmp, dir + "/refs/main", ec);
  if (ec) fail(dir, "/refs/main: cannot write: ", ec.message());
  return link.string();
}

std::vector<CachedFile> list_cached_ggufs() {
  std::map<std::pair<std::string, std::string>, CachedFile> found;
  const fs::path root = cache_dir();
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return {};
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const std::string folder = entry.path().filename().string();
    if (folder.rfind("models--", 0) != 0 || !entry.is_directory(ec)) continue;
    std::string repo = folder.substr(8);
    const size_t sep = repo.find("--");
    if (sep != std::string::npos) repo = repo.substr(0, sep) + "/" + repo.substr(sep + 2);
    const std::string main_commit = cached_commit(repo);
    std::vector<std::string> commits;
    for (const auto& snap : fs::directory_iterator(entry.path() / "snapshots", ec)) {
      const std::string c = snap.path().filename().string();
      if (c != main_commit) commits.push_back(c);
    }
    std::sort(commits.begin(), commits.end());
    if (!main_commit.empty()) commits.insert(commits.begin(), main_commit);
    for (const auto& c : commits) {
      for (const auto& f : snapshot_ggufs(repo, c)) {
        if (found.count({repo, f})) continue;
        CachedFile cf{repo, f, repo_dir(repo) + "/snapshots/" + c + "/" + f, 0, c};
        cf.size = fs::file_size(cf.path, ec);
        if (!ec) found[{repo, f}] = cf;
      }
    }
  }
  std::vector<CachedFile> out;
  for (auto& [k, v] : found) out.push_back(v);
  return out;
}

std::vector<std::string> checkpoint_files(const std::vector<std::string>& repo_files) {
  auto has = [&](const std::string& f) { return std::find(repo_files.begin(), repo_files.end(), f) != repo_files.end(); };
  const char* weights = has("model.safetensors.index.json") ? "model.safetensors.index.json"
                        : has("model.safetensors")          ? "model.safetensors"
                                                            : nullptr;
  if (!has("config.json") || !weights) return {};
  std::vector<std::string> out = {"config.json"};
  for (const char* f : {"tokenizer.json", "tokenizer_config.json", "generation_config.json",
                        "preprocessor_config.json"})  // the last: a SmolVLM's image size and normalisation
    if (has(f)) out.push_back(f);
  out.push_back(weights);
  return out;
}

std::vector<std::string> index_shards(const std::string& index_path) {
  std::ifstream in(index_path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in) fail(index_path, ": cannot read");
  const json::Value v = json::parse(ss.str(), "model.safetensors.index.json");
  const json::Value* map = v.find("weight_map");
  if (!map || !map->is_object() || map->obj().empty())
    fail("model.safetensors.index.json: no weight_map object naming the shards");
  std::vector<std::string> out;
  for (const auto& [name, file] : map->obj()) {
    if (!file.is_string() || !valid_file(file.str()) || file.str().find('/') != std::string::npos)
      fail("model.safetensors.index.json: tensor ", name, ": not a file of the repo's top folder");
    out.push_back(file.str());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string cached_checkpoint(const std::string& repo) {
  const std::string commit = cached_commit(repo);
  if (commit.empty()) return "";
  const std::string dir = repo_dir(repo) + "/snapshots/" + commit;
  std::error_code ec;
  auto there = [&](const std::string& f) { return fs::is_regular_file(dir + "/" + f, ec); };  // follows the link
  if (!there("config.json") || !there("tokenizer.json")) return "";
  if (there("model.safetensors.index.json")) {
    try {
      for (const auto& shard : index_shards(dir + "/model.safetensors.index.json"))
        if (!there(shard)) return "";
    } catch (const Error&) {
      return "";
    }
    return dir;
  }
  return there("model.safetensors") ? dir : "";
}

std::string checkpoint_type(const Ref& ref, const std::string& type) {
  std::string tag = ref.file;
  for (auto& c : tag) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (tag.empty()) return type;
  for (const char* t : {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_k"}) {
    if (tag != t) continue;
    if (!type.empty() && type != tag) fail("hf:", ref.str(), ": the tag says ", tag, " and --type ", type, ": give one");
    return tag;
  }
  fail("hf:", ref.str(), ": the repo holds a safetensors checkpoint, not .gguf files: its tag can only be a conversion "
       "type (f32, f16, bf16, q8_0, q4_0, q4_k)");
}

namespace {

json::Value conversion_record(const std::string& repo, const std::string& revision, const std::string& type,
                              const std::string& mmproj) {
  json::Value v = json::Value::object();
  v.set("repo", repo);
  v.set("revision", revision);
  v.set("type", type);
  if (!mmproj.empty()) v.set("mmproj", mmproj);
  return v;
}

std::string mmproj_beside(const fs::path& gguf) { return "mmproj-" + gguf.filename().string(); }

}  // namespace

void record_conversion(const std::string& gguf, const std::string& repo, const std::string& revision,
                       const std::string& type) {
  std::error_code ec;
  const std::string mmproj = mmproj_beside(gguf);
  const bool has_mmproj = fs::is_regular_file(fs::path(gguf).parent_path() / mmproj, ec);
  const std::string text = json::dump(conversion_record(repo, revision, type, has_mmproj ? mmproj : ""), 2) + "\n";
  const std::string path = gguf + ".source.json";
  {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (in && ss.str() == text) return;
  }
  // Written aside and renamed: a reader never sees half a record. A failure only costs the listing its source.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) return;
  }
  fs::rename(tmp, path, ec);
  if (ec) fs::remove(tmp, ec);
}

std::vector<Conversion> list_conversions(const std::string& converted_dir) {
  std::vector<Conversion> out;
  std::error_code ec;
  if (!fs::is_directory(converted_dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(converted_dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() <= 17 || !name.ends_with(".gguf.source.json")) continue;
    Conversion c;
    c.path = e.path().string();
    c.path.resize(c.path.size() - 12);  // ".source.json"
    try {
      std::ifstream in(e.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      const json::Value v = json::parse(ss.str(), name);
      c.repo = v.at("repo").str();
      c.revision = v.at("revision").str();
      c.type = v.at("type").str();
      if (const json::Value* m = v.find("mmproj"); m && m->str() == mmproj_beside(c.path))
        c.mmproj = (fs::path(converted_dir) / m->str()).string();
      parse_ref(c.repo);  // a repo id, nothing else
    } catch (const Error&) {
      continue;
    }
    c.size = fs::file_size(c.path, ec);
    if (ec) continue;  // the GGUF was deleted: nothing to list
    if (!c.mmproj.empty()) {
      c.mmproj_size = fs::file_size(c.mmproj, ec);
      if (ec) c.mmproj.clear(), c.mmproj_size = 0;
    }
    out.push_back(c);
  }
  std::sort(out.begin(), out.end(), [](const Conversion& a, const Conversion& b) {
    return std::tie(a.repo, a.type, a.revision, a.path) < std::tie(b.repo, b.type, b.revision, b.path);
  });
  return out;
}

}  // namespace sotto::cli::hub
