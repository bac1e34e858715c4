// test-serve.cpp — `sotto serve` as a black box: starts the built binary on a free port of 127.0.0.1 with a
// temporary root, sends raw HTTP requests and checks: files and MIME types (application/wasm), the
// cross-origin isolation and CSP headers on every response (errors included), HEAD without a body, GET/HEAD
// only (405), directory traversal refused (plain, percent-encoded, encoded slash, symlink out of the mount),
// unknown extensions and missing files 404, one-line error bodies, a bad request line 400, and that it
// listens on 127.0.0.1 only (not on the machine's other addresses).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;

namespace {

std::string sotto_path() {
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : (self.parent_path() / "sotto").string();
}

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
    write(root_ / "web/notes.cpp", "int x;\n");  // an extension that is not served
    write(root_ / "wasm/sotto.mjs", "export class Sotto {}\n");
    write(root_ / "build-wasm/sotto.wasm", std::string("\0asm\1\0\0\0", 8));
    write(root_ / "templates/soap.schema.json", "{}");
    write(root_ / "models/m.gguf", "GGUF");
    write(root_ / "models/sotto-notes-q8_0.gguf", "GGUF note");  // the default --model
    write(root_ / "models/sotto-asr-q8_0.gguf", "GGUF asr");     // the default --asr-model
    write(root_ / "secret.html", "<p>outside the mounts</p>");
    fs::create_symlink(root_ / "secret.html", root_ / "web/link.html");
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      execl(sotto_path().c_str(), "sotto", "serve", "--port", "0", "--root", root_.c_str(), "-q", nullptr);
      _exit(127);
    }
    close(fds[1]);
    std::string line;
    char c;
    while (read(fds[0], &c, 1) == 1 && c != '\n') line += c;
    close(fds[0]);
    const size_t colon = line.rfind(':');
    if (colon == std::string::npos) {  // reported by SetUp as each test's failure (gtest would only skip them)
      start_error_ = "sotto serve did not start: " + line;
      return;
    }
    port_ = std::stoi(line.substr(colon + 1));
  }
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

  // Sends `raw` to 127.0.0.1:port and returns everything the server answers until it closes.
  static std::string request(const std::string& raw) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port_));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      close(fd);
      return "connect failed";
    }
    send(fd, raw.data(), raw.size(), MSG_NOSIGNAL);
    std::string out;
    char buf[4096];
    ssize_t k;
    while ((k = recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, size_t(k));
    close(fd);
    return out;
  }
  static std::string get(const std::string& path, const std::string& method = "GET") {
    return request(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
                   "\r\nConnection: close\r\n\r\n");
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
    EXPECT_NE(resp.find("connect-src 'self';"), std::string::npos) << resp;
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

}  // namespace
