// cmd-serve.cpp — `sotto serve`: the browser app as static files, on 127.0.0.1 only, and nothing else.
// A small HTTP/1.1 server on POSIX sockets: GET and HEAD, one request per connection (Connection: close),
// one thread per connection with receive/send timeouts. It serves a fixed table of mounts:
//   /              -> ROOT/web/            (the app; "/" is index.html)
//   /wasm/         -> ROOT/wasm/           (the JS host, sotto.mjs)
//   /engine/       -> the wasm build dir   (sotto.wasm; --wasm-dir, default ROOT/build-wasm)
//   /templates/    -> ROOT/templates/      (note templates, JSON Schema)
//   /models/       -> the models dir       (--models, default ROOT/models, else the test fixtures)
//   /models/note.gguf -> --model FILE      (the app's default note model URL; default ROOT/models/sotto-notes-q8_0.gguf,
//                                           else the random-weight fixture gemma3-f32.gguf, with a warning)
//   /models/asr.gguf  -> --asr-model FILE  (the app's default speech model URL; default ROOT/models/sotto-asr-q8_0.gguf,
//                                           else the random-weight fixture tests/fixtures/asr/moonshine-f32.gguf,
//                                           with a warning; none when neither exists)
// Only files with a known extension are served, with their MIME type (application/wasm for .wasm); any
// other path is 404. Paths are percent-decoded, then refused if a segment is "." or ".." or empty, contains a
// backslash or NUL, or the resolved file (symlinks followed) lies outside its mount.
// Every response carries the headers cross-origin isolation needs (COOP same-origin, COEP require-corp,
// CORP same-origin) and a strict Content-Security-Policy (connect-src 'self': the app cannot talk to any
// other origin). Errors are one line of text/plain.
// Does not: listen on any address but 127.0.0.1, TLS, keep-alive, ranges, directory listings, uploads.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli.h"
#include "core/error.h"

namespace sotto::cli {

namespace {

namespace fs = std::filesystem;

struct Mount {
  std::string prefix;  // "/engine/"
  fs::path dir;
};

struct Site {
  std::vector<Mount> mounts;  // longest prefix first
  fs::path note_model;        // served at /models/note.gguf when set
  fs::path asr_model;         // served at /models/asr.gguf when set
};

const char* mime_type(const std::string& ext) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".html", "text/html; charset=utf-8"},  {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},          {".wasm", "application/wasm"},
      {".gguf", "application/octet-stream"},  {".png", "image/png"},
      {".svg", "image/svg+xml"},              {".ico", "image/x-icon"},
      {".webmanifest", "application/manifest+json"}, {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& [e, t] : kTypes) {
    if (ext == e) return t;
  }
  return nullptr;
}

const char kSecurityHeaders[] =
    "Cross-Origin-Opener-Policy: same-origin\r\n"
    "Cross-Origin-Embedder-Policy: require-corp\r\n"
    "Cross-Origin-Resource-Policy: same-origin\r\n"
    "Content-Security-Policy: default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; "
    "connect-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; style-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "Permissions-Policy: microphone=(self), camera=(), geolocation=()\r\n"
    "Cache-Control: no-cache\r\n"
    "Connection: close\r\n";

bool send_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t k = ::send(fd, p, n, MSG_NOSIGNAL);
    if (k <= 0) return false;
    p += k;
    n -= size_t(k);
  }
  return true;
}

void send_error(int fd, int code, const char* reason, const std::string& detail, bool head, const char* extra = "") {
  const std::string body = std::to_string(code) + " " + reason + ": " + detail + "\n";
  std::string h = "HTTP/1.1 " + std::to_string(code) + " " + reason + "\r\n" + kSecurityHeaders + extra +
                  "Content-Type: text/plain; charset=utf-8\r\nContent-Length: " + std::to_string(body.size()) +
                  "\r\n\r\n";
  if (!head) h += body;
  send_all(fd, h.data(), h.size());
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes a path; false on a bad escape or a NUL byte.
bool url_decode(const std::string& in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); i++) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int a = hex_digit(in[i + 1]), b = hex_digit(in[i + 2]);
    if (a < 0 || b < 0) return false;
    out += char(a * 16 + b);
    i += 2;
  }
  return out.find('\0') == std::string::npos;
}

