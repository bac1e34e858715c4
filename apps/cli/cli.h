// cli.h — what the `sotto` commands share: the command table entry, usage errors (exit code 2) and a small
// declarative option parser. Each command lives in its own cmd-<name>.cpp and exposes one run function.
// Options: "-x VALUE", "--long VALUE" and "--long=VALUE"; repeatable list options; positionals; model paths, where
// "hf:OWNER/NAME[:FILE]" names a file of the Hugging Face hub (hub.h), replaced by its cached path once parsed.
// Does not: load models or print results (the commands do).
#pragma once

#include <climits>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace sotto {
class GgufFile;
}  // namespace sotto

namespace sotto::cli {

// A mistake on the command line: printed as one line, exit code 2.
class UsageError : public std::runtime_error {
 public:
  explicit UsageError(const std::string& msg) : std::runtime_error(msg) {}
};

class ArgParser {
 public:
  // prog: "sotto generate"; synopsis: one line after "usage: "; about: a paragraph for --help.
  ArgParser(std::string prog, std::string synopsis, std::string about);

  // names: "-m,--model". metavar names the value in help ("" for flags).
  void flag(const std::string& names, bool* out, const std::string& help);
  void option(const std::string& names, std::string* out, const std::string& metavar, const std::string& help);
  // An integer option; a value outside [lo, hi] is a usage error naming the range.
  void option(const std::string& names, int* out, const std::string& metavar, const std::string& help,
              int lo = INT_MIN, int hi = INT_MAX);
  void option(const std::string& names, float* out, const std::string& metavar, const std::string& help);
  void option(const std::string& names, uint64_t* out, const std::string& metavar, const std::string& help,
              bool* was_set = nullptr);
  void list(const std::string& names, std::vector<std::string>* out, const std::string& metavar,
            const std::string& help);
  void positional(const std::string& name, std::string* out, const std::string& help, bool required = true);
  // Every remaining positional (after those of positional()), in order; the caller checks for none.
  void positionals(const std::string& name, std::vector<std::string>* out, const std::string& help);
  // A model path (an option, or a positional): a file, or hf:OWNER/NAME[:FILE], which parse() turns into the path of
  // the hub cache's copy, downloading it first when it is not cached (docs/models.md). The first one also adds
  // --offline (the cache only; HF_HUB_OFFLINE=1 does the same).
  void model(const std::string& names, std::string* out, const std::string& help);
  void model_positional(const std::string& name, std::string* out, const std::string& help, bool required = true);

  // Parses argv[first..argc). Returns false when --help was asked for (help already printed to stdout).
  // Throws UsageError on unknown options, missing values, bad numbers and missing positionals.
  bool parse(int argc, char** argv, int first = 1);
  std::string help() const;
  [[noreturn]] void usage_error(const std::string& msg) const;  // "<prog>: <msg> (see <prog> --help)"

 private:
  struct Opt {
    std::vector<std::string> names;
    std::string metavar, help;
    bool takes_value;
    std::function<void(const std::string& name, const std::string& value)> set;
  };
  struct Pos {
    std::string name, help;
    std::string* out;
    bool required;
  };
  void add(const std::string& names, const std::string& metavar, const std::string& help, bool takes_value,
           std::function<void(const std::string&, const std::string&)> set);
  const Opt* find(const std::string& name) const;
  void add_offline_flag();

  std::string prog_, synopsis_, about_;
  std::vector<Opt> opts_;
  std::vector<Pos> pos_;
  std::vector<std::string>* rest_ = nullptr;
  std::vector<std::string*> models_;
  bool offline_ = false;
};

// The commands (argv[0] is the command name).
int run_generate(int argc, char** argv);
int run_bench(int argc, char** argv);
int run_info(int argc, char** argv);
int run_note(int argc, char** argv);
int run_transcribe(int argc, char** argv);
int run_listen(int argc, char** argv);
int run_serve(int argc, char** argv);
int run_tokenize(int argc, char** argv);
int run_image_embed(int argc, char** argv);
int run_embed(int argc, char** argv);
int run_index(int argc, char** argv);   // cmd-index.cpp: index add | rm | ls
int run_search(int argc, char** argv);  // cmd-index.cpp
int run_ask(int argc, char** argv);     // cmd-ask.cpp
int run_pull(int argc, char** argv);    // cmd-pull.cpp
int run_models(int argc, char** argv);  // cmd-pull.cpp
int run_convert(int argc, char** argv);  // cmd-convert.cpp: Hugging Face checkpoint folder -> GGUF
int run_splat(int argc, char** argv);    // cmd-splat.cpp: Gaussian-splat scenes (info, render)
// -m DIR, a Hugging Face checkpoint folder: the path of its F16 GGUF conversion, made on first use and kept in
// $XDG_CACHE_HOME/sotto/converted (~/.cache/...), keyed by the folder and its files' names, sizes and times.
// cmd-convert.cpp: -m DIR's conversion of a checkpoint folder, kept in the converted cache; type f32|f16|bf16|q8_0|
// q4_0|q4_k; label names the file there ("" = the folder's name).
std::string hf_dir_model(const std::string& dir, const std::string& type = "f16", const std::string& label = "");
// That converted cache's folder ($XDG_CACHE_HOME/sotto/converted, else ~/.cache/sotto/converted); Error when neither
// is set.
std::string converted_cache_dir();

// The bundled default models (trained by tools/train, committed under models/).
inline constexpr const char* kDefaultNoteModel = "models/sotto-notes-q8_0.gguf";
inline constexpr const char* kDefaultAsrModel = "models/sotto-asr-q8_0.gguf";
// Where templates/ and models/ may be: the working directory, beside the executable's build tree, the source tree.
std::vector<std::string> search_dirs();
// The first existing <dir>/<rel> of the search dirs, or "" when none has it.
std::string find_in_dirs(const std::vector<std::string>& dirs, const char* rel);

// -t/--threads: the most a command accepts (more is a usage error); resolve_threads() turns 0 into the
// hardware thread count and clamps a count above it, with a one-line warning (more threads than cores only
// makes every parallel loop wait for descheduled workers).
inline constexpr int kMaxThreads = 1024;
int resolve_threads(int n_threads, bool quiet);

// Raw s16le 16 kHz mono PCM from stdin (transcribe --stream, listen --stream), handed on chunk_ms at a time as
// floats in [-1, 1]; an odd byte at the end is dropped with a warning. A read error is an Error.
void read_pcm_stdin(int chunk_ms, const std::function<void(const float*, size_t)>& fn);

// Formatting shared by the commands.
std::string human_bytes(double bytes);  // "1.23 GiB", "512.0 MiB", "800 B"
std::string human_count(double n);      // "1.24 B", "135.0 M", "12.3 K"

}  // namespace sotto::cli
