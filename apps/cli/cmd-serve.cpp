// cmd-serve.cpp — `sotto serve`: the browser app as static files, on 127.0.0.1 only; with --api also the
// OpenAI-compatible endpoints under /v1/ on the note model (--model), the speech model (--asr-model) and an
// embedding model (--embed-model), serve-api.h (docs/api.md).
// HTTP/1.1 through Debian's cpp-httplib (HttpServer, http-server.h: a fixed pool of 8 workers, idle connections
// held off the workers and closed after 10 s, a 10 s deadline and a 16 KiB cap on each whole request head, a
// deadline on each whole response (--response-timeout, 120 s: a client that reads too slowly, or not at all,
// is cut off and its worker freed, with one log line), a cap on open connections, keep-alive up to 100
// requests). GET and HEAD only (the API: its own methods and bodies, serve-api.h). It serves a fixed table of mounts:
//   /              -> ROOT/web/            (the app; "/" is index.html, a folder's "/voice/" its index.html; "/voice"
//                                           without the slash is a 301 to it)
//   /wasm/         -> ROOT/wasm/           (the JS host, sotto.mjs)
//   /engine/       -> the wasm build dir   (sotto.wasm; --wasm-dir, default ROOT/build-wasm)
//   /templates/    -> ROOT/templates/      (note templates, JSON Schema)
//   /samples/      -> ROOT/samples/        (the example recording and transcripts: the app's "Try an example")
//   /models/       -> the models dir       (--models, default ROOT/models, else the test fixtures)
//   /models/note.gguf -> --model FILE      (the app's default note model URL; default ROOT/models/sotto-notes-q8_0.gguf,
//                                           else the random-weight fixture gemma3-f32.gguf, with a warning)
//   /models/asr.gguf  -> --asr-model FILE  (the app's default speech model URL; default ROOT/models/sotto-asr-q8_0.gguf,
//                                           else the random-weight fixture tests/fixtures/asr/moonshine-f32.gguf,
//                                           with a warning; none when neither exists)
// Only files with a known extension are served, with their MIME type (application/wasm for .wasm); any
// other path is 404. Paths are percent-decoded, then refused if a segment is "." or ".." or empty, contains a
// backslash or NUL, or the resolved file (symlinks followed) lies outside its mount.
// Same origin only: a Host header other than 127.0.0.1:PORT, localhost:PORT or [::1]:PORT (a page reaching the
// server through DNS rebinding) gets 421; an Origin header other than http://HOST, or a browser's Sec-Fetch-Site
// naming another site on anything but a navigation, gets 403.
// Every response carries the headers cross-origin isolation needs (COOP same-origin, COEP require-corp,
// CORP same-origin) and a strict Content-Security-Policy (connect-src 'self' and the Hugging Face hub's origins,
// for a hub model the user names in the app's Settings (docs/models.md): the app cannot talk to any other origin;
// HF_ENDPOINT puts its origin in place of the hub's, HF_HUB_OFFLINE=1 leaves 'self' alone). Errors are one line of text/plain and close the connection; refused requests are logged on
// stderr (-q: not), one line each, the path with control and non-ASCII bytes written as \xNN.
// The rules from request to response live in serve-site.cpp (no sockets there: the fuzzer drives them); this
// file parses the arguments and runs them on 127.0.0.1.
// Does not: listen on any address but 127.0.0.1, TLS, ranges, directory listings, uploads.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <filesystem>
#include <string>

#include "cli.h"
#include "core/error.h"
#include "http-server.h"
#include "serve-api.h"
#include "serve-site.h"

