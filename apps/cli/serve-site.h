// serve-site.h — what `sotto serve` answers, with no socket of its own: the table of mounts (Site) and the
// rules from request to response (Host and Origin checks, GET and HEAD only, percent-decoding, the path rules,
// files with their MIME types, the headers on every response, one-line errors, the log lines), installed on an
// HttpServer by configure_site(). cmd-serve.cpp runs that server on 127.0.0.1; tests/fuzz/fuzz-http.cpp feeds
// it bytes in memory (HttpServer::serve_bytes), so the fuzzer drives the very handlers the server runs.
// Does not: listen, parse arguments, find the source tree (cmd-serve.cpp).
#pragma once

#include <httplib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "http-server.h"

namespace sotto::cli {

struct Mount {
  std::string prefix;  // "/engine/"
  std::filesystem::path dir;
};

// What the site needs of the API (`serve --api`; serve-api.h's ApiService): the key check before the body is read,
// the body limit, and its handlers.
class ApiRoutes {
 public:
  virtual ~ApiRoutes() = default;
  // false (and `res` set to OpenAI's 401) when the request lacks the API key.
  virtual bool authorized(const httplib::Request& req, httplib::Response& res) const = 0;
  virtual size_t max_body(const std::string& path) const = 0;  // bytes of a request body to that path
  virtual void install(HttpServer& server) = 0;  // registers the /v1 handlers
};

struct Site {
  std::vector<Mount> mounts;          // longest prefix first
  ApiRoutes* api = nullptr;           // `serve --api`: /v1/ goes to its handlers, after the Host/Origin checks
  std::filesystem::path note_model;  // served at /models/note.gguf when set
  std::filesystem::path asr_model;   // served at /models/asr.gguf when set
  // CSP sources the app may also connect to, for a hub model the user names in Settings (web/hub.mjs,
  // docs/models.md): "" = this origin only. cmd-serve.cpp: hub_sources().
  std::string hub_sources;
};

// The hub's origins for the CSP's connect-src: "https://huggingface.co https://*.huggingface.co https://*.hf.co"
// (the hub and the CDNs it redirects to), the origin of HF_ENDPOINT when that is set (a mirror, a test's stand-in),
// "" with HF_HUB_OFFLINE (the app then cannot reach any hub). A malformed HF_ENDPOINT: a one-line error.
std::string hub_sources();

// Installs the site on `server` (and the API's handlers when site.api is set), which answers to 127.0.0.1:port and localhost:port: the default headers, the
// handler of every request, the error and exception handlers, and a logger that writes log_line() to stderr
// (responses cut off at their deadline always, refused requests when log_refused). `site` must outlive the
// server.
void configure_site(HttpServer& server, const Site& site, int port, bool log_refused);

// An OpenAI error as the response: status, and the one-line JSON body (api-request.h: error_json); type "" picks
// the type from the status.
void api_refuse(httplib::Response& res, int status, const std::string& message, const std::string& param = "",
                const std::string& code = "", const std::string& type = "");

// The log line of a response ("sotto serve: 404 GET /x.js\n"), or "" for none: a refused request (status 400 or
// more; when refused is true), or a response cut off at its deadline (fault: HttpServer::fault() in the logger).
// Its path, method, Host and Origin are written with control and non-ASCII bytes as \xNN, cut after 200 bytes.
std::string log_line(const httplib::Request& req, const httplib::Response& res, HttpServer::Fault fault,
                     const HttpLimits& limits, bool refused);

}  // namespace sotto::cli
