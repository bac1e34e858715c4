// serve-site.cpp — see serve-site.h; the rules themselves are listed in cmd-serve.cpp's contract.
#include "serve-site.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>

#include "api-request.h"
#include "core/error.h"

namespace sotto::cli {

namespace fs = std::filesystem;

namespace {

const char* mime_type(const std::string& ext) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".html", "text/html; charset=utf-8"},  {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},          {".wasm", "application/wasm"},
      {".gguf", "application/octet-stream"},  {".png", "image/png"},
      {".svg", "image/svg+xml"},              {".ico", "image/x-icon"},
      {".webmanifest", "application/manifest+json"}, {".txt", "text/plain; charset=utf-8"},
      {".sql", "text/plain; charset=utf-8"},  // web/rag/schema.sql
      {".wav", "audio/wav"},  // the example recording (samples/)
      {".splat", "application/octet-stream"}, {".ply", "application/octet-stream"},  // scenes (web/splat)
  };
  for (const auto& [e, t] : kTypes) {
    if (ext == e) return t;
  }
  return nullptr;
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

// Headers on every response, errors included: what cross-origin isolation needs (COOP, COEP, CORP) and a
// strict Content-Security-Policy (connect-src 'self' and the hub's origins, site.hub_sources: the app can talk to
// no other origin, and to the hub only for a model the user names in Settings).
httplib::Headers security_headers(const Site& site) {
  return {
      {"Cross-Origin-Opener-Policy", "same-origin"},
      {"Cross-Origin-Embedder-Policy", "require-corp"},
      {"Cross-Origin-Resource-Policy", "same-origin"},
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'" +
           (site.hub_sources.empty() ? std::string() : " " + site.hub_sources) +
           "; img-src 'self' blob: data:; media-src 'self' blob:; style-src 'self'; font-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"Permissions-Policy", "microphone=(self), camera=(), geolocation=()"},
      {"Cache-Control", "no-cache"},
      {"Accept-Ranges", "none"},
  };
}

const char* reason(int code) {
  switch (code) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 421: return "Misdirected Request";
    case 431: return "Request Header Fields Too Large";
    default: return "Internal Server Error";
  }
}

// s with each byte outside printable ASCII (and the backslash) written as \xNN, cut after 200 bytes: one line
// that cannot forge another log line or reach the terminal as an escape sequence.
std::string printable(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < 200; i++) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += char(c);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  if (s.size() > 200) out += "...";
  return out;
}

// An error: the status and one line of text/plain (the headers come from the defaults).
void refuse(httplib::Response& res, int code, const std::string& detail) {
  res.status = code;
  res.set_content(std::to_string(code) + " " + reason(code) + ": " + detail + "\n", "text/plain; charset=utf-8");
}

