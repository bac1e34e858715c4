// test-serve.cpp — `sotto serve` as a black box: starts the built binary on a free port of 127.0.0.1 with a
// temporary root, sends raw HTTP requests and checks: files and MIME types (application/wasm), the
// cross-origin isolation and CSP headers on every response (errors included), HEAD without a body, GET/HEAD
// only (405), directory traversal refused (plain, percent-encoded, encoded slash, symlink out of the mount),
// unknown extensions and missing files 404, one-line error bodies, a bad request line 400, and that it
// listens on 127.0.0.1 only (not on the machine's other addresses). Against hostile clients and pages: Host
// names other than its own (DNS rebinding) 421, other origins 403, keep-alive, a dripped request head cut off
// by its 10 s deadline, slow readers of a large file cut off by the deadline on the whole response (so they
// cannot hold every worker), 200 idle connections neither blocking a GET nor adding threads, a descriptor
// limit of 64 neither killing it nor making it spin, log lines with control bytes escaped, no second server on
// its port.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "serve-run.h"

namespace fs = std::filesystem;

namespace {

using cli_run::sotto_path;

void write(const fs::path& p, const std::string& s) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << s;
}

class Serve : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (access(sotto_path().c_str(), X_OK) != 0) return;
    root_ = fs::temp_directory_path() / ("sotto-serve-test-" + std::to_string(getpid()));
    fs::remove_all(root_);
    write(root_ / "web/index.html", "<!doctype html><title>app</title>\n");
    write(root_ / "web/app.js", "export {};\n");
    write(root_ / "web/voice/index.html", "<!doctype html><title>voice</title>\n");  // a page in a folder
    write(root_ / "web/notes.cpp", "int x;\n");  // an extension that is not served
    write(root_ / "wasm/sotto.mjs", "export class Sotto {}\n");
    write(root_ / "build-wasm/sotto.wasm", std::string("\0asm\1\0\0\0", 8));
    write(root_ / "templates/soap.schema.json", "{}");
    write(root_ / "models/m.gguf", "GGUF");
    write(root_ / "models/sotto-notes-q8_0.gguf", "GGUF note");  // the default --model
    write(root_ / "models/sotto-asr-q8_0.gguf", "GGUF asr");     // the default --asr-model
    write(root_ / "secret.html", "<p>outside the mounts</p>");
    fs::create_symlink(root_ / "secret.html", root_ / "web/link.html");
    const Child c = start({"-q"});
    pid_ = c.pid;
    port_ = c.port;
    start_error_ = c.error;  // reported by SetUp as each test's failure (gtest would only skip them)
  }
  using Child = serve_run::Server;
  // `sotto serve --port 0 --root ROOT ARGS...`, its stderr to err_fd when >= 0, its descriptor limit at nofile
  // when > 0 (serve-run.h).
  // HF_ENDPOINT and HF_HUB_OFFLINE are cleared (the CSP's hub origins follow them), unless `env` sets them.
  static Child start(const std::vector<std::string>& args, int err_fd = -1, rlim_t nofile = 0,
                     std::vector<std::string> env = {}) {
    std::vector<std::string> a = {"--root", root_.string()};
    a.insert(a.end(), args.begin(), args.end());
    env.insert(env.begin(), {"HF_ENDPOINT=", "HF_HUB_OFFLINE="});
    return serve_run::start(a, {err_fd, nofile, env});
  }
  static void stop(Child c) { serve_run::stop(c); }
  static void TearDownTestSuite() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    if (!root_.empty()) fs::remove_all(root_);
  }
  void SetUp() override {
    if (access(sotto_path().c_str(), X_OK) != 0) GTEST_SKIP() << "sotto binary not built";
    ASSERT_TRUE(start_error_.empty()) << start_error_;
    ASSERT_GT(port_, 0);
  }

  // A connected socket to 127.0.0.1:port, or -1.
  static int connect_to(int port) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  }
  // Sends `raw` to 127.0.0.1:port and returns everything the server answers until it closes.
  static std::string request(const std::string& raw, int port = port_) {
    const int fd = connect_to(port);
    if (fd < 0) return "connect failed";
    const timeval tv{15, 0};  // a server that never answers fails the test instead of hanging it
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    send(fd, raw.data(), raw.size(), MSG_NOSIGNAL);
    std::string out;
    char buf[4096];
    ssize_t k;
    while ((k = recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, size_t(k));
    close(fd);
    return out;
  }
  static std::string get(const std::string& path, const std::string& method = "GET", const std::string& headers = "",
                         int port = port_) {
    return request(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                       "\r\nConnection: close\r\n" + headers + "\r\n",
                   port);
  }
  static std::string status(const std::string& resp) { return resp.substr(0, resp.find("\r\n")); }
  static std::string body(const std::string& resp) {
    const size_t p = resp.find("\r\n\r\n");
    return p == std::string::npos ? "" : resp.substr(p + 4);
  }
  static bool has_header(const std::string& resp, const std::string& h) {
    return (resp.substr(0, resp.find("\r\n\r\n")) + "\r\n").find("\r\n" + h + "\r\n") != std::string::npos;
  }
  static void expect_isolation(const std::string& resp) {
    EXPECT_TRUE(has_header(resp, "Cross-Origin-Opener-Policy: same-origin")) << resp;
    EXPECT_TRUE(has_header(resp, "Cross-Origin-Embedder-Policy: require-corp")) << resp;
    EXPECT_NE(resp.find("\r\nContent-Security-Policy: default-src 'self';"), std::string::npos) << resp;
    EXPECT_NE(resp.find("connect-src 'self' https://huggingface.co https://*.huggingface.co https://*.hf.co;"),
              std::string::npos) << resp;
  }

  static inline fs::path root_;
  static inline pid_t pid_ = -1;
  static inline int port_ = -1;
  static inline std::string start_error_;
};

