// args.cpp — the option parser (with hf: model paths resolved through hub.h), the search dirs, stdin PCM and number
// formatting of cli.h.
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <algorithm>
#include <cstdint>
#include <vector>

#include "cli.h"
#include "convert/hf-convert.h"
#include "core/error.h"
#include "hub.h"

namespace sotto::cli {

void read_pcm_stdin(int chunk_ms, const std::function<void(const float*, size_t)>& fn) {
  std::vector<uint8_t> bytes(size_t(16000 * 2) * size_t(chunk_ms) / 1000 + 2);
  std::vector<float> pcm;
  uint8_t carry = 0;
  bool have_carry = false;
  for (;;) {
    size_t n = std::fread(bytes.data() + (have_carry ? 1 : 0), 1, bytes.size() - 2, stdin);
    if (n == 0) break;
    if (have_carry) {
      bytes[0] = carry;
      n += 1;
    }
    have_carry = n % 2 == 1;
    if (have_carry) carry = bytes[n - 1];
    pcm.resize(n / 2);
    for (size_t i = 0; i < n / 2; i++) {
      const int16_t v = int16_t(uint16_t(bytes[2 * i]) | uint16_t(bytes[2 * i + 1]) << 8);
      pcm[i] = float(v) / 32768.0f;
    }
    fn(pcm.data(), pcm.size());
  }
  if (std::ferror(stdin)) fail("stdin: read error");
  if (have_carry) std::fprintf(stderr, "sotto: warning: stdin ended mid-sample (odd byte count); last byte dropped\n");
}

std::vector<std::string> search_dirs() {
  std::vector<std::string> dirs = {"."};
  std::error_code ec;
  const auto exe = std::filesystem::canonical("/proc/self/exe", ec);
  if (!ec) {
    dirs.push_back(exe.parent_path().string());
    dirs.push_back(exe.parent_path().parent_path().string());
  }
#ifdef SOTTO_SOURCE_DIR
  dirs.push_back(SOTTO_SOURCE_DIR);
#endif
  return dirs;
}

std::string find_in_dirs(const std::vector<std::string>& dirs, const char* rel) {
  std::error_code ec;
  for (const auto& d : dirs) {
    const std::string p = d + "/" + rel;
    if (std::filesystem::is_regular_file(p, ec)) return p;
  }
  return "";
}


namespace {

std::vector<std::string> split_names(const std::string& names) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= names.size()) {
    const size_t comma = names.find(',', start);
    const size_t end = comma == std::string::npos ? names.size() : comma;
    if (end > start) out.push_back(names.substr(start, end - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

ArgParser::ArgParser(std::string prog, std::string synopsis, std::string about)
    : prog_(std::move(prog)), synopsis_(std::move(synopsis)), about_(std::move(about)) {}

void ArgParser::usage_error(const std::string& msg) const {
  throw UsageError(prog_ + ": " + msg + " (see " + prog_ + " --help)");
}

void ArgParser::add(const std::string& names, const std::string& metavar, const std::string& help,
                    bool takes_value, std::function<void(const std::string&, const std::string&)> set) {
  opts_.push_back(Opt{split_names(names), metavar, help, takes_value, std::move(set)});
}

void ArgParser::flag(const std::string& names, bool* out, const std::string& help) {
  add(names, "", help, false, [out](const std::string&, const std::string&) { *out = true; });
}

void ArgParser::option(const std::string& names, std::string* out, const std::string& metavar,
                       const std::string& help) {
  add(names, metavar, help, true, [out](const std::string&, const std::string& v) { *out = v; });
}

void ArgParser::option(const std::string& names, int* out, const std::string& metavar, const std::string& help,
                       int lo, int hi) {
  add(names, metavar, help, true, [this, out, lo, hi](const std::string& name, const std::string& v) {
    long long x = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
    if (ec != std::errc() || p != v.data() + v.size()) usage_error(name + " expects an integer, got '" + v + "'");
    if (x < INT_MIN || x > INT_MAX) usage_error(name + " is out of range, got " + v);
    if (x < lo || x > hi) {
      std::string range = lo == INT_MIN ? "at most " + std::to_string(hi)
                          : hi == INT_MAX ? "at least " + std::to_string(lo)
                                          : "in " + std::to_string(lo) + ".." + std::to_string(hi);
      usage_error(name + " must be " + range + ", got " + v);
    }
    *out = int(x);
  });
}

int resolve_threads(int n_threads, bool quiet) {
  const int hw = int(std::max(1u, std::thread::hardware_concurrency()));
  if (n_threads <= 0) return hw;
  if (n_threads > hw) {
    if (!quiet) {
      std::fprintf(stderr, "sotto: warning: %d threads asked for, this machine has %d hardware threads; using %d\n",
                   n_threads, hw, hw);
    }
    return hw;
  }
  return n_threads;
}

void ArgParser::option(const std::string& names, float* out, const std::string& metavar,
                       const std::string& help) {
  add(names, metavar, help, true, [this, out](const std::string& name, const std::string& v) {
    char* end = nullptr;
    errno = 0;
    const float x = std::strtof(v.c_str(), &end);
    if (v.empty() || end != v.c_str() + v.size() || errno == ERANGE || !std::isfinite(x))
      usage_error(name + " expects a number, got '" + v + "'");
    *out = x;
  });
}

void ArgParser::option(const std::string& names, uint64_t* out, const std::string& metavar,
                       const std::string& help, bool* was_set) {
  add(names, metavar, help, true, [this, out, was_set](const std::string& name, const std::string& v) {
    uint64_t x = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
    if (ec != std::errc() || p != v.data() + v.size())
      usage_error(name + " expects a non-negative integer, got '" + v + "'");
    *out = x;
    if (was_set) *was_set = true;
  });
}

void ArgParser::list(const std::string& names, std::vector<std::string>* out, const std::string& metavar,
                     const std::string& help) {
  add(names, metavar, help + " (repeatable)", true,
      [out](const std::string&, const std::string& v) { out->push_back(v); });
}

void ArgParser::positional(const std::string& name, std::string* out, const std::string& help, bool required) {
  pos_.push_back(Pos{name, help, out, required});
}

void ArgParser::positionals(const std::string& name, std::vector<std::string>* out, const std::string& help) {
  rest_ = out;
  pos_.push_back(Pos{name, help, nullptr, false});
}

void ArgParser::add_offline_flag() {
  if (find("--offline")) return;
  flag("--offline", &offline_, "hf: models from the local hub cache only, no download (also HF_HUB_OFFLINE=1)");
}

void ArgParser::model(const std::string& names, std::string* out, const std::string& help) {
  option(names, out, "FILE", help + "; or hf:OWNER/NAME[:FILE]");
  add_offline_flag();
  models_.push_back(out);
}

void ArgParser::model_positional(const std::string& name, std::string* out, const std::string& help, bool required) {
  positional(name, out, help + " (or hf:OWNER/NAME[:FILE])", required);
  add_offline_flag();
  models_.push_back(out);
}

const ArgParser::Opt* ArgParser::find(const std::string& name) const {
  for (const auto& o : opts_)
    for (const auto& n : o.names)
      if (n == name) return &o;
  return nullptr;
}

bool ArgParser::parse(int argc, char** argv, int first) {
  size_t n_pos = 0;
  bool only_positionals = false;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (!only_positionals && arg == "--") {
      only_positionals = true;
      continue;
    }
    if (!only_positionals && arg.size() > 1 && arg[0] == '-') {
      if (arg == "-h" || arg == "--help") {
        std::fputs(help().c_str(), stdout);
        return false;
      }
      std::string value;
      bool has_inline = false;
      if (arg.rfind("--", 0) == 0) {
        const size_t eq = arg.find('=');
        if (eq != std::string::npos) {
          value = arg.substr(eq + 1);
          arg.resize(eq);
          has_inline = true;
        }
      }
      const Opt* o = find(arg);
      if (!o) usage_error("unknown option " + arg);
      if (o->takes_value) {
        if (!has_inline) {
          if (i + 1 >= argc) usage_error("option " + arg + " needs a value (" + o->metavar + ")");
          value = argv[++i];
        }
      } else if (has_inline) {
        usage_error("option " + arg + " takes no value");
      }
      o->set(arg, value);
      continue;
    }
    if (n_pos < pos_.size() && !pos_[n_pos].out) {  // the positionals() list takes the rest
      rest_->push_back(arg);
      continue;
    }
    if (n_pos >= pos_.size()) usage_error("unexpected argument '" + arg + "'");
    *pos_[n_pos++].out = arg;
  }
  for (size_t k = n_pos; k < pos_.size(); ++k)
    if (pos_[k].required) usage_error("missing " + pos_[k].name);
  // hf: model paths: a malformed one is a usage error; the file comes from the cache, or is downloaded (hub.h).
  for (std::string* m : models_) {
    if (m->rfind("hf:", 0) != 0) continue;
    hub::Ref ref;
    try {
      ref = hub::parse_ref(*m);
    } catch (const Error& e) {
      usage_error(e.what());
    }
    *m = hub::resolve(ref, hub::Options{offline_, ""});
  }
  // A Hugging Face checkpoint folder (config.json, *.safetensors, tokenizer.json): its cached GGUF conversion.
  for (std::string* m : models_) {
    if (convert::is_hf_dir(*m)) *m = hf_dir_model(*m);
  }
  return true;
}

std::string ArgParser::help() const {
  std::string s = "usage: " + prog_ + " " + synopsis_ + "\n";
  if (!about_.empty()) s += "\n" + about_ + "\n";
  if (!pos_.empty()) {
    s += "\narguments:\n";
    for (const auto& p : pos_) {
      std::string left = "  " + p.name;
      if (left.size() < 28) left.resize(28, ' ');
      s += left + " " + p.help + "\n";
    }
  }
  s += "\noptions:\n";
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& o : opts_) {
    std::string left = "  ";
    for (size_t k = 0; k < o.names.size(); ++k) left += (k ? ", " : "") + o.names[k];
    if (o.takes_value) left += " " + o.metavar;
    rows.emplace_back(left, o.help);
  }
  rows.emplace_back("  -h, --help", "show this help");
  for (auto& [left, h] : rows) {
    if (left.size() < 28) left.resize(28, ' ');
    else left += "\n" + std::string(28, ' ');
    s += left + " " + h + "\n";
  }
  return s;
}

std::string human_bytes(double b) {
  char buf[64];
  if (b >= 1024.0 * 1024 * 1024) std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1024.0 * 1024 * 1024));
  else if (b >= 1024.0 * 1024) std::snprintf(buf, sizeof buf, "%.1f MiB", b / (1024.0 * 1024));
  else if (b >= 1024.0) std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024.0);
  else std::snprintf(buf, sizeof buf, "%.0f B", b);
  return buf;
}

std::string human_count(double n) {
  char buf[64];
  if (n >= 1e9) std::snprintf(buf, sizeof buf, "%.2f B", n / 1e9);
  else if (n >= 1e6) std::snprintf(buf, sizeof buf, "%.1f M", n / 1e6);
  else if (n >= 1e3) std::snprintf(buf, sizeof buf, "%.1f K", n / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", n);
  return buf;
}

}  // namespace sotto::cli