// The file for a decoded URL path, or empty when there is none that may be served.
fs::path resolve(const Site& site, const std::string& path) {
  if (path.empty() || path[0] != '/' || path.find('\\') != std::string::npos) return {};
  // Segments: no "." or ".." anywhere (also rejects "/a/../b" before any file system call).
  for (size_t i = 1; i <= path.size();) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    const std::string seg = path.substr(i, j - i);
    if (seg == "." || seg == ".." || (seg.empty() && j < path.size())) return {};  // nor an empty one ("//")
    i = j + 1;
  }
  if (path == "/models/note.gguf" && !site.note_model.empty()) return site.note_model;
  if (path == "/models/asr.gguf" && !site.asr_model.empty()) return site.asr_model;
  for (const Mount& m : site.mounts) {
    if (path.compare(0, m.prefix.size(), m.prefix) != 0) continue;
    std::string rel = path.substr(m.prefix.size());
    if (rel.empty() || rel.back() == '/') rel += "index.html";
    std::error_code ec;
    const fs::path root = fs::canonical(m.dir, ec);
    if (ec) return {};
    const fs::path file = fs::canonical(root / rel, ec);
    if (ec) return {};
    // Symlinks are followed: the real file must still be inside the mount.
    const std::string r = root.string() + "/", f = file.string();
    if (f.compare(0, r.size(), r) != 0) return {};
    return file;
  }
  return {};
}

void serve_connection(const Site& site, int fd, bool quiet) {
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string req;
  char buf[4096];
  for (;;) {
    const size_t end = req.find("\r\n\r\n");
    if (end != std::string::npos && end <= 16384) break;
    if (req.size() > 16384) {
      send_error(fd, 431, "Request Header Fields Too Large", "the request head is over 16 KiB", false);
      return;
    }
    const ssize_t k = ::recv(fd, buf, sizeof buf, 0);
    if (k <= 0) return;  // closed or timed out before a whole request head
    req.append(buf, size_t(k));
  }
  const std::string line = req.substr(0, req.find("\r\n"));
  const size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (sp1 == std::string::npos || sp2 == sp1 || line.compare(sp2 + 1, 5, "HTTP/") != 0) {
    send_error(fd, 400, "Bad Request", "malformed request line", false);
    return;
  }
  const std::string method = line.substr(0, sp1);
  std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const bool head = method == "HEAD";
  if (method != "GET" && !head) {
    send_error(fd, 405, "Method Not Allowed", "only GET and HEAD", false, "Allow: GET, HEAD\r\n");
    return;
  }
  if (const size_t q = target.find_first_of("?#"); q != std::string::npos) target.resize(q);
  std::string path;
  if (!url_decode(target, path)) {
    send_error(fd, 400, "Bad Request", "bad percent-encoding in the path", head);
    return;
  }
  const fs::path file = resolve(site, path);
  const char* type = file.empty() ? nullptr : mime_type(file.extension().string());
  struct stat st{};
  if (!type || ::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    send_error(fd, 404, "Not Found", path, head);
    if (!quiet) std::fprintf(stderr, "sotto serve: 404 %s %s\n", method.c_str(), path.c_str());
    return;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    send_error(fd, 403, "Forbidden", path, head);
    return;
  }
  const std::string h = std::string("HTTP/1.1 200 OK\r\n") + kSecurityHeaders + "Content-Type: " + type +
                        "\r\nContent-Length: " + std::to_string(st.st_size) + "\r\n\r\n";
  if (!send_all(fd, h.data(), h.size()) || head) return;
  std::vector<char> chunk(1 << 16);
  while (in) {
    in.read(chunk.data(), std::streamsize(chunk.size()));
    const auto n = size_t(in.gcount());
    if (n == 0 || !send_all(fd, chunk.data(), n)) break;
  }
}

fs::path source_root() {
  std::error_code ec;
  const fs::path exe = fs::canonical("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path p = exe.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path()) {
      if (fs::is_regular_file(p / "web" / "index.html")) return p;
    }
  }
#ifdef SOTTO_SOURCE_DIR
  return SOTTO_SOURCE_DIR;
#else
  return ".";
#endif
}

}  // namespace