TEST_F(Serve, FilesWithTypesAndHeaders) {
  std::string r = get("/");
  EXPECT_EQ(status(r), "HTTP/1.1 200 OK");
  EXPECT_TRUE(has_header(r, "Content-Type: text/html; charset=utf-8"));
  EXPECT_EQ(body(r), "<!doctype html><title>app</title>\n");
  expect_isolation(r);
  r = get("/engine/sotto.wasm");
  EXPECT_EQ(status(r), "HTTP/1.1 200 OK");
  EXPECT_TRUE(has_header(r, "Content-Type: application/wasm"));
  EXPECT_TRUE(has_header(r, "Content-Length: 8"));
  EXPECT_EQ(body(r), std::string("\0asm\1\0\0\0", 8));
  EXPECT_TRUE(has_header(get("/wasm/sotto.mjs"), "Content-Type: text/javascript; charset=utf-8"));
  EXPECT_TRUE(has_header(get("/app.js?v=1"), "Content-Type: text/javascript; charset=utf-8"));
  EXPECT_TRUE(has_header(get("/templates/soap.schema.json"), "Content-Type: application/json"));
  EXPECT_EQ(body(get("/models/m.gguf")), "GGUF");
  EXPECT_EQ(body(get("/models/note.gguf")), "GGUF note");
  EXPECT_EQ(body(get("/models/asr.gguf")), "GGUF asr");
  EXPECT_EQ(body(get("/%61pp.js")), "export {};\n");  // percent-decoded
}

// A page's folder named without its closing slash ("/voice", as typed) is sent to the folder, where its index.html is.
TEST_F(Serve, FolderWithoutSlashRedirects) {
  std::string r = get("/voice");
  EXPECT_EQ(status(r), "HTTP/1.1 301 Moved Permanently");
  EXPECT_TRUE(has_header(r, "Location: /voice/")) << r;
  expect_isolation(r);
  EXPECT_TRUE(has_header(get("/voice?x=1"), "Location: /voice/"));  // the query is not carried over
  EXPECT_EQ(body(get("/voice/")), "<!doctype html><title>voice</title>\n");
  EXPECT_EQ(status(get("/models")), "HTTP/1.1 404 Not Found");     // a folder without a page: no redirect, no listing
  EXPECT_EQ(status(get("/voice%0d%0aX-Evil:%201")), "HTTP/1.1 404 Not Found");  // no header of the path's making
}