std::string lowercase(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Whether a Host header names this server: 127.0.0.1, localhost or [::1], with the port it listens on. A page
// that reaches it through DNS rebinding sends its own name.
bool own_host(const std::string& host, int port) {
  const std::string h = lowercase(host), p = std::to_string(port);
  if (h.size() <= p.size() + 1 || !h.ends_with(p) || h[h.size() - p.size() - 1] != ':') return false;
  const std::string name = h.substr(0, h.size() - p.size() - 1);
  return name == "127.0.0.1" || name == "localhost" || name == "[::1]";
}

std::string target_path(const std::string& target) { return target.substr(0, target.find_first_of("?#")); }

void answer_file(const Site& site, const httplib::Request& req, httplib::Response& res);

// Whether a request is for the API (`serve --api`): /v1 and below.
bool api_path(const Site& site, const std::string& target) {
  const std::string p = target_path(target);
  return site.api && (p == "/v1" || p.starts_with("/v1/"));
}

// Answers every request but the API's (the library's pre-routing handler, so nothing else of it routes or reads a
// body); an API request that passes the Host, Origin and key checks goes on to the library's routing, which reads
// its body (at most the API's limit) and calls the API's handlers. Returns whether it answered.
bool answer(const Site& site, int port, const httplib::Request& req, httplib::Response& res) {
  const bool api = api_path(site, req.target);
  auto refuse = [&](httplib::Response& r, int code, const std::string& detail) {
    if (api) {
      api_refuse(r, code, std::string(reason(code)) + ": " + detail);
    } else {
      ::sotto::cli::refuse(r, code, detail);
    }
  };
  if (req.get_header_value_count("Host") != 1 || !own_host(req.get_header_value("Host"), port)) {
    refuse(res, 421, "this server answers to 127.0.0.1:" + std::to_string(port) + " and localhost:" +
                         std::to_string(port) + " only");
    return true;
  }
  // Same origin only: an Origin header must be this very origin; a browser's Sec-Fetch-Site must say the
  // request comes from this origin (or from the user), unless it is a navigation to a page.
  const std::string own_origin = "http://" + lowercase(req.get_header_value("Host"));
  if (req.has_header("Origin") &&
      (req.get_header_value_count("Origin") != 1 || lowercase(req.get_header_value("Origin")) != own_origin)) {
    refuse(res, 403, "a request from another origin");
    return true;
  }
  const std::string fetch_site = req.get_header_value("Sec-Fetch-Site");
  if (!fetch_site.empty() && fetch_site != "same-origin" && fetch_site != "none" &&
      req.get_header_value("Sec-Fetch-Mode") != "navigate") {
    refuse(res, 403, "a request from another site");
    return true;
  }
  if (api) {
    if (!site.api->authorized(req, res)) return true;
    HttpServer::allow_body(site.api->max_body(target_path(req.target)) + 4096);  // the head's cap is apart; chunk framing on top
    return false;
  }
  answer_file(site, req, res);
  return true;
}

// A static file, a redirect to a folder, or the refusal (after answer()'s checks).
void answer_file(const Site& site, const httplib::Request& req, httplib::Response& res) {
  const bool head = req.method == "HEAD";
  if (req.method != "GET" && !head) {
    res.set_header("Allow", "GET, HEAD");
    return refuse(res, 405, "only GET and HEAD");
  }
  if (req.has_header("Content-Length") || req.has_header("Transfer-Encoding")) HttpServer::mark_close();  // body unread
  std::string path;
  if (!url_decode(target_path(req.target), path)) return refuse(res, 400, "bad percent-encoding in the path");
  const fs::path file = resolve(site, path);
  // A page's folder named without its closing slash ("/voice", as a user types it): sent to the folder, whose
  // index.html is the page. Only for plain paths (letters, digits, '/', '_', '-', '.'), so the Location header
  // holds nothing but the path.
  std::error_code ec;
  if (!file.empty() && path.back() != '/' && fs::is_directory(file, ec) && !resolve(site, path + "/").empty() &&
      path.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_-.") == std::string::npos) {
    res.status = 301;
    res.set_header("Location", path + "/");
    return res.set_content("301 Moved Permanently: " + path + "/\n", "text/plain; charset=utf-8");
  }
  const char* type = file.empty() ? nullptr : mime_type(file.extension().string());
  struct stat st{};
  if (!type || ::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return refuse(res, 404, printable(path));
  auto in = std::make_shared<std::ifstream>(file, std::ios::binary);
  if (!*in) return refuse(res, 403, printable(path));
  res.status = 200;
  if (st.st_size == 0) return res.set_content("", type);
  auto chunk = std::make_shared<std::vector<char>>(1 << 16);
  res.set_content_provider(size_t(st.st_size), type, [in, chunk](size_t offset, size_t length,
                                                                  httplib::DataSink& sink) {
    in->seekg(std::streamoff(offset));
    in->read(chunk->data(), std::streamsize(std::min(length, chunk->size())));
    const auto n = size_t(in->gcount());
    return n > 0 && sink.write(chunk->data(), n);  // 0: the file shrank while being sent
  });
}

// The one line of the errors the library makes itself (the head did not parse, took too long, was too big; an API
// request's body was too big or its endpoint unknown): text/plain, or OpenAI's JSON error for the API.
httplib::Server::HandlerResponse explain_error(const Site& site, const httplib::Request& req, httplib::Response& res) {
  if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // one of answer()'s
  const auto fault = HttpServer::fault();
  if (res.status == 400 && fault == HttpServer::Fault::head_timeout) res.status = 408;
  if (res.status == 400 && fault == HttpServer::Fault::head_too_large) res.status = 431;
  if (fault == HttpServer::Fault::body_too_large) res.status = 413;
  const bool api = api_path(site, req.target);
  const std::string detail = res.status == 408   ? "the request head did not arrive within 10 s"
                             : res.status == 431 ? "the request head is over 16 KiB"
                             : res.status == 413 ? "the request body is over the limit (1 MiB, 25 MiB for audio; 8 KiB sent as a form: send Content-Type: application/json)"
                             : res.status == 414 ? "the request target is over 8 KiB"
                             : res.status == 416 ? "a bad Range header"
                             : res.status == 404 && api ? "no such endpoint: " + printable(target_path(req.target))
                             : res.status == 400 ? "a malformed request"
                                                 : "the request failed";
  if (api) {
    api_refuse(res, res.status, std::string(reason(res.status)) + ": " + detail);
  } else {
    refuse(res, res.status, detail);
  }
  res.set_header("Content-Length", std::to_string(res.body.size()));  // (the library sets it only for answer()'s)
  return httplib::Server::HandlerResponse::Unhandled;
}

}  // namespace

void api_refuse(httplib::Response& res, int status, const std::string& message, const std::string& param,
                const std::string& code, const std::string& type) {
  res.status = status;
  const std::string t = !type.empty() ? type
                        : status == 401 ? "authentication_error"
                        : status == 404 ? "not_found_error"
                        : status == 429 ? "rate_limit_error"
                        : status >= 500 ? "server_error"
                                        : "invalid_request_error";
  res.set_content(error_json(message, t, param, code) + "\n", "application/json");
}

std::string log_line(const httplib::Request& req, const httplib::Response& res, HttpServer::Fault fault,
                     const HttpLimits& limits, bool refused) {
  std::string path;
  if (!url_decode(target_path(req.target), path)) path = req.target;
  const std::string what = printable(req.method) + " " + (path.empty() ? "-" : printable(path));
  if (fault == HttpServer::Fault::response_timeout) {
    return "sotto serve: " + std::to_string(res.status) + " " + what + ": cut off, the client did not read it within " +
           std::to_string(limits.response_timeout.count()) + " s\n";
  }
  if (res.status < 400 || !refused) return "";
  std::string why;
  if (res.status == 421) why = " (Host: " + printable(req.get_header_value("Host")) + ")";
  if (res.status == 403 && req.has_header("Origin")) {
    why = " (Origin: " + printable(req.get_header_value("Origin")) + ")";
  }
  return "sotto serve: " + std::to_string(res.status) + " " + what + why + "\n";
}

std::string hub_sources() {
  const char* off = std::getenv("HF_HUB_OFFLINE");
  std::string o = off ? off : "";
  for (auto& c : o) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (o == "1" || o == "true" || o == "yes" || o == "on") return "";
  const char* e = std::getenv("HF_ENDPOINT");
  if (!e || !*e) return "https://huggingface.co https://*.huggingface.co https://*.hf.co";
  const std::string s = e;
  const size_t scheme = s.find("://");
  const std::string proto = scheme == std::string::npos ? "" : s.substr(0, scheme);
  const size_t end = scheme == std::string::npos ? 0 : s.find('/', scheme + 3);
  const std::string origin = s.substr(0, end == std::string::npos ? s.size() : end);
  const std::string host = scheme == std::string::npos ? "" : origin.substr(scheme + 3);
  // Only what a CSP host-source may hold: no ';', space or quote can end the directive early.
  const bool ok = (proto == "http" || proto == "https") && !host.empty() &&
                  std::all_of(host.begin(), host.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
                  });
  if (!ok) fail("HF_ENDPOINT '", printable(s), "' is not an http(s) URL");
  return origin;
}

void configure_site(HttpServer& server, const Site& site, int port, bool log_refused) {
  server.set_default_headers(security_headers(site));
  server.set_pre_routing_handler([&site, port](const httplib::Request& req, httplib::Response& res) {
    return answer(site, port, req, res) ? httplib::Server::HandlerResponse::Handled
                                        : httplib::Server::HandlerResponse::Unhandled;
  });
  if (site.api) site.api->install(server);
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [&site](const httplib::Request& req, httplib::Response& res) { return explain_error(site, req, res); }));
  server.set_exception_handler([&site](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
    if (api_path(site, req.target)) return api_refuse(res, 500, "the request failed", "", "", "server_error");
    refuse(res, 500, "the request failed");
  });
  server.set_logger([&server, log_refused](const httplib::Request& req, const httplib::Response& res) {
    const std::string line = log_line(req, res, HttpServer::fault(), server.limits(), log_refused);
    if (!line.empty()) std::fputs(line.c_str(), stderr);
  });
}

}  // namespace sotto::cli