int run_serve(int argc, char** argv) {
  std::string root, wasm_dir, models_dir, model, asr_model;
  int port = 8080;
  bool quiet = false;
  ArgParser ap("sotto serve", "[--port N] [--model FILE] [options]",
               "Serves the browser app (web/, the wasm engine, the templates, the note and speech models) on 127.0.0.1\n"
               "only, with the headers cross-origin isolation needs. Nothing but these static files is served.\n"
               "--port 0 picks a free port; the URL is printed on the first line of stdout.");
  ap.option("-p,--port", &port, "N", "TCP port on 127.0.0.1; 0 = any free port (8080)");
  ap.option("--root", &root, "DIR", "source tree holding web/, wasm/ and templates/ (found from the binary)");
  ap.option("--wasm-dir", &wasm_dir, "DIR", "directory of sotto.wasm, served as /engine/ (ROOT/build-wasm)");
  ap.option("--models", &models_dir, "DIR", "directory served as /models/ (ROOT/models, else the test fixtures)");
  ap.option("-m,--model", &model, "FILE", "note model served as /models/note.gguf (ROOT/models/sotto-notes-q8_0.gguf, else a test model)");
  ap.option("--asr-model", &asr_model, "FILE", "speech model served as /models/asr.gguf (ROOT/models/sotto-asr-q8_0.gguf, else a test model)");
  ap.flag("-q,--quiet", &quiet, "do not log refused requests");
  if (!ap.parse(argc, argv)) return 0;
  if (port < 0 || port > 65535) ap.usage_error("--port must be 0..65535");
  const fs::path r = root.empty() ? source_root() : fs::path(root);
  if (!fs::is_regular_file(r / "web" / "index.html")) fail((r / "web" / "index.html").string(), ": not found (use --root)");
  auto site_ptr = std::make_shared<Site>();  // shared with the connection threads
  Site& site = *site_ptr;
  const fs::path wd = wasm_dir.empty() ? r / "build-wasm" : fs::path(wasm_dir);
  fs::path md = models_dir.empty() ? r / "models" : fs::path(models_dir);
  if (models_dir.empty() && !fs::is_directory(md)) md = r / "tests" / "fixtures" / "models";
  if (model.empty()) {  // the trained default note model when it is there, else a random-weight fixture
    model = (r / "models" / "sotto-notes-q8_0.gguf").string();
    if (!fs::is_regular_file(model)) {
      model = (r / "tests" / "fixtures" / "models" / "gemma3-f32.gguf").string();
      std::fprintf(stderr, "sotto serve: no models/sotto-notes-q8_0.gguf: serving the random-weight test model %s as the note "
                           "model (its notes are noise; use --model)\n", model.c_str());
    }
  }
  if (!fs::is_regular_file(model)) fail(model, ": no such model file");
  site.note_model = model;
  if (asr_model.empty()) {  // the trained default speech model when it is there, else a random-weight fixture
    asr_model = (r / "models" / "sotto-asr-q8_0.gguf").string();
    if (!fs::is_regular_file(asr_model)) {
      asr_model = (r / "tests" / "fixtures" / "asr" / "moonshine-f32.gguf").string();
      if (fs::is_regular_file(asr_model)) {
        std::fprintf(stderr, "sotto serve: no models/sotto-asr-q8_0.gguf: serving the random-weight test model %s as the "
                             "speech model (its transcripts are noise; use --asr-model)\n", asr_model.c_str());
      } else {
        asr_model.clear();
      }
    }
  }
  if (!asr_model.empty() && !fs::is_regular_file(asr_model)) fail(asr_model, ": no such model file");
  site.asr_model = asr_model;
  site.mounts = {{"/engine/", wd}, {"/wasm/", r / "wasm"}, {"/templates/", r / "templates"}, {"/models/", md},
                 {"/", r / "web"}};
  if (!fs::is_regular_file(wd / "sotto.wasm")) {
    std::fprintf(stderr, "sotto serve: warning: %s not built (bash wasm/build.sh)\n", (wd / "sotto.wasm").c_str());
  }

  const int ls = ::socket(AF_INET, SOCK_STREAM, 0);
  if (ls < 0) fail("socket: ", std::strerror(errno));
  const int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // 127.0.0.1 only, by design
  if (::bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const std::string e = std::strerror(errno);
    ::close(ls);
    fail("cannot listen on 127.0.0.1:", std::to_string(port), ": ", e);
  }
  if (::listen(ls, 64) != 0) fail("listen: ", std::strerror(errno));
  socklen_t len = sizeof addr;
  getsockname(ls, reinterpret_cast<sockaddr*>(&addr), &len);
  std::signal(SIGPIPE, SIG_IGN);
  std::printf("sotto: serving http://127.0.0.1:%d/\n", int(ntohs(addr.sin_port)));
  std::fflush(stdout);
  for (;;) {
    const int fd = ::accept(ls, nullptr, nullptr);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) continue;
      fail("accept: ", std::strerror(errno));
    }
    std::thread([site_ptr, fd, quiet] {
      serve_connection(*site_ptr, fd, quiet);
      ::shutdown(fd, SHUT_WR);
      ::close(fd);
    }).detach();
  }
}

}  // namespace sotto::cli