TEST_F(Serve, HeadHasNoBody) {
  const std::string r = get("/app.js", "HEAD");
  EXPECT_EQ(status(r), "HTTP/1.1 200 OK");
  EXPECT_TRUE(has_header(r, "Content-Length: 11"));
  EXPECT_EQ(body(r), "");
}

TEST_F(Serve, OnlyGetAndHead) {
  for (const char* m : {"POST", "PUT", "DELETE", "OPTIONS", "CONNECT"}) {
    const std::string r = get("/", m);
    EXPECT_EQ(status(r), "HTTP/1.1 405 Method Not Allowed") << m;
    EXPECT_TRUE(has_header(r, "Allow: GET, HEAD"));
    EXPECT_EQ(body(r), "405 Method Not Allowed: only GET and HEAD\n");
    expect_isolation(r);
  }
}

TEST_F(Serve, NoTraversal) {
  const std::string abs = "/" + (root_ / "secret.html").string();  // "//tmp/...": an absolute path inside
  for (const std::string& p : {abs, "/templates/" + (root_ / "secret.html").string(), std::string("/web//index.html")}) {
    EXPECT_EQ(status(get(p)), "HTTP/1.1 404 Not Found") << p;
  }
  for (const char* p : {"/../secret.html", "/%2e%2e/secret.html", "/%2E%2E%2Fsecret.html", "/web/../../secret.html",
                        "/templates/../secret.html", "/..%5csecret.html", "/link.html", "/./index.html",
                        "/engine/%2e%2e/secret.html", "/index.html%00.png"}) {
    const std::string r = get(p);
    const std::string s = status(r);
    EXPECT_TRUE(s == "HTTP/1.1 404 Not Found" || s == "HTTP/1.1 400 Bad Request") << p << ": " << s;
    EXPECT_EQ(body(r).find("outside the mounts"), std::string::npos) << p;
    const std::string b = body(r);
    EXPECT_EQ(std::count(b.begin(), b.end(), '\n'), 1) << "one-line error: " << b;
  }
}

