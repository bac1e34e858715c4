// hub.h — models from the Hugging Face hub: `sotto pull REPO[:FILE]`, `-m hf:REPO[:FILE]` wherever a model path
// goes, `sotto models`. Files live in the hub's own local cache layout ($HF_HUB_CACHE, else $HF_HOME/hub, else
// ~/.cache/huggingface/hub: models--OWNER--NAME/{blobs/<sha256>, snapshots/<commit>/FILE -> ../../blobs/<sha256>,
// refs/main}), so a file that huggingface_hub (or llama.cpp, or another sotto) fetched is used as it is.
// hub-cache.cpp: the cache (no network). hub-fetch.cpp: the one network path of the program — the download (HEAD
// .../resolve/main/FILE for the commit and LFS sha256, GET of the redirect target with Range resume into
// blobs/<sha256>.incomplete, SHA-256 checked before the blob is named). docs/models.md.
// Does not: touch the network for a file that is cached (`-m hf:` downloads only what is missing), upload, or
// fetch anything but model repos' `main`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sotto::cli::hub {

// "owner/name" and a file path in the repo: "" = the repo's one .gguf; a name without a '.' is a quantisation tag
// (as llama.cpp's -hf and Ollama take it: "Q4_K_M" = the one .gguf whose name ends in -Q4_K_M, any case).
struct Ref {
  std::string repo, file;
  std::string str() const { return file.empty() ? repo : repo + ":" + file; }
  bool picks() const { return file.empty() || file.find('.') == std::string::npos; }  // no file, or a tag
};
// "owner/name[:path/in/repo.gguf]" (an "hf:" prefix is allowed); a malformed one is an Error naming the form.
Ref parse_ref(const std::string& s);

// HF_HUB_OFFLINE set to 1/true/yes/on (as the hub's tools read it).
bool offline_from_env();

// --- the cache (hub-cache.cpp) ---
std::string cache_dir();                        // $HF_HUB_CACHE | $HF_HOME/hub | $XDG_CACHE_HOME/huggingface/hub | ~/.cache/...
std::string repo_dir(const std::string& repo);  // cache_dir()/models--owner--name
// The commit refs/main names ("" when none).
std::string cached_commit(const std::string& repo);
// The .gguf files (paths in the repo) of a snapshot, sorted.
std::vector<std::string> snapshot_ggufs(const std::string& repo, const std::string& commit);
// The .gguf (of ggufs, the files of `where`: "the repo", "the cache") that a ref without a file or with a tag names:
// "" when none; an Error listing them when several. Vision towers (is_mmproj) are never picked.
std::string pick_gguf(const std::vector<std::string>& ggufs, const Ref& ref, const std::string& where);
// A file whose name starts with "mmproj" (any case): a vision tower (llama.cpp's naming), not a language model.
bool is_mmproj(const std::string& file);
// The vision tower that goes with the model file `model` among ggufs: "mmproj-" + its name in its folder, else the
// folder's one mmproj file that is not another model's (mmproj-OTHER.gguf beside OTHER.gguf); "" when none or several.
std::string mmproj_companion(const std::vector<std::string>& ggufs, const std::string& model);
// The local path of ref at refs/main when its file is there (following the link to an existing blob), else "".
// With no file or a tag: pick_gguf() of the snapshot's .gguf files.
std::string cached_path(const Ref& ref, std::string* chosen_file = nullptr);
// Writes refs/main and snapshots/<commit>/<file> -> blobs/<sha> (a relative link, as the hub's tools make it).
std::string link_snapshot(const std::string& repo, const std::string& commit, const std::string& file,
                          const std::string& sha);

struct CachedFile {
  std::string repo, file, path;
  uint64_t size = 0;
  std::string revision;  // the snapshot's commit
};
// Every .gguf of every cached model snapshot (the refs/main one first when a file is in several), by repo and file.
std::vector<CachedFile> list_cached_ggufs();

// --- a repo of safetensors instead of GGUF (a Hugging Face checkpoint, converted once: docs/models.md) ---
// The checkpoint files a pull fetches, of a repo's file list: config.json, tokenizer.json, tokenizer_config.json,
// generation_config.json and preprocessor_config.json (SmolVLM's image processor) when listed, then model.safetensors.index.json (its shards are read from it once fetched)
// or model.safetensors. Empty when the list has no config.json, or neither weights file.
std::vector<std::string> checkpoint_files(const std::vector<std::string>& repo_files);
// The shards an index names (its weight_map's values, sorted, each once); an Error when malformed.
std::vector<std::string> index_shards(const std::string& index_path);
// The refs/main snapshot folder when it holds a complete checkpoint (config.json, tokenizer.json, the weights: every
// shard of the index), else "".
std::string cached_checkpoint(const std::string& repo);
// The conversion type a ref's tag names for a checkpoint repo ("" = none: f16, or --type); an Error for a tag that
// is not one of f32, f16, bf16, q8_0, q4_0, q4_k.
std::string checkpoint_type(const Ref& ref, const std::string& type);

// A conversion of a pulled checkpoint in sotto's converted cache: PATH.source.json beside the GGUF says where it came
// from ({"repo", "revision", "type", "mmproj"}), written by record_conversion() when the pull converts.
struct Conversion {
  std::string repo, revision, type, path;  // path: the GGUF
  uint64_t size = 0;
  std::string mmproj;  // SmolVLM / Idefics3: the vision tower's GGUF beside it ("mmproj-" + its name), else ""
  uint64_t mmproj_size = 0;
};
// Writes gguf + ".source.json" (when it is missing or says otherwise); the mmproj is recorded when it is there.
void record_conversion(const std::string& gguf, const std::string& repo, const std::string& revision,
                       const std::string& type);
// The conversions of converted_dir that carry a record (and whose files are there), by repo, type and revision;
// a record that does not parse is skipped.
std::vector<Conversion> list_conversions(const std::string& converted_dir);

// --- the download (hub-fetch.cpp) ---
struct Options {
  bool offline = false;  // the cache only (--offline, HF_HUB_OFFLINE)
  std::string type;      // a checkpoint repo's conversion type (pull --type); "" = the tag's, else f16
};
// `sotto pull`: asks the hub for main's commit and the file's sha256 and downloads the blob when it is not in the
// cache yet. Returns the snapshot path. A repo without a .gguf that holds a checkpoint (checkpoint_files()): each of
// its files so, then the snapshot folder converted once (hf_dir_model(): the sotto converted cache); returns the
// GGUF's path.
std::string pull(const Ref& ref, const Options& o);
// `-m hf:...`: the cached file (or the cached checkpoint's conversion) without any request; else pull() (offline: an
// Error saying it is not cached).
std::string resolve(const Ref& ref, const Options& o);

}  // namespace sotto::cli::hub
