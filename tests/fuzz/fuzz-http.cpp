// fuzz-http.cpp — libFuzzer target: `sotto serve`'s request handling fed arbitrary bytes as what one client
// sends on one connection before closing its side: Debian's cpp-httplib's request parser, keep-alive and
// pipelining, HttpServer's head cap and request loop (apps/cli/http-server.cpp), and every rule of the site
// (apps/cli/serve-site.cpp: Host and Origin checks, methods, percent-decoding, path rules, files, error
// bodies, log lines), through HttpServer::serve_bytes (no socket, no thread), over a small site in a temporary
// folder served as 127.0.0.1:8080. The library is not instrumented (a shared library): coverage guides the
// fuzzer through Sotto's code only.
// Properties: the answer is a sequence of whole responses, one per response the logger saw (interim
// "100 Continue" lines aside), nothing before, between or after; each has its status line, the cross-origin
// isolation headers and the CSP, and a body of exactly its Content-Length (none for HEAD); an error body is
// one line; a 200's body is one of the site's files; a file outside the mounts (reached through a symlink or
// not) is never sent; only a GET or HEAD with one Host header naming this server (and an Origin, if any, of
// that name) is served; each log line is one line of printable ASCII.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "fuzz.h"
#include "http-server.h"
#include "serve-site.h"

namespace fs = std::filesystem;
using namespace sotto::cli;

namespace {

// In the files outside the mounts. Its \x01 cannot come back in an echo of the request (a 404's path is
// written with such bytes as \xNN), so finding it in an answer means the file was sent.
const std::string kSecret = "SECRET\x01outside-the-mounts";

struct Seen {
  int status;
  bool head;
};

fs::path g_root;
Site g_site;
HttpServer* g_server = nullptr;
std::set<std::string> g_files;  // the contents of every file the site may send
std::vector<Seen> g_seen;       // the responses of the current input, as the logger saw them

void put(const std::string& rel, const std::string& content, bool served = true) {
  const fs::path p = g_root / rel;
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
  if (served) g_files.insert(content);
}

void remove_root() {
  if (!g_root.empty()) fs::remove_all(g_root);
}

bool has_header(const std::string& head, const std::string& line) {
  return head.find("\r\n" + line + "\r\n") != std::string::npos;
}

std::string lowercase(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool printable_line(const std::string& line) {
  if (line.empty() || line.back() != '\n') return false;
  return std::all_of(line.begin(), line.end() - 1, [](char c) { return c >= 0x20 && c < 0x7f; });
}

}  // namespace

// FUZZ_CHECK, with the server's answer on stderr first (to see what broke the property when reproducing).
#define ANSWER_CHECK(cond)                                                                  \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      std::fprintf(stderr, "--- the answer (%zu bytes):\n%s\n---\n", out.size(), out.c_str()); \
      FUZZ_CHECK(cond);                                                                     \
    }                                                                                       \
  } while (0)

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char tmpl[] = "/tmp/sotto-fuzz-http-XXXXXX";
  if (!::mkdtemp(tmpl)) std::abort();
  g_root = tmpl;
  std::atexit(remove_root);
  put("web/index.html", "<!doctype html><title>app</title>\n");
  put("web/app.js", "export {};\n");
  put("web/sub/page.html", "<p>page</p>\n");
  put("web/empty.txt", "");
  put("web/notes.cpp", "int x; // " + kSecret + "\n", false);  // an extension that is not served
  put("wasm/sotto.mjs", "export class Sotto {}\n");
  put("engine/sotto.wasm", std::string("\0asm\1\0\0\0", 8));
  put("templates/soap.schema.json", "{\"type\":\"object\"}");
  put("models/m.gguf", "GGUF m");
  put("note.gguf", "GGUF note");
  put("secret.html", "<p>" + kSecret + "</p>\n", false);
  put("secret.js", kSecret + "\n", false);
  fs::create_symlink(g_root / "secret.html", g_root / "web/link.html");
  fs::create_symlink(g_root, g_root / "web/up");
  g_site.note_model = g_root / "note.gguf";
  g_site.mounts = {{"/engine/", g_root / "engine"}, {"/wasm/", g_root / "wasm"},
                   {"/templates/", g_root / "templates"}, {"/models/", g_root / "models"}, {"/", g_root / "web"}};
  g_server = new HttpServer();
  configure_site(*g_server, g_site, 8080, false);
  g_server->set_logger([](const httplib::Request& req, const httplib::Response& res) {
    g_seen.push_back({res.status, req.method == "HEAD"});
    const std::string line = log_line(req, res, HttpServer::fault(), g_server->limits(), true);
    FUZZ_CHECK(line.empty() || printable_line(line));
    FUZZ_CHECK(res.status >= 400 || line.empty());
    if (res.status < 400) {  // served: only a GET or HEAD that named this server, from no other origin
      FUZZ_CHECK(req.method == "GET" || req.method == "HEAD");
      FUZZ_CHECK(req.get_header_value_count("Host") == 1);
      const std::string host = lowercase(req.get_header_value("Host"));
      FUZZ_CHECK(host == "127.0.0.1:8080" || host == "localhost:8080" || host == "[::1]:8080");
      FUZZ_CHECK(!req.has_header("Origin") || lowercase(req.get_header_value("Origin")) == "http://" + host);
    }
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  g_seen.clear();
  const std::string out = g_server->serve_bytes(std::string_view(reinterpret_cast<const char*>(data), size));
  ANSWER_CHECK(out.find(kSecret) == std::string::npos);
  static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  size_t at = 0;
  for (const Seen& s : g_seen) {
    while (out.compare(at, kContinue.size(), kContinue) == 0) at += kContinue.size();
    const size_t end = out.find("\r\n\r\n", at);
    ANSWER_CHECK(end != std::string::npos);
    const std::string head = out.substr(at, end + 2 - at);
    ANSWER_CHECK(head.starts_with("HTTP/1.1 " + std::to_string(s.status) + " "));
    ANSWER_CHECK(has_header(head, "Cross-Origin-Opener-Policy: same-origin"));
    ANSWER_CHECK(has_header(head, "Cross-Origin-Embedder-Policy: require-corp"));
    ANSWER_CHECK(has_header(head, "Cross-Origin-Resource-Policy: same-origin"));
    ANSWER_CHECK(head.find("\r\nContent-Security-Policy: default-src 'self';") != std::string::npos);
    const size_t cl = head.find("\r\nContent-Length: ");
    ANSWER_CHECK(cl != std::string::npos);
    const size_t length = std::strtoull(head.c_str() + cl + 18, nullptr, 10);
    const size_t n = s.head ? 0 : length;
    ANSWER_CHECK(out.size() - (end + 4) >= n);
    const std::string body = out.substr(end + 4, n);
    if (s.status >= 400 && !s.head) {
      ANSWER_CHECK(std::count(body.begin(), body.end(), '\n') == 1 && body.back() == '\n');
    }
    if (s.status == 200 && !s.head) ANSWER_CHECK(g_files.count(body) == 1);
    at = end + 4 + n;
  }
  ANSWER_CHECK(at == out.size());
  return 0;
}