TEST_F(Serve, NotFoundAndBadRequests) {
  EXPECT_EQ(status(get("/notes.cpp")), "HTTP/1.1 404 Not Found");  // unknown extension
  EXPECT_EQ(status(get("/missing.js")), "HTTP/1.1 404 Not Found");
  EXPECT_EQ(body(get("/missing.js")), "404 Not Found: /missing.js\n");
  EXPECT_EQ(status(get("/models/")), "HTTP/1.1 404 Not Found");  // no directory listing
  EXPECT_EQ(status(get("/%zz")), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(status(request("garbage\r\n\r\n")), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(status(request("GET / HTTP/1.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n")),
            "HTTP/1.1 431 Request Header Fields Too Large");
  EXPECT_EQ(status(get("/")), "HTTP/1.1 200 OK");  // still serving
}

// A second server cannot take the same port (and a share of its connections, as SO_REUSEPORT would allow).
// The app may reach the hub (for a hub model named in its Settings, web/hub.mjs) and nothing else: the CSP's
// connect-src names the hub's origins, HF_ENDPOINT's origin in their place, none with HF_HUB_OFFLINE; a
// HF_ENDPOINT that could end the directive is refused on one line.
TEST_F(Serve, HubOriginsInTheCsp) {
  const auto csp_of = [](const std::vector<std::string>& env) {
    Child c = start({"-q"}, -1, 0, env);
    if (c.port <= 0) return "did not start: " + c.error;
    const std::string resp = get("/", "GET", "", c.port);
    stop(c);
    const size_t at = resp.find("connect-src");
    return at == std::string::npos ? resp : resp.substr(at, resp.find(';', at) - at);
  };
  EXPECT_EQ(csp_of({"HF_ENDPOINT=http://127.0.0.1:8089/"}), "connect-src 'self' http://127.0.0.1:8089");
  EXPECT_EQ(csp_of({"HF_ENDPOINT=https://hub.example.org/mirror"}), "connect-src 'self' https://hub.example.org");
  EXPECT_EQ(csp_of({"HF_HUB_OFFLINE=1"}), "connect-src 'self'");
  FILE* err = tmpfile();
  ASSERT_NE(err, nullptr);
  Child bad = start({"-q"}, fileno(err), 0, {"HF_ENDPOINT=http://x; script-src *"});
  EXPECT_EQ(bad.port, -1);
  if (bad.port > 0) stop(bad);
  if (bad.pid > 0 && bad.port <= 0) waitpid(bad.pid, nullptr, 0);
  std::string log;
  rewind(err);
  for (int ch; (ch = fgetc(err)) != EOF;) log += char(ch);
  fclose(err);
  EXPECT_EQ(log, "sotto: HF_ENDPOINT 'http://x; script-src *' is not an http(s) URL\n");
}

TEST_F(Serve, PortNotShared) {
  FILE* err = tmpfile();
  ASSERT_NE(err, nullptr);
  const Child c = start({"-q", "--port", std::to_string(port_)}, fileno(err));
  EXPECT_EQ(c.port, -1) << "a second server listens on the same port";
  if (c.port > 0) stop(c);
  if (c.pid > 0 && c.port <= 0) waitpid(c.pid, nullptr, 0);
  std::string log;
  rewind(err);
  for (int ch; (ch = fgetc(err)) != EOF;) log += char(ch);
  fclose(err);
  EXPECT_EQ(log, "sotto: cannot listen on 127.0.0.1:" + std::to_string(port_) + ": Address already in use\n");
}

TEST_F(Serve, LoopbackOnly) {
  // Find a non-loopback IPv4 address of this machine (via a UDP "connection", which sends nothing) and
  // check the port is closed there.
  const int u = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(9);
  inet_pton(AF_INET, "10.255.255.1", &a.sin_addr);
  sockaddr_in me{};
  socklen_t len = sizeof me;
  const bool routed = connect(u, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                      getsockname(u, reinterpret_cast<sockaddr*>(&me), &len) == 0 && me.sin_addr.s_addr != 0;
  close(u);
  if (!routed || (ntohl(me.sin_addr.s_addr) >> 24) == 127) GTEST_SKIP() << "no non-loopback address";
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  me.sin_port = htons(uint16_t(port_));
  EXPECT_NE(connect(fd, reinterpret_cast<sockaddr*>(&me), sizeof me), 0) << "reachable on a non-loopback address";
  close(fd);
}

// /proc/PID: the number of threads, and the CPU seconds used so far.
int threads_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));  // fields from 3 on
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; i++) {
    if (i >= 14) ticks += std::stod(field);  // utime, stime
  }
  return ticks / double(sysconf(_SC_CLK_TCK));
}
double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A page that reaches 127.0.0.1 through DNS rebinding sends its own name as Host: only this server's own names,
// with its port, are served.
TEST_F(Serve, OnlyItsOwnHostNames) {
  const std::string p = std::to_string(port_);
  for (const std::string& host : {std::string("evil.example"), "evil.example:" + p, std::string("127.0.0.1"),
                                  std::string("127.0.0.1:1"), std::string("localhost"),
                                  "127.0.0.1.evil.example:" + p, "localhost:" + p + "@evil.example"}) {
    const std::string r = request("GET /app.js HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
    const std::string s = status(r);
    EXPECT_TRUE(s == "HTTP/1.1 421 Misdirected Request" || s == "HTTP/1.1 403 Forbidden") << host << ": " << s;
    EXPECT_EQ(body(r).find("export"), std::string::npos) << host;
    const std::string b = body(r);
    EXPECT_EQ(std::count(b.begin(), b.end(), '\n'), 1) << "one-line error: " << b;
    expect_isolation(r);
  }
  EXPECT_EQ(status(request("GET /app.js HTTP/1.0\r\n\r\n")), "HTTP/1.1 421 Misdirected Request");  // no Host
  EXPECT_EQ(status(request("GET /app.js HTTP/1.1\r\nHost: 127.0.0.1:" + p + "\r\nHost: evil.example\r\n\r\n")),
            "HTTP/1.1 421 Misdirected Request");  // two
  for (const std::string& host : {"127.0.0.1:" + p, "localhost:" + p, "[::1]:" + p, "LocalHost:" + p}) {
    const std::string r = request("GET /app.js HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(status(r), "HTTP/1.1 200 OK") << host;
    EXPECT_EQ(body(r), "export {};\n") << host;
  }
}

// Requests from another origin (fetch/XHR send Origin; a browser's no-cors loads send Sec-Fetch-Site) are refused.
TEST_F(Serve, OnlySameOriginRequests) {
  const std::string p = std::to_string(port_);
  for (const std::string& origin : {std::string("http://evil.example"), "http://localhost:" + p, std::string("null"),
                                    std::string("http://127.0.0.1:1"), "https://127.0.0.1:" + p}) {
    const std::string r = get("/models/note.gguf", "GET", "Origin: " + origin + "\r\n");
    EXPECT_EQ(status(r), "HTTP/1.1 403 Forbidden") << origin;
    EXPECT_EQ(body(r).find("GGUF"), std::string::npos) << origin;
    expect_isolation(r);
  }
  EXPECT_EQ(body(get("/models/note.gguf", "GET", "Origin: http://127.0.0.1:" + p + "\r\n")), "GGUF note");
  const char* kCrossSite[] = {"Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: no-cors\r\n",
                              "Sec-Fetch-Site: same-site\r\nSec-Fetch-Mode: cors\r\n"};
  for (const char* h : kCrossSite) EXPECT_EQ(status(get("/models/note.gguf", "GET", h)), "HTTP/1.1 403 Forbidden") << h;
  // A link from another site to the app still opens it; the app's own requests are same-origin.
  EXPECT_EQ(status(get("/", "GET", "Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: navigate\r\n")), "HTTP/1.1 200 OK");
  EXPECT_EQ(body(get("/models/note.gguf", "GET", "Sec-Fetch-Site: same-origin\r\nSec-Fetch-Mode: cors\r\n")),
            "GGUF note");
}

// Two requests on one connection (keep-alive, here pipelined) are both answered.
TEST_F(Serve, KeepAlive) {
  const std::string h = "Host: 127.0.0.1:" + std::to_string(port_) + "\r\n";
  const std::string r = request("GET /app.js HTTP/1.1\r\n" + h + "\r\nGET /wasm/sotto.mjs HTTP/1.1\r\n" + h +
                                "Connection: close\r\n\r\n");
  size_t n = 0;
  for (size_t i = r.find("HTTP/1.1 200 OK"); i != std::string::npos; i = r.find("HTTP/1.1 200 OK", i + 1)) n++;
  EXPECT_EQ(n, 2u) << r;
  EXPECT_NE(r.find("\r\n\r\nexport {};\nHTTP/1.1 200 OK"), std::string::npos) << r;
  EXPECT_NE(r.find("export class Sotto {}\n"), std::string::npos) << r;
}

// A client dripping its request head one byte every 2 s (each recv well within a per-read timeout) is cut off by
// the 10 s deadline on the whole head: in the headers with a 408, in the request line by a close.
TEST_F(Serve, SlowHeadIsCutOff) {
  struct Drip {
    int fd = -1;
    std::string got;
    double closed_at = -1;
  };
  const auto t0 = std::chrono::steady_clock::now();
  Drip drips[2];
  for (Drip& d : drips) d.fd = connect_to(port_);
  ASSERT_GE(drips[0].fd, 0);
  ASSERT_GE(drips[1].fd, 0);
  const std::string line = "GET / HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) + "\r\n";
  send(drips[0].fd, line.data(), line.size(), MSG_NOSIGNAL);  // then a header, a byte at a time
  const std::string slow_line = "GET /app.js HTTP/1.1\r\n";     // the request line itself, a byte at a time
  for (size_t i = 0; since(t0) < 16 && (drips[0].closed_at < 0 || drips[1].closed_at < 0); i++) {
    for (Drip& d : drips) {
      if (d.closed_at >= 0) continue;
      const char c = &d == &drips[0] ? 'x' : slow_line[i % slow_line.size()];
      if (send(d.fd, &c, 1, MSG_NOSIGNAL) != 1) d.closed_at = since(t0);
    }
    const auto tick = std::chrono::steady_clock::now();
    while (since(tick) < 2) {
      pollfd pf[2] = {{drips[0].fd, POLLIN, 0}, {drips[1].fd, POLLIN, 0}};
      if (poll(pf, 2, 200) <= 0) continue;
      for (int k = 0; k < 2; k++) {
        if (!pf[k].revents || drips[k].closed_at >= 0) continue;
        char buf[4096];
        const ssize_t n = recv(drips[k].fd, buf, sizeof buf, 0);
        if (n <= 0) drips[k].closed_at = since(t0);
        else drips[k].got.append(buf, size_t(n));
      }
    }
  }
  for (const Drip& d : drips) {
    EXPECT_GE(d.closed_at, 0) << "still open after 16 s";
    EXPECT_LT(d.closed_at, 13);
    close(d.fd);
  }
  EXPECT_EQ(status(drips[0].got), "HTTP/1.1 408 Request Timeout");
  EXPECT_EQ(drips[1].got.find("export"), std::string::npos);
}

// Eight clients (as many as the server has workers) ask for a 24 MiB file and read it slowly: 32 KiB every
// 100 ms, so each send finds room well within the 10 s per-send timeout and only a deadline on the whole
// response ends them (the whole file would take them over a minute). With --response-timeout 2 each is cut
// off (reset) after about 2 s with one log line, and a GET sent while they hold every worker is answered then.
TEST_F(Serve, SlowReadersAreCutOff) {
  const fs::path big = root_ / "models/big.gguf";
  const size_t big_size = size_t(24) << 20;
  write(big, std::string(big_size, 'x'));
  FILE* err = tmpfile();
  ASSERT_NE(err, nullptr);
  const Child c = start({"--response-timeout", "2"}, fileno(err));
  ASSERT_TRUE(c.error.empty()) << c.error;
  struct Reader {
    int fd = -1;
    size_t got = 0;
    double closed_at = -1;
  };
  std::vector<Reader> readers(8);
  const auto t0 = std::chrono::steady_clock::now();
  const std::string req = "GET /models/big.gguf HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(c.port) + "\r\n\r\n";
  for (Reader& r : readers) {
    r.fd = connect_to(c.port);
    ASSERT_GE(r.fd, 0);
    send(r.fd, req.data(), req.size(), MSG_NOSIGNAL);
  }
  std::string normal;
  double served_at = -1;
  std::thread client([&] {
    usleep(300000);  // the readers hold every worker by now
    normal = get("/app.js", "GET", "", c.port);
    served_at = since(t0);
  });
  for (size_t open = readers.size(); open > 0 && since(t0) < 12;) {
    for (Reader& r : readers) {
      if (r.closed_at >= 0) continue;
      char buf[32768];
      const ssize_t k = recv(r.fd, buf, sizeof buf, MSG_DONTWAIT);
      if (k > 0) r.got += size_t(k);
      if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        r.closed_at = since(t0);
        open--;
      }
    }
    usleep(100000);
  }
  client.join();
  for (const Reader& r : readers) {
    EXPECT_GE(r.closed_at, 0) << "a slow reader still served after 12 s";
    if (r.closed_at >= 0) {
      EXPECT_GE(r.closed_at, 1.5) << "cut off before its deadline";
      EXPECT_LT(r.closed_at, 5.0) << "cut off late";
    }
    EXPECT_LT(r.got, big_size);
    close(r.fd);
  }
  EXPECT_EQ(status(normal), "HTTP/1.1 200 OK");
  EXPECT_EQ(body(normal), "export {};\n");
  EXPECT_GE(served_at, 0);
  EXPECT_LT(served_at, 5.0) << "slow readers held every worker";
  stop(c);
  fs::remove(big);
  std::string log;
  rewind(err);
  for (int ch; (ch = fgetc(err)) != EOF;) log += char(ch);
  fclose(err);
  const std::string line = "sotto serve: 200 GET /models/big.gguf: cut off, the client did not read it within 2 s\n";
  size_t n = 0;
  for (size_t i = log.find(line); i != std::string::npos; i = log.find(line, i + 1)) n++;
  EXPECT_EQ(n, readers.size()) << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), std::ptrdiff_t(readers.size())) << log;
}