namespace sotto::cli {

namespace {

namespace fs = std::filesystem;

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
  int response_timeout = 120;
  bool quiet = false, api = false;
  std::string api_key, embed_model;
  int n_threads = 0, n_ctx = 0, cache_ram = -1;
  ArgParser ap("sotto serve", "[--port N] [--model FILE] [options]",
               "Serves the browser app (web/, the wasm engine, the templates, the note and speech models) on 127.0.0.1\n"
               "only, with the headers cross-origin isolation needs. Nothing but these static files is served, unless\n"
               "--api: then also OpenAI's /v1/models, /v1/chat/completions and /v1/completions on --model, and\n"
               "/v1/audio/transcriptions on --asr-model, /v1/embeddings on --embed-model (docs/api.md).\n"
               "--port 0 picks a free port; the URL is printed on the first line of stdout.");
  ap.option("-p,--port", &port, "N", "TCP port on 127.0.0.1; 0 = any free port (8080)");
  ap.option("--root", &root, "DIR", "source tree holding web/, wasm/ and templates/ (found from the binary)");
  ap.option("--wasm-dir", &wasm_dir, "DIR", "directory of sotto.wasm, served as /engine/ (ROOT/build-wasm)");
  ap.option("--models", &models_dir, "DIR", "directory served as /models/ (ROOT/models, else the test fixtures)");
  ap.model("-m,--model", &model, "note model served as /models/note.gguf (ROOT/models/sotto-notes-q8_0.gguf, else a test model)");
  ap.model("--asr-model", &asr_model, "speech model served as /models/asr.gguf (ROOT/models/sotto-asr-q8_0.gguf, else a test model)");
  ap.option("--response-timeout", &response_timeout, "S",
            "seconds to send a whole response; a client that reads it slower is cut off (120)", 1, 86400);
  ap.flag("--api", &api, "also serve OpenAI-compatible endpoints under /v1/ on the --model (docs/api.md)");
  ap.option("--api-key", &api_key, "KEY",
            "--api: require 'Authorization: Bearer KEY' (default: $SOTTO_API_KEY when set, else no key)");
  ap.model("--embed-model", &embed_model, "--api: a BERT-family embedding model for /v1/embeddings (none)");
  ap.option("-t,--threads", &n_threads, "N", "--api: CPU threads; 0 = all, at most the hardware threads (0)", 0, kMaxThreads);
  ap.option("-c,--ctx-size", &n_ctx, "N", "--api: context size; 0 = min(training context, 4096) (0)", 0);
  ap.option("--cache-ram", &cache_ram, "MIB",
            "--api: MiB of saved KV prefixes, so interleaved conversations each reuse theirs; 0 = the last one only "
            "(256)", 0, 1 << 20);
  ap.flag("-q,--quiet", &quiet, "do not log refused requests (nor the API's start line)");
  if (!ap.parse(argc, argv)) return 0;
  if (!api && (!api_key.empty() || !embed_model.empty() || n_threads != 0 || n_ctx != 0 || cache_ram >= 0)) {
    ap.usage_error("--api-key, --embed-model, -t, -c and --cache-ram are for --api");
  }
  if (api && api_key.empty()) {
    if (const char* k = std::getenv("SOTTO_API_KEY")) api_key = k;
  }
  if (port < 0 || port > 65535) ap.usage_error("--port must be 0..65535");
  const fs::path r = root.empty() ? source_root() : fs::path(root);
  if (!fs::is_regular_file(r / "web" / "index.html")) fail((r / "web" / "index.html").string(), ": not found (use --root)");
  Site site;
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
  site.hub_sources = hub_sources();  // the CSP lets the app reach the hub (HF_ENDPOINT, HF_HUB_OFFLINE)
  site.mounts = {{"/engine/", wd}, {"/wasm/", r / "wasm"}, {"/templates/", r / "templates"}, {"/models/", md},
                 {"/samples/", r / "samples"}, {"/", r / "web"}};
  if (!fs::is_regular_file(wd / "sotto.wasm")) {
    std::fprintf(stderr, "sotto serve: warning: %s not built (bash wasm/build.sh)\n", (wd / "sotto.wasm").c_str());
  }

  std::unique_ptr<ApiService> api_service;
  if (api) {
    ApiOptions ao;
    ao.model_path = model;
    ao.asr_model_path = asr_model;  // /v1/audio/transcriptions
    ao.embed_model_path = embed_model;  // /v1/embeddings
    ao.n_threads = resolve_threads(n_threads, quiet);
    ao.n_ctx = n_ctx;
    ao.api_key = api_key;
    if (cache_ram >= 0) ao.cache_ram = size_t(cache_ram) << 20;
    api_service = std::make_unique<ApiService>(ao);
    site.api = api_service.get();
  }

  HttpLimits limits;
  limits.response_timeout = std::chrono::seconds(response_timeout);
  HttpServer server(limits);
  const int bound = server.open("127.0.0.1", port);  // 127.0.0.1 only, by design
  configure_site(server, site, bound, !quiet);
  std::printf("sotto: serving http://127.0.0.1:%d/\n", bound);
  if (api_service && !quiet) {
    std::fprintf(stderr, "sotto serve: API at http://127.0.0.1:%d/v1/ on model '%s' (context %d tokens)%s\n", bound,
                 api_service->model_id().c_str(), api_service->n_ctx(), api_key.empty() ? "" : ", bearer token required");
  }
  std::fflush(stdout);
  server.serve_forever();
}

}  // namespace sotto::cli