// 200 connections that never send a byte: a normal GET is still answered at once, and the server's threads
// stay a fixed pool (no thread per connection).
TEST_F(Serve, IdleConnectionsNeitherBlockNorMultiplyThreads) {
  std::vector<int> idle;
  for (int i = 0; i < 200; i++) {
    const int fd = connect_to(port_);
    ASSERT_GE(fd, 0) << i;
    idle.push_back(fd);
  }
  usleep(300000);  // accepted by now
  const auto t0 = std::chrono::steady_clock::now();
  const std::string r = get("/app.js");
  EXPECT_LT(since(t0), 3.0);
  EXPECT_EQ(status(r), "HTTP/1.1 200 OK");
  EXPECT_EQ(body(r), "export {};\n");
  const int threads = threads_of(pid_);
  EXPECT_GT(threads, 0);
  EXPECT_LE(threads, 32) << "a thread per connection?";
  for (int fd : idle) close(fd);
}

// With a descriptor limit of 64 and 100 idle connections, the server neither dies nor spins on accept()
// failing with EMFILE, and still answers a GET.
TEST_F(Serve, FullDescriptorTableNeitherKillsNorSpins) {
  const Child c = start({"-q"}, -1, 64);
  ASSERT_TRUE(c.error.empty()) << c.error;
  const double cpu0 = cpu_seconds(c.pid);
  std::vector<int> idle;
  for (int i = 0; i < 100; i++) {
    const int fd = connect_to(c.port);
    if (fd >= 0) idle.push_back(fd);
  }
  usleep(1000000);
  const auto t0 = std::chrono::steady_clock::now();
  const std::string r = get("/app.js", "GET", "", c.port);
  EXPECT_LT(since(t0), 3.0);
  EXPECT_EQ(status(r), "HTTP/1.1 200 OK");
  EXPECT_LT(cpu_seconds(c.pid) - cpu0, 0.5) << "spinning";
  EXPECT_EQ(kill(c.pid, 0), 0) << "the server died";
  for (int fd : idle) close(fd);
  stop(c);
}

// A refused request's log line shows its path with control and non-ASCII bytes escaped, cut short, on one line:
// it can neither forge a line nor send the terminal an escape sequence.
TEST_F(Serve, LogLinesArePrintable) {
  FILE* err = tmpfile();
  ASSERT_NE(err, nullptr);
  const Child c = start({}, fileno(err));
  ASSERT_TRUE(c.error.empty()) << c.error;
  const std::string path = "/%1b[2J%1b]0;x%07%0d%0asotto%20serve:%20200%20GET%20/forged%ff" + std::string(1000, 'a');
  const std::string r = get(path + ".js", "GET", "", c.port);
  EXPECT_EQ(status(r), "HTTP/1.1 404 Not Found");
  const std::string b = body(r);
  EXPECT_EQ(std::count(b.begin(), b.end(), '\n'), 1) << b;
  stop(c);
  std::string log;
  rewind(err);
  for (int ch; (ch = fgetc(err)) != EOF;) log += char(ch);
  fclose(err);
  EXPECT_EQ(log.find('\x1b'), std::string::npos) << log;
  EXPECT_EQ(log.find('\r'), std::string::npos) << log;
  EXPECT_EQ(log.find('\x07'), std::string::npos) << log;
  EXPECT_EQ(log.find("\nsotto serve: 200 GET /forged"), std::string::npos) << log;
  const size_t at = log.find("sotto serve: 404 GET /\\x1b[2J\\x1b]0;x\\x07\\x0d\\x0asotto serve: 200 GET /forged\\xff");
  ASSERT_NE(at, std::string::npos) << log;
  EXPECT_LT(log.find('\n', at) - at, 300u) << "not cut short";
}

}  // namespace
