// test-hub.cpp — `sotto pull`, `-m hf:OWNER/NAME[:FILE]` and `sotto models` (apps/cli/hub*.cpp) against a stand-in
// for the Hugging Face hub on the loopback (cpp-httplib in this process, HF_ENDPOINT pointing at it, HF_HUB_CACHE a
// scratch folder): the hub's URL layout (HEAD /REPO/resolve/main/FILE answering 302 to a CDN-like /cdn/<sha> with
// X-Linked-Etag, X-Linked-Size and X-Repo-Commit; the tree API), a corrupted file (its SHA-256 is not the published
// one), a connection dropped mid-file, range requests, offline use, a cache laid out by another tool, and the
// network being off. The served model is a committed test model (tests/fixtures/models/smollm2-q8_0.gguf); every
// server request is logged so a test can assert which requests (or none) the CLI made.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "cli-run.h"
#include "core/json.h"

namespace fs = std::filesystem;

namespace {

const std::string kModel = SOTTO_SOURCE_DIR "/tests/fixtures/models/smollm2-q8_0.gguf";
const std::string kCommit = "0123456789abcdef0123456789abcdef01234567";

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string digest_hex(const std::string& data, const EVP_MD* md) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), d, &n, md, nullptr);
  std::string o;
  for (unsigned i = 0; i < n; ++i) {
    char b[3];
    std::snprintf(b, sizeof b, "%02x", d[i]);
    o += b;
  }
  return o;
}

std::string sha256_hex(const std::string& data) { return digest_hex(data, EVP_sha256()); }
// git's id of a file: sha1("blob <size>\0" + bytes)
std::string git_blob_id(const std::string& data) {
  return digest_hex("blob " + std::to_string(data.size()) + std::string(1, '\0') + data, EVP_sha1());
}

// A cpp-httplib server on a loopback port in a thread of its own, with a log of the requests it saw (the
// subclass adds its routes, then calls start(); its destructor calls stop() before its own members go).
class LoggedServer {
 public:
  int port() const { return port_; }
  std::vector<std::string> log() {
    std::lock_guard<std::mutex> lk(mu_);
    return log_;
  }
  void clear_log() {
    std::lock_guard<std::mutex> lk(mu_);
    log_.clear();
  }

 protected:
  void start() {
    port_ = svr_.bind_to_any_port("127.0.0.1");
    th_ = std::thread([this] { svr_.listen_after_bind(); });
    while (!svr_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void stop() {
    if (!th_.joinable()) return;
    svr_.stop();
    th_.join();
  }
  httplib::Server svr_;
  std::mutex mu_;
  std::vector<std::string> log_;
  int port_ = 0;

 private:
  std::thread th_;
};

// The stand-in hub: repos of files; LFS files redirect to /cdn/<sha>, which honours Range (cpp-httplib slices a
// content provider) and can drop the connection halfway.
class FakeHub : public LoggedServer {
 public:
  struct File {
    std::string data;  // what the CDN serves
    std::string sha;   // what the hub publishes: the LFS sha256, or for a git file its blob sha1
    int id;            // its CDN path: /cdn/<sha>/<id>
    bool git = false;  // kept in git, not LFS: resolve answers 200 with the bytes and ETag = the git blob id
  };
  std::map<std::string, std::map<std::string, File>> repos;  // repo -> path -> file
  std::atomic<int> drops{0};          // the next N CDN downloads stop after half the file
  std::atomic<bool> ignore_range{false};
  std::atomic<bool> one_use_urls{false};
  std::atomic<int> chunk_delay_ms{0};     // a slow CDN  // a CDN URL works once (as a signed URL that expired)
  std::string cdn_host = "127.0.0.1";  // "localhost": the CDN is another origin than the hub

  FakeHub() {
    svr_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
      std::lock_guard<std::mutex> lk(mu_);
      std::string line = req.method + " " + req.path;
      if (req.has_header("Range")) line += " " + req.get_header_value("Range");
      if (req.has_header("Authorization")) line += " [" + req.get_header_value("Authorization") + "]";
      log_.push_back(line);
      return httplib::Server::HandlerResponse::Unhandled;
    });
    svr_.Get(R"(/([^/]+/[^/]+)/resolve/main/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      auto repo = repos.find(req.matches[1]);
      if (repo == repos.end()) {
        res.status = 401;
        res.set_header("X-Error-Code", "RepoNotFound");
        return;
      }
      auto f = repo->second.find(req.matches[2]);
      if (f == repo->second.end()) {
        res.status = 404;
        res.set_header("X-Error-Code", "EntryNotFound");
        return;
      }
      res.set_header("X-Repo-Commit", kCommit);
      if (f->second.git) {
        res.set_header("ETag", "\"" + f->second.sha + "\"");
        res.set_content(f->second.data, "text/plain");
        return;
      }
      res.status = 302;
      res.set_header("Location", "http://" + cdn_host + ":" + std::to_string(port_) + "/cdn/" + f->second.sha + "/" +
                                  std::to_string(f->second.id) + "?X-Sig=abc%2Fdef&n=" + std::to_string(++urls_));
      res.set_header("X-Linked-Etag", "\"" + f->second.sha + "\"");
      res.set_header("X-Linked-Size", std::to_string(f->second.data.size()));
      res.set_header("ETag", "\"0000000000000000000000000000000000000000\"");  // the LFS pointer's git id
    });
    svr_.Get(R"(/cdn/([0-9a-f]{64})/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
      const File* file = nullptr;
      for (auto& [r, files] : repos)
        for (auto& [p, f] : files)
          if (f.sha == req.matches[1] && std::to_string(f.id) == req.matches[2]) file = &f;
      if (!file) {
        res.status = 404;
        return;
      }
      if (req.get_param_value("X-Sig") != "abc/def") {  // the signed query string arrived as sent
        res.status = 403;
        return;
      }
      if (one_use_urls) {
        std::lock_guard<std::mutex> lk(mu_);
        if (!used_.insert(req.get_param_value("n")).second) {
          res.status = 403;
          return;
        }
      }
      const bool drop = drops > 0 && drops-- > 0;
      const std::string data = file->data;
      if (ignore_range) {
        res.set_content(data, "application/octet-stream");
        return;
      }
      res.set_content_provider(data.size(), "application/octet-stream",
                               [this, data, drop](size_t offset, size_t length, httplib::DataSink& sink) {
                                 if (drop && offset >= data.size() / 2) return false;  // the connection drops
                                 if (chunk_delay_ms)
                                   std::this_thread::sleep_for(std::chrono::milliseconds(chunk_delay_ms.load()));
                                 const size_t n = std::min<size_t>(length, 4096);
                                 sink.write(data.data() + offset, n);
                                 return true;
                               });
    });
    svr_.Get(R"(/api/models/([^/]+/[^/]+)/tree/main)", [this](const httplib::Request& req, httplib::Response& res) {
      auto repo = repos.find(req.matches[1]);
      if (repo == repos.end()) {
        res.status = 404;
        res.set_header("X-Error-Code", "RepoNotFound");
        return;
      }
      std::string j = "[{\"type\":\"directory\",\"oid\":\"1\",\"size\":0,\"path\":\"sub\"},"
                      "{\"type\":\"file\",\"oid\":\"2\",\"size\":10,\"path\":\"README.md\"}";
      for (auto& [p, f] : repo->second)
        j += ",{\"type\":\"file\",\"oid\":\"3\",\"size\":" + std::to_string(f.data.size()) + ",\"path\":\"" + p +
             "\",\"lfs\":{\"oid\":\"" + f.sha + "\",\"size\":" + std::to_string(f.data.size()) + "}}";
      res.set_content(j + "]", "application/json");
    });
    start();
  }
  ~FakeHub() { stop(); }
  void add(const std::string& repo, const std::string& path, const std::string& data, const std::string& served) {
    repos[repo][path] = File{served, sha256_hex(data), next_id_++};
  }
  void add_git(const std::string& repo, const std::string& path, const std::string& data, const std::string& blob_id) {
    repos[repo][path] = File{data, blob_id, next_id_++, true};
  }

 private:
  int next_id_ = 0;
  std::atomic<int> urls_{0};
  std::set<std::string> used_;  // the one_use_urls already fetched
};

// A plain-HTTP forward proxy (absolute-form requests, as an http:// proxy gets them): logs each request's target and
// passes it on.
class FakeProxy : public LoggedServer {
 public:
  FakeProxy() {
    svr_.Get(R"(.*)", [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard<std::mutex> lk(mu_);
        log_.push_back(req.method + " " + req.target);
      }
      const std::string& t = req.target;
      const size_t slash = t.find('/', t.find("://") == std::string::npos ? 0 : t.find("://") + 3);
      if (t.rfind("http://", 0) != 0 || slash == std::string::npos) {
        res.status = 400;
        return;
      }
      httplib::Client c(t.substr(0, slash));
      c.set_follow_location(false);
      c.set_url_encode(false);
      httplib::Headers h;
      for (const auto& [k, v] : req.headers)
        if (k == "Range" || k == "Authorization" || k == "User-Agent") h.emplace(k, v);
      auto r = req.method == "HEAD" ? c.Head(t.substr(slash), h) : c.Get(t.substr(slash), h);
      if (!r) {
        res.status = 502;
        return;
      }
      res.status = r->status;
      for (const auto& [k, v] : r->headers)
        if (k != "Content-Length" && k != "Transfer-Encoding" && k != "Connection" && k != "Keep-Alive") res.set_header(k, v);
      res.body = r->body;
    });
    start();
  }
  ~FakeProxy() { stop(); }
};

size_t count_prefix(const std::vector<std::string>& log, const std::string& prefix) {
  size_t n = 0;
  for (const auto& l : log) n += l.rfind(prefix, 0) == 0;
  return n;
}

std::string joined(const std::vector<std::string>& log) {
  std::string s;
  for (const auto& l : log) s += l + "\n";
  return s;
}

class Hub : public cli_run::CliTest {
 protected:
  Hub() : CliTest("hub") {}
  void SetUp() override {
    CliTest::SetUp();
    if (IsSkipped()) return;
    model_ = read_file(kModel);
    ASSERT_GT(model_.size(), 50000u);
    sha_ = sha256_hex(model_);
    corrupt_ = model_;
    corrupt_[corrupt_.size() / 3] ^= 0x5a;
    hub_.add("sotto-test/tiny", "smollm2-q8_0.gguf", model_, model_);
    hub_.add("sotto-test/two", "a-q8_0.gguf", model_, model_);
    hub_.add("sotto-test/two", "sub/b-q8_0.gguf", model_ + "x", model_ + "x");
    hub_.add("sotto-test/bad", "bad.gguf", model_, corrupt_);
    for (const char* q : {"Tiny-Q8_0.gguf", "Tiny-Q4_0.gguf", "Tiny-IQ4_0.gguf", "q4/Tiny-v2-Q4_0.gguf"})
      hub_.add("sotto-test/quants", q, model_ + q, model_ + q);
    hub_.add_git("sotto-test/tiny", "notes.txt", "a small file kept in git\n", git_blob_id("a small file kept in git\n"));
    hub_.add_git("sotto-test/tiny", "wrong.txt", "these bytes\n", git_blob_id("other bytes\n"));
    cache_ = dir_ + "/hub";
  }
  // sotto ARGS with the hub at the loopback server (or endpoint) and the cache in the scratch folder; stdout in
  // out, stderr in err.
  struct Run {
    int code;
    std::string out, err;
  };
  // err_name: the scratch file stderr goes to.
  Run sotto(const std::string& args, const std::string& extra_env = "", const std::string& endpoint = "",
            const std::string& err_name = "stderr.txt") {
    const std::string ep = endpoint.empty() ? "http://127.0.0.1:" + std::to_string(hub_.port()) : endpoint;
    const std::string err_file = dir_ + "/" + err_name;
    const std::string cmd = "env -u HF_HUB_OFFLINE -u HF_TOKEN -u HF_HOME -u HTTP_PROXY -u http_proxy -u HTTPS_PROXY "
                            "-u https_proxy -u ALL_PROXY -u all_proxy -u NO_PROXY -u no_proxy HF_ENDPOINT=" + ep + " HF_HUB_CACHE=" +
                            cache_ + " " + extra_env + " " + cli_run::sotto_path() + " " + args + " 2>" + err_file;
    FILE* p = popen(cmd.c_str(), "r");
    Run out{-1, "", ""};
    if (!p) return out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.out.append(buf, n);
    const int st = pclose(p);
    out.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    out.err = read_file(err_file);
    return out;
  }
  std::string repo_dir(const std::string& folder) { return cache_ + "/" + folder; }

  FakeHub hub_;
  std::string model_, corrupt_, sha_, cache_;
};

TEST_F(Hub, PullFollowsTheRedirectVerifiesAndLaysOutTheCache) {
  const auto r = sotto("pull sotto-test/tiny:smollm2-q8_0.gguf");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string repo = repo_dir("models--sotto-test--tiny");
  const std::string snap = repo + "/snapshots/" + kCommit + "/smollm2-q8_0.gguf";
  EXPECT_EQ(r.out, snap + "\n");
  EXPECT_NE(r.err.find("SHA-256 verified"), std::string::npos) << r.err;
  // The hub's layout: the blob named by its sha256, a relative link to it, refs/main naming the commit.
  EXPECT_EQ(read_file(repo + "/blobs/" + sha_), model_);
  ASSERT_TRUE(fs::is_symlink(snap));
  EXPECT_EQ(fs::read_symlink(snap).string(), "../../blobs/" + sha_);
  EXPECT_EQ(read_file(snap), model_);
  EXPECT_EQ(read_file(repo + "/refs/main"), kCommit);
  EXPECT_FALSE(fs::exists(repo + "/blobs/" + sha_ + ".incomplete"));
  const auto log = hub_.log();
  EXPECT_EQ(count_prefix(log, "HEAD /sotto-test/tiny/resolve/main/smollm2-q8_0.gguf"), 1u) << joined(log);
  EXPECT_EQ(count_prefix(log, "GET /cdn/" + sha_), 1u) << joined(log);
  EXPECT_EQ(log.size(), 2u) << joined(log);
  // Not a tty: sparse progress lines (quarters), no carriage returns.
  EXPECT_NE(r.err.find("50%"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos);
  EXPECT_LE(cli_run::lines(r.err), 6u) << r.err;

  // Pulled again: one HEAD for the current commit, no download.
  hub_.clear_log();
  const auto again = sotto("pull sotto-test/tiny:smollm2-q8_0.gguf");
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.out, snap + "\n");
  EXPECT_NE(again.err.find("in the cache already"), std::string::npos) << again.err;
  EXPECT_EQ(count_prefix(hub_.log(), "GET"), 0u) << joined(hub_.log());
}

TEST_F(Hub, ModelFromTheHubRunsLikeTheLocalFile) {
  const auto local = cli_run::run("generate -m " + kModel + " -p hello -n 6 --temp 0", false);
  ASSERT_EQ(local.code, 0);
  // Not cached: -m hf: downloads it once, then runs it.
  const auto r = sotto("generate -m hf:sotto-test/tiny:smollm2-q8_0.gguf -p hello -n 6 --temp 0");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, local.out);
  EXPECT_EQ(count_prefix(hub_.log(), "GET /cdn/"), 1u);
  // Cached: no request at all, with or without the file named (the one cached .gguf).
  hub_.clear_log();
  const auto info = sotto("info hf:sotto-test/tiny");
  ASSERT_EQ(info.code, 0) << info.err;
  EXPECT_NE(info.out.find("architecture: llama"), std::string::npos) << info.out;
  const auto again = sotto("generate -m hf:sotto-test/tiny:smollm2-q8_0.gguf -p hello -n 6 --temp 0");
  EXPECT_EQ(again.out, local.out);
  EXPECT_TRUE(hub_.log().empty()) << joined(hub_.log());
}

TEST_F(Hub, WithoutAFileThePullTakesTheReposOneGguf) {
  const auto r = sotto("pull sotto-test/tiny");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("using smollm2-q8_0.gguf"), std::string::npos) << r.err;
  EXPECT_EQ(count_prefix(hub_.log(), "GET /api/models/sotto-test/tiny/tree/main"), 1u) << joined(hub_.log());

  // Several: an error on one line listing them, nothing downloaded.
  hub_.clear_log();
  const auto two = sotto("pull sotto-test/two");
  EXPECT_EQ(two.code, 1);
  EXPECT_EQ(two.err, "sotto: hf:sotto-test/two: the repo has 2 .gguf files; name one: sotto-test/two:a-q8_0.gguf, "
                     "sotto-test/two:sub/b-q8_0.gguf\n");
  EXPECT_EQ(count_prefix(hub_.log(), "GET /cdn/"), 0u);
  // A file in a folder of the repo: its link climbs one more level.
  const auto sub = sotto("pull sotto-test/two:sub/b-q8_0.gguf");
  ASSERT_EQ(sub.code, 0) << sub.err;
  const std::string link = repo_dir("models--sotto-test--two") + "/snapshots/" + kCommit + "/sub/b-q8_0.gguf";
  EXPECT_EQ(fs::read_symlink(link).string(), "../../../blobs/" + sha256_hex(model_ + "x"));
  EXPECT_EQ(read_file(link), model_ + "x");
}

TEST_F(Hub, AQuantisationTagPicksTheGgufEndingInIt) {
  // As llama.cpp's -hf REPO:Q8_0 and Ollama's hf.co/REPO:Q8_0: any case, after a '-', '_' or '.'.
  const auto r = sotto("pull sotto-test/quants:q8_0");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("sotto: hf:sotto-test/quants:q8_0: using Tiny-Q8_0.gguf"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(r.out.substr(0, r.out.size() - 1)), model_ + "Tiny-Q8_0.gguf");
  // Cached: the tag resolves from the snapshot, without a request.
  hub_.clear_log();
  const auto info = sotto("info hf:sotto-test/quants:Q8_0");
  EXPECT_EQ(info.code, 0) << info.err;
  EXPECT_TRUE(hub_.log().empty()) << joined(hub_.log());
  // Q4_0 ends two names (IQ4_0 is another quantisation): both listed, nothing downloaded.
  const auto two = sotto("pull sotto-test/quants:Q4_0");
  EXPECT_EQ(two.code, 1);
  EXPECT_EQ(two.err, "sotto: hf:sotto-test/quants:Q4_0: the repo has 2 .gguf files ending in Q4_0; name one: "
                     "sotto-test/quants:Tiny-Q4_0.gguf, sotto-test/quants:q4/Tiny-v2-Q4_0.gguf\n");
  const auto none = sotto("pull sotto-test/quants:Q5_K_M");
  EXPECT_EQ(none.code, 1);
  EXPECT_EQ(none.err, "sotto: hf:sotto-test/quants:Q5_K_M: no .gguf file of the repo ends in Q5_K_M (its .gguf files: "
                      "Tiny-IQ4_0.gguf, Tiny-Q4_0.gguf, Tiny-Q8_0.gguf, q4/Tiny-v2-Q4_0.gguf)\n");
  EXPECT_EQ(count_prefix(hub_.log(), "GET /cdn/"), 0u);
  const auto iq = sotto("pull sotto-test/quants:iq4_0");
  EXPECT_EQ(iq.code, 0) << iq.err;
  EXPECT_NE(iq.out.find("/Tiny-IQ4_0.gguf"), std::string::npos);
}

TEST_F(Hub, ACorruptedFileFailsAndLeavesNothingCached) {
  const auto r = sotto("pull sotto-test/bad:bad.gguf");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("SHA-256 mismatch: the hub published " + sha_ + ", the download is " + sha256_hex(corrupt_)),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.substr(r.err.rfind("sotto: hf:")).find('\n'), r.err.size() - r.err.rfind("sotto: hf:") - 1);
  const std::string repo = repo_dir("models--sotto-test--bad");
  EXPECT_FALSE(fs::exists(repo + "/blobs/" + sha_));
  EXPECT_FALSE(fs::exists(repo + "/blobs/" + sha_ + ".incomplete"));
  EXPECT_FALSE(fs::exists(repo + "/snapshots"));
  EXPECT_FALSE(fs::exists(repo + "/refs/main"));
  // And -m hf: of it fails the same way instead of loading it.
  const auto gen = sotto("info hf:sotto-test/bad:bad.gguf");
  EXPECT_EQ(gen.code, 1);
  EXPECT_NE(gen.err.find("SHA-256 mismatch"), std::string::npos) << gen.err;
}

TEST_F(Hub, ADroppedConnectionIsResumedWithARangeRequest) {
  hub_.drops = 1;
  const auto r = sotto("pull sotto-test/tiny:smollm2-q8_0.gguf");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("connection dropped"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("resuming"), std::string::npos) << r.err;
  const auto log = hub_.log();
  ASSERT_EQ(count_prefix(log, "GET /cdn/"), 2u) << joined(log);
  const std::string second = log.back();
  ASSERT_NE(second.find("bytes="), std::string::npos) << joined(log);
  const uint64_t from = std::stoull(second.substr(second.find("bytes=") + 6));
  EXPECT_GE(from, model_.size() / 2 - 8192);
  EXPECT_LT(from, model_.size());
  EXPECT_EQ(read_file(r.out.substr(0, r.out.size() - 1)), model_);
}

TEST_F(Hub, AResumeWhoseUrlExpiredAsksTheHubForAFreshOne) {
  hub_.drops = 1;
  hub_.one_use_urls = true;  // the dropped download's URL is refused (403) to the resume
  const auto r = sotto("pull sotto-test/tiny:smollm2-q8_0.gguf");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("the download URL expired; resuming from a fresh one"), std::string::npos) << r.err;
  const auto log = hub_.log();
  EXPECT_EQ(count_prefix(log, "HEAD /sotto-test/tiny/resolve/main/"), 2u) << joined(log);
  ASSERT_EQ(count_prefix(log, "GET /cdn/"), 3u) << joined(log);
  EXPECT_NE(log.back().find("bytes="), std::string::npos) << joined(log);
  EXPECT_EQ(read_file(r.out.substr(0, r.out.size() - 1)), model_);
}

TEST_F(Hub, TwoPullsOfOneFileAtOnceDownloadItOnce) {
  hub_.chunk_delay_ms = 10;  // about 0.25 s for the file: the second pull comes while the first downloads
  Run a, b;
  std::thread t([&] { a = sotto("pull sotto-test/tiny:smollm2-q8_0.gguf", "", "", "a.txt"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  b = sotto("pull sotto-test/tiny:smollm2-q8_0.gguf", "", "", "b.txt");
  t.join();
  EXPECT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(b.code, 0) << b.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(count_prefix(hub_.log(), "GET /cdn/"), 1u) << joined(hub_.log());
  // One waited on the other's lock (or, on a machine too loaded to overlap them, came after it).
  const std::string both = a.err + b.err;
  EXPECT_TRUE(both.find("waiting for another download of hf:sotto-test/tiny:smollm2-q8_0.gguf") != std::string::npos ||
              both.find("in the cache already") != std::string::npos)
      << both;
  EXPECT_EQ(read_file(a.out.substr(0, a.out.size() - 1)), model_);
}

// The window the test above can hit on a loaded machine, made certain: the pull finds no blob, then waits on the
// lock while "another download" (this test) finishes the blob; it says so and downloads nothing.
// Pulls of a cached file at once each rewrite refs/main through a temporary file: of their own (a shared name was
// renamed away by another pull: "refs/main: cannot write: No such file or directory").
TEST_F(Hub, ManyPullsAtOnceOfACachedFileAllSucceed) {
  ASSERT_EQ(sotto("pull sotto-test/tiny:smollm2-q8_0.gguf").code, 0);
  for (int round = 0; round < 3; round++) {
    std::vector<Run> runs(8);
    std::vector<std::thread> ts;
    for (size_t i = 0; i < runs.size(); i++)
      ts.emplace_back([&, i] { runs[i] = sotto("pull sotto-test/tiny:smollm2-q8_0.gguf", "", "", "p" + std::to_string(i) + ".txt"); });
    for (auto& t : ts) t.join();
    for (const auto& r : runs) {
      EXPECT_EQ(r.code, 0) << r.err;
      EXPECT_EQ(r.out, runs[0].out);
    }
  }
  EXPECT_EQ(count_prefix(hub_.log(), "GET /cdn/"), 1u);
  std::string leftovers;
  for (const auto& e : fs::directory_iterator(repo_dir("models--sotto-test--tiny") + "/refs"))
    if (e.path().filename() != "main") leftovers += e.path().filename().string() + " ";
  EXPECT_EQ(leftovers, "");
}

TEST_F(Hub, APullThatWaitedForAnotherSaysTheBlobIsCachedAndDownloadsNothing) {
  const std::string lock_dir = cache_ + "/.locks/models--sotto-test--tiny";
  fs::create_directories(lock_dir);
  const int fd = ::open((lock_dir + "/" + sha_ + ".lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  Run r;
  std::thread t([&] { r = sotto("pull sotto-test/tiny:smollm2-q8_0.gguf", "", "", "waiter.txt"); });
  // Once the pull says it waits, finish "the other download" and let it go.
  const std::string blobs = repo_dir("models--sotto-test--tiny") + "/blobs";
  for (int i = 0; i < 6000 && read_file(dir_ + "/waiter.txt").find("waiting for another") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  fs::create_directories(blobs);
  std::ofstream(blobs + "/" + sha_, std::ios::binary) << model_;
  ::flock(fd, LOCK_UN);
  ::close(fd);
  t.join();
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("waiting for another download"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("in the cache already (another download finished it)"), std::string::npos) << r.err;
  EXPECT_EQ(count_prefix(hub_.log(), "GET /cdn/"), 0u) << joined(hub_.log());
  EXPECT_EQ(read_file(r.out.substr(0, r.out.size() - 1)), model_);
}

TEST_F(Hub, AnInterruptedPullKeepsThePartialFileAndTheNextOneResumesIt) {
  hub_.drops = 100;  // every try stops halfway: the pull gives up
  const auto r = sotto("pull sotto-test/tiny:smollm2-q8_0.gguf");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("download interrupted at"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("run the same command again to resume"), std::string::npos) << r.err;
  const std::string part = repo_dir("models--sotto-test--tiny") + "/blobs/" + sha_ + ".incomplete";
  ASSERT_TRUE(fs::exists(part));
  const uint64_t kept = fs::file_size(part);
  EXPECT_GE(kept, model_.size() / 2 - 8192);
  EXPECT_EQ(read_file(part), model_.substr(0, kept));
  // The network is back: the next pull asks only for the rest, and the whole file verifies.
  hub_.drops = 0;
  hub_.clear_log();
  const auto again = sotto("pull sotto-test/tiny:smollm2-q8_0.gguf");
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.err.find("resuming at"), std::string::npos) << again.err;
  const auto log = hub_.log();
  ASSERT_EQ(count_prefix(log, "GET /cdn/"), 1u) << joined(log);
  EXPECT_NE(log.back().find("bytes=" + std::to_string(kept) + "-"), std::string::npos) << joined(log);
  EXPECT_EQ(read_file(again.out.substr(0, again.out.size() - 1)), model_);
  EXPECT_FALSE(fs::exists(part));
}

TEST_F(Hub, AServerThatIgnoresRangeStartsOver) {
  hub_.drops = 100;
  ASSERT_EQ(sotto("pull sotto-test/tiny:smollm2-q8_0.gguf").code, 1);
  hub_.drops = 0;
  hub_.ignore_range = true;  // 200 with the whole file to a Range request
  const auto r = sotto("pull sotto-test/tiny:smollm2-q8_0.gguf");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_file(r.out.substr(0, r.out.size() - 1)), model_);
}

TEST_F(Hub, OfflineUsesTheCacheOnlyAndSaysWhatIsMissing) {
  // Not cached: --offline and HF_HUB_OFFLINE=1 fail on one line, without a request.
  for (const auto& [args, env] : std::vector<std::pair<std::string, std::string>>{
           {"pull --offline sotto-test/tiny:smollm2-q8_0.gguf", ""},
           {"info --offline hf:sotto-test/tiny:smollm2-q8_0.gguf", ""},
           {"generate -m hf:sotto-test/tiny:smollm2-q8_0.gguf -p hi -n 2", "HF_HUB_OFFLINE=1"}}) {
    const auto r = sotto(args, env);
    EXPECT_EQ(r.code, 1) << args;
    EXPECT_NE(r.err.find("sotto: hf:sotto-test/tiny:smollm2-q8_0.gguf: not in the hub cache (" + cache_ + "), and offline"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(cli_run::lines(r.err), 1u) << r.err;
  }
  EXPECT_TRUE(hub_.log().empty()) << joined(hub_.log());
  // Cached: offline works and still makes no request.
  ASSERT_EQ(sotto("pull sotto-test/tiny:smollm2-q8_0.gguf").code, 0);
  hub_.clear_log();
  const auto pulled = sotto("pull --offline sotto-test/tiny:smollm2-q8_0.gguf");
  EXPECT_EQ(pulled.code, 0) << pulled.err;
  const auto gen = sotto("generate --offline -m hf:sotto-test/tiny -p hi -n 2 --temp 0", "HF_HUB_OFFLINE=1");
  EXPECT_EQ(gen.code, 0) << gen.err;
  EXPECT_TRUE(hub_.log().empty()) << joined(hub_.log());
}

TEST_F(Hub, ACacheLaidOutByAnotherToolIsUsedWithoutAnyRequest) {
  // As huggingface_hub leaves it: blobs/<sha256>, snapshots/<commit>/FILE -> ../../blobs/<sha256>, refs/main.
  const std::string repo = repo_dir("models--someone--elses");
  const std::string commit = "fedcba9876543210fedcba9876543210fedcba98";
  fs::create_directories(repo + "/blobs");
  fs::create_directories(repo + "/snapshots/" + commit);
  fs::create_directories(repo + "/refs");
  fs::copy_file(kModel, repo + "/blobs/" + sha_);
  fs::create_symlink("../../blobs/" + sha_, repo + "/snapshots/" + commit + "/model-Q8_0.gguf");
  std::ofstream(repo + "/refs/main") << commit;
  const auto info = sotto("info hf:someone/elses:model-Q8_0.gguf");
  EXPECT_EQ(info.code, 0) << info.err;
  EXPECT_NE(info.out.find(repo + "/snapshots/" + commit + "/model-Q8_0.gguf"), std::string::npos) << info.out;
  const auto gen = sotto("generate -m hf:someone/elses -p hi -n 2 --temp 0");  // the one cached .gguf
  EXPECT_EQ(gen.code, 0) << gen.err;
  EXPECT_NE(gen.err.find("using the cached model-Q8_0.gguf"), std::string::npos) << gen.err;
  EXPECT_TRUE(hub_.log().empty()) << joined(hub_.log());
  // sotto models lists it with its size.
  const auto models = sotto("models");
  EXPECT_EQ(models.code, 0);
  EXPECT_NE(models.out.find("hf:someone/elses:model-Q8_0.gguf"), std::string::npos) << models.out;
  EXPECT_NE(models.out.find("96.6 KiB"), std::string::npos) << models.out;
  EXPECT_NE(models.out.find("1 file, 96.6 KiB, in " + cache_), std::string::npos) << models.out;
  EXPECT_TRUE(hub_.log().empty());
}

TEST_F(Hub, ModelsListsTheCachedGgufsWithSizes) {
  auto empty = sotto("models");
  EXPECT_EQ(empty.code, 0);
  EXPECT_EQ(empty.out, "no models in " + cache_ + " (sotto pull OWNER/NAME[:FILE] fetches one)\n");
  ASSERT_EQ(sotto("pull sotto-test/tiny:smollm2-q8_0.gguf").code, 0);
  ASSERT_EQ(sotto("pull sotto-test/two:sub/b-q8_0.gguf").code, 0);
  const auto r = sotto("models --paths");
  EXPECT_EQ(r.code, 0);
  std::istringstream in(r.out);
  std::string l1, l2, l3;
  std::getline(in, l1);
  std::getline(in, l2);
  std::getline(in, l3);
  EXPECT_EQ(l1.rfind("hf:sotto-test/tiny:smollm2-q8_0.gguf  ", 0), 0u) << r.out;
  EXPECT_NE(l1.find("96.6 KiB  " + cache_ + "/models--sotto-test--tiny/snapshots/"), std::string::npos) << r.out;
  EXPECT_EQ(l2.rfind("hf:sotto-test/two:sub/b-q8_0.gguf  ", 0), 0u) << r.out;
  EXPECT_EQ(l3, "2 files, 193.3 KiB, in " + cache_) << r.out;
  EXPECT_EQ(cli_run::lines(r.out), 3u);
}

TEST_F(Hub, TheNetworkBeingOffIsOneClearLine) {
  // A port nothing listens on (bound, then closed).
  int port = 0;
  {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
    port = ntohs(a.sin_port);
    close(fd);
  }
  const auto r = sotto("pull sotto-test/tiny:smollm2-q8_0.gguf", "", "http://127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "sotto: cannot reach http://127.0.0.1:" + std::to_string(port) +
                       " (connection failed): is the network off? Models already pulled work offline (--offline; "
                       "`sotto models` lists them)\n");
  const auto gen = sotto("generate -m hf:sotto-test/tiny -p hi", "", "http://127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(gen.code, 1);
  EXPECT_NE(gen.err.find("cannot reach"), std::string::npos);
}

TEST_F(Hub, AFileKeptInGitIsCheckedAgainstItsGitBlobId) {
  const auto r = sotto("pull sotto-test/tiny:notes.txt");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("git SHA-1 verified"), std::string::npos) << r.err;
  const std::string id = git_blob_id("a small file kept in git\n");
  EXPECT_EQ(read_file(repo_dir("models--sotto-test--tiny") + "/blobs/" + id), "a small file kept in git\n");
  EXPECT_EQ(count_prefix(hub_.log(), "GET /sotto-test/tiny/resolve/main/notes.txt"), 1u) << joined(hub_.log());
  const auto bad = sotto("pull sotto-test/tiny:wrong.txt");
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("git SHA-1 mismatch"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(repo_dir("models--sotto-test--tiny") + "/blobs/" + git_blob_id("other bytes\n")));
}

TEST_F(Hub, TheTokenGoesToTheHubAndNeverToTheCdn) {
  hub_.cdn_host = "localhost";  // another origin than 127.0.0.1
  const auto r = sotto("pull sotto-test/tiny:smollm2-q8_0.gguf", "HF_TOKEN=hf_secret");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto log = hub_.log();
  ASSERT_EQ(log.size(), 2u) << joined(log);
  EXPECT_NE(log[0].find("[Bearer hf_secret]"), std::string::npos) << joined(log);
  EXPECT_EQ(log[1].find("hf_secret"), std::string::npos) << joined(log);
}

TEST_F(Hub, AnHttpProxyFromTheEnvironmentCarriesTheRequestsUnlessNoProxyNamesTheHost) {
  FakeProxy proxy;
  const std::string via = "HTTP_PROXY=http://127.0.0.1:" + std::to_string(proxy.port());
  const auto r = sotto("pull sotto-test/tiny:smollm2-q8_0.gguf", via);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_file(r.out.substr(0, r.out.size() - 1)), model_);
  const std::string hub = "http://127.0.0.1:" + std::to_string(hub_.port());
  const auto plog = proxy.log();
  ASSERT_EQ(plog.size(), 2u) << joined(plog);
  EXPECT_EQ(plog[0], "HEAD " + hub + "/sotto-test/tiny/resolve/main/smollm2-q8_0.gguf");
  EXPECT_EQ(plog[1].rfind("GET " + hub + "/cdn/" + sha_, 0), 0u) << plog[1];
  // NO_PROXY naming the host: straight to it.
  const auto direct = sotto("pull sotto-test/two:a-q8_0.gguf", via + " NO_PROXY=example.org,127.0.0.1");
  ASSERT_EQ(direct.code, 0) << direct.err;
  EXPECT_EQ(proxy.log().size(), 2u) << joined(proxy.log());
  const auto socks = sotto("pull sotto-test/two:a-q8_0.gguf", "HTTP_PROXY=socks5://127.0.0.1:1");
  EXPECT_EQ(socks.code, 1);
  EXPECT_EQ(socks.err, "sotto: proxy 'socks5://127.0.0.1:1': only http:// proxies are supported\n");
}

TEST_F(Hub, BadNamesAndMissingFilesAreOneLineErrors) {
  struct Case {
    std::string args;
    int code;
    std::string msg;
  };
  for (const auto& c : std::vector<Case>{
           {"pull", 2, "sotto pull: missing OWNER/NAME[:FILE]"},
           {"pull a/b/c", 2, "'a/b/c' is not a hub repo id"},
           {"pull ../x:y.gguf", 2, "'../x' is not a hub repo id"},
           {"pull sotto-test/tiny:../../etc/passwd", 2, "'../../etc/passwd' is not a file path in a repo"},
           {"pull sotto-test/tiny:", 2, "'' is not a file path in a repo"},
           {"info hf:", 2, "'' is not a hub repo id"},
           {"generate -m hf:bad/a--b:x.gguf -p hi", 2, "'bad/a--b' is not a hub repo id"},
           {"pull sotto-test/tiny:nope.gguf", 1, "sotto: hf:sotto-test/tiny:nope.gguf: no such file in the repo"},
           {"pull nobody/nothing:x.gguf", 1, "sotto: hf:nobody/nothing:x.gguf: no such repo on http://127.0.0.1:"},
           {"pull nobody/nothing", 1, "sotto: hf:nobody/nothing: no such repo"},
       }) {
    const auto r = sotto(c.args);
    EXPECT_EQ(r.code, c.code) << c.args << ": " << r.err;
    EXPECT_NE(r.err.find(c.msg), std::string::npos) << c.args << ": " << r.err;
    EXPECT_EQ(cli_run::lines(r.err), 1u) << c.args << ": " << r.err;
  }
  EXPECT_EQ(count_prefix(hub_.log(), "GET /cdn/"), 0u);
  // A cache folder that cannot be made: one line naming it, not an internal error.
  std::ofstream(dir_ + "/a-file") << "x";
  const auto ro = sotto("pull sotto-test/tiny:smollm2-q8_0.gguf", "HF_HUB_CACHE=" + dir_ + "/a-file/hub");
  EXPECT_EQ(ro.code, 1);
  EXPECT_EQ(ro.err.rfind("sotto: " + dir_ + "/a-file/hub/", 0), 0u) << ro.err;
  EXPECT_NE(ro.err.find(": Not a directory (the hub cache; HF_HUB_CACHE names another folder)\n"), std::string::npos)
      << ro.err;
  EXPECT_EQ(cli_run::lines(ro.err), 1u) << ro.err;
  EXPECT_EQ(ro.err.find("internal"), std::string::npos) << ro.err;
  const auto ep = sotto("pull sotto-test/tiny:smollm2-q8_0.gguf", "", "ftp://example.org");
  EXPECT_EQ(ep.code, 1);
  EXPECT_EQ(ep.err, "sotto: HF_ENDPOINT 'ftp://example.org' is not an http(s) URL\n");
}

// A repo of safetensors instead of GGUF: the checkpoint fixture tests/fixtures/hf-llama (sharded BF16 Llama, with
// tokenizer_config.json and generation_config.json) served as the hub serves one: the JSON files kept in git, the
// weights in LFS. A pull fetches every file, verified, into the hub layout, and converts once.
class HubCheckpoint : public Hub {
 protected:
  void SetUp() override {
    Hub::SetUp();
    if (IsSkipped()) return;
    for (const auto& e : fs::directory_iterator(kCkpt)) {
      const std::string name = e.path().filename().string();
      const std::string data = read_file(e.path().string());
      if (name.size() > 5 && name.substr(name.size() - 5) == ".json") {
        hub_.add_git("sotto-test/ckpt", name, data, git_blob_id(data));
        hub_.add_git("sotto-test/ckpt-bad", name, data, git_blob_id(data));
      } else {
        hub_.add("sotto-test/ckpt", name, data, data);
        std::string served = data;
        if (name == "model-00002-of-00002.safetensors") served[served.size() - 7] ^= 0x11;  // a weight's byte
        hub_.add("sotto-test/ckpt-bad", name, data, served);
      }
    }
    xdg_ = "XDG_CACHE_HOME=" + dir_ + "/xdg";
  }
  // sotto convert of the fixture folder (TYPE) into the scratch folder: the file's bytes.
  std::string converted_locally(const std::string& type) {
    const std::string out = dir_ + "/local-" + type + ".gguf";
    const auto r = sotto("convert " + kCkpt + " -o " + out + " --type " + type + " -q", xdg_);
    EXPECT_EQ(r.code, 0) << r.err;
    return read_file(out);
  }
  std::vector<std::string> converted_files() {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_ + "/xdg/sotto/converted", ec))
      if (e.path().extension() == ".gguf") out.push_back(e.path().string());  // not the .source.json records
    return out;
  }
  const std::string kCkpt = SOTTO_SOURCE_DIR "/tests/fixtures/hf-llama";
  std::string xdg_;
};

TEST_F(HubCheckpoint, PullFetchesTheCheckpointAndConvertsItOnceAsSottoConvertDoes) {
  const auto r = sotto("pull sotto-test/ckpt", xdg_);
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_FALSE(r.out.empty());
  const std::string gguf = r.out.substr(0, r.out.size() - 1);
  // Where: the converted cache, named after the repo and the commit, in the type asked for (f16 by default).
  EXPECT_EQ(gguf.rfind(dir_ + "/xdg/sotto/converted/sotto-test--tiny", 0), std::string::npos);
  EXPECT_EQ(gguf.rfind(dir_ + "/xdg/sotto/converted/sotto-test--ckpt-" + kCommit.substr(0, 12) + "-", 0), 0u) << gguf;
  EXPECT_EQ(gguf.substr(gguf.size() - 9), "-f16.gguf");
  EXPECT_EQ(read_file(gguf), converted_locally("f16"));
  // Every file of the checkpoint in the hub's layout, verified: the shards by their LFS SHA-256.
  const std::string snap = repo_dir("models--sotto-test--ckpt") + "/snapshots/" + kCommit;
  for (const auto& e : fs::directory_iterator(kCkpt)) {
    const std::string name = e.path().filename().string();
    EXPECT_TRUE(fs::is_symlink(snap + "/" + name)) << name;
    EXPECT_EQ(read_file(snap + "/" + name), read_file(e.path().string())) << name;
  }
  const auto log = hub_.log();
  EXPECT_EQ(count_prefix(log, "GET /cdn/"), 2u) << joined(log);  // the two shards
  EXPECT_EQ(count_prefix(log, "GET /api/models/sotto-test/ckpt/tree/main"), 1u) << joined(log);
  EXPECT_NE(r.err.find("converting the checkpoint folder"), std::string::npos) << r.err;
  EXPECT_EQ(cli_run::lines(r.out), 1u);

  // A quantised conversion: --type, or the type as the tag; the same bytes as sotto convert --type q8_0.
  const auto q8 = sotto("pull sotto-test/ckpt --type q8_0", xdg_);
  ASSERT_EQ(q8.code, 0) << q8.err;
  EXPECT_EQ(read_file(q8.out.substr(0, q8.out.size() - 1)), converted_locally("q8_0"));
  EXPECT_EQ(count_prefix(hub_.log(), "GET /cdn/"), 2u) << joined(hub_.log());  // nothing downloaded again
  const auto tag = sotto("pull sotto-test/ckpt:Q8_0", xdg_);
  ASSERT_EQ(tag.code, 0) << tag.err;
  EXPECT_EQ(tag.out, q8.out);
  EXPECT_EQ(tag.err.find("converting the checkpoint folder"), std::string::npos) << tag.err;  // converted once
  const auto both = sotto("pull sotto-test/ckpt:q4_0 --type q8_0", xdg_);
  EXPECT_EQ(both.code, 1);
  EXPECT_EQ(both.err, "sotto: hf:sotto-test/ckpt:q4_0: the tag says q4_0 and --type q8_0: give one\n");
  const auto bad_tag = sotto("pull sotto-test/ckpt:Q4_K_M", xdg_);
  EXPECT_EQ(bad_tag.code, 1);
  EXPECT_NE(bad_tag.err.find("holds a safetensors checkpoint, not .gguf files"), std::string::npos) << bad_tag.err;
  EXPECT_EQ(cli_run::lines(bad_tag.err), 1u) << bad_tag.err;
}

TEST_F(HubCheckpoint, APulledCheckpointRunsOfflineWithoutAnyRequestOrAnotherConversion) {
  const auto local = sotto("generate -m " + kCkpt + " -p hello -n 6 --temp 0", xdg_);
  ASSERT_EQ(local.code, 0) << local.err;
  // -m hf: of a repo not cached yet: pulled, converted, run.
  const auto first = sotto("generate -m hf:sotto-test/ckpt -p hello -n 6 --temp 0", xdg_);
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_EQ(first.out, local.out);
  hub_.clear_log();
  const size_t n_converted = converted_files().size();
  for (const char* flag : {"--offline", ""}) {
    const auto again = sotto(std::string("generate -m hf:sotto-test/ckpt -p hello -n 6 --temp 0 ") + flag, xdg_);
    ASSERT_EQ(again.code, 0) << again.err;
    EXPECT_EQ(again.out, local.out);
    EXPECT_EQ(again.err.find("converting the checkpoint folder"), std::string::npos) << again.err;
  }
  // The network off (the hub gone): the same.
  const auto off = sotto("generate -m hf:sotto-test/ckpt -p hello -n 6 --temp 0", xdg_, "http://127.0.0.1:1");
  ASSERT_EQ(off.code, 0) << off.err;
  EXPECT_EQ(off.out, local.out);
  EXPECT_TRUE(hub_.log().empty()) << joined(hub_.log());
  EXPECT_EQ(converted_files().size(), n_converted);
  // A type not converted yet is converted from the cached checkpoint, still with no request.
  const auto q4 = sotto("info hf:sotto-test/ckpt:q4_0 --offline", xdg_);
  ASSERT_EQ(q4.code, 0) << q4.err;
  EXPECT_NE(q4.err.find("converting the checkpoint folder"), std::string::npos) << q4.err;
  EXPECT_TRUE(hub_.log().empty()) << joined(hub_.log());
  EXPECT_EQ(converted_files().size(), n_converted + 1);
}

TEST_F(HubCheckpoint, AShardWhoseConnectionDropsIsResumedWithARangeRequest) {
  hub_.drops = 1;  // the first shard's download stops halfway
  const auto r = sotto("pull sotto-test/ckpt", xdg_);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("resuming"), std::string::npos) << r.err;
  const auto log = hub_.log();
  size_t ranged = 0;
  for (const auto& l : log) ranged += l.rfind("GET /cdn/", 0) == 0 && l.find(" bytes=") != std::string::npos;
  EXPECT_EQ(ranged, 1u) << joined(log);
  EXPECT_EQ(read_file(r.out.substr(0, r.out.size() - 1)), converted_locally("f16"));
}

TEST_F(HubCheckpoint, ACorruptShardIsRefusedAndNothingIsConverted) {
  const auto r = sotto("pull sotto-test/ckpt-bad", xdg_);
  EXPECT_EQ(r.code, 1);
  const std::string shard = read_file(kCkpt + "/model-00002-of-00002.safetensors");
  const std::string last = r.err.substr(r.err.rfind("sotto: hf:"));
  EXPECT_EQ(last.rfind("sotto: hf:sotto-test/ckpt-bad:model-00002-of-00002.safetensors: SHA-256 mismatch: the hub "
                       "published " + sha256_hex(shard), 0), 0u) << r.err;
  EXPECT_EQ(std::count(last.begin(), last.end(), '\n'), 1);
  EXPECT_FALSE(fs::exists(repo_dir("models--sotto-test--ckpt-bad") + "/blobs/" + sha256_hex(shard)));
  EXPECT_TRUE(converted_files().empty());
  // The cache holds the rest of it but not the shard: offline it is not there; online it is refused again.
  const auto off = sotto("info hf:sotto-test/ckpt-bad --offline", xdg_);
  EXPECT_EQ(off.code, 1);
  EXPECT_NE(off.err.find("hf:sotto-test/ckpt-bad: not in the hub cache"), std::string::npos) << off.err;
  EXPECT_EQ(cli_run::lines(off.err), 1u) << off.err;
  const auto gen = sotto("generate -m hf:sotto-test/ckpt-bad -p hi -n 2", xdg_);
  EXPECT_EQ(gen.code, 1);
  EXPECT_NE(gen.err.find("SHA-256 mismatch"), std::string::npos) << gen.err;
  EXPECT_TRUE(converted_files().empty());
}

TEST_F(HubCheckpoint, ModelsListsTheConvertedCheckpointsBesideTheDownloads) {
  ASSERT_EQ(sotto("pull sotto-test/tiny:smollm2-q8_0.gguf", xdg_).code, 0);
  const auto f16 = sotto("pull sotto-test/ckpt", xdg_);
  const auto q8 = sotto("pull sotto-test/ckpt:q8_0", xdg_);
  ASSERT_EQ(f16.code, 0) << f16.err;
  ASSERT_EQ(q8.code, 0) << q8.err;
  const std::string f16_path = f16.out.substr(0, f16.out.size() - 1), q8_path = q8.out.substr(0, q8.out.size() - 1);
  // -m DIR's conversion of a local folder is not a hub model: not listed.
  ASSERT_EQ(sotto("info " + kCkpt, xdg_).code, 0);
  ASSERT_EQ(converted_files().size(), 3u);
  hub_.clear_log();

  const auto r = sotto("models --paths", xdg_);
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream in(r.out);
  std::vector<std::string> l;
  for (std::string line; std::getline(in, line);) l.push_back(line);
  ASSERT_EQ(l.size(), 5u) << r.out;
  EXPECT_EQ(l[0].rfind("hf:sotto-test/tiny:smollm2-q8_0.gguf  ", 0), 0u) << r.out;
  EXPECT_EQ(l[1], "1 file, 96.6 KiB, in " + cache_) << r.out;
  const std::string from = "  converted from safetensors at " + kCommit.substr(0, 12) + "  ";
  EXPECT_EQ(l[2].rfind("hf:sotto-test/ckpt:f16   ", 0), 0u) << r.out;
  EXPECT_NE(l[2].find(from + f16_path), std::string::npos) << r.out;
  EXPECT_EQ(l[3].rfind("hf:sotto-test/ckpt:q8_0  ", 0), 0u) << r.out;
  EXPECT_NE(l[3].find(from + q8_path), std::string::npos) << r.out;
  EXPECT_EQ(l[4], "2 converted checkpoints, " + l[4].substr(25, l[4].find(", in ") - 25) + ", in " + dir_ +
                      "/xdg/sotto/converted") << r.out;

  // --json: the sizes and paths of the files themselves, the whole revision.
  const auto j = sotto("models --json", xdg_);
  ASSERT_EQ(j.code, 0) << j.err;
  const sotto::json::Value v = sotto::json::parse(j.out);
  ASSERT_EQ(v.arr().size(), 3u) << j.out;
  EXPECT_EQ(v.arr()[0].at("name").str(), "hf:sotto-test/tiny:smollm2-q8_0.gguf");
  EXPECT_EQ(v.arr()[0].at("revision").str(), kCommit);
  EXPECT_EQ(v.arr()[0].at("size").integer(), int64_t(model_.size()));
  for (const auto& [k, path, type] : {std::tuple{1, f16_path, "f16"}, {2, q8_path, "q8_0"}}) {
    const sotto::json::Value& c = v.arr()[size_t(k)];
    EXPECT_EQ(c.at("name").str(), std::string("hf:sotto-test/ckpt:") + type);
    EXPECT_EQ(c.at("repo").str(), "sotto-test/ckpt");
    EXPECT_EQ(c.at("type").str(), type);
    EXPECT_EQ(c.at("revision").str(), kCommit);
    EXPECT_EQ(c.at("converted_from").str(), "safetensors");
    EXPECT_EQ(c.at("path").str(), path);
    EXPECT_EQ(c.at("size").integer(), int64_t(fs::file_size(path)));
    EXPECT_EQ(c.find("mmproj"), nullptr);
  }
  EXPECT_TRUE(hub_.log().empty()) << joined(hub_.log());  // listing asks nothing

  // A record that is not JSON, one naming no repo id, and one whose GGUF was deleted are left out, no error.
  std::ofstream(q8_path + ".source.json", std::ios::trunc) << "{not json";
  std::ofstream(dir_ + "/xdg/sotto/converted/x.gguf.source.json") << R"({"repo":"../..","revision":"a","type":"f16"})";
  std::ofstream(dir_ + "/xdg/sotto/converted/x.gguf") << "GGUF";
  std::ofstream(dir_ + "/xdg/sotto/converted/gone.gguf.source.json")
      << R"({"repo":"a/b","revision":"a","type":"f16"})";
  const auto bad = sotto("models --json", xdg_);
  ASSERT_EQ(bad.code, 0) << bad.err;
  EXPECT_EQ(bad.err, "");
  const sotto::json::Value b = sotto::json::parse(bad.out);
  ASSERT_EQ(b.arr().size(), 2u) << bad.out;
  EXPECT_EQ(b.arr()[1].at("path").str(), f16_path);
  // Pulled again, the conversion's record is written anew.
  ASSERT_EQ(sotto("pull sotto-test/ckpt:q8_0 --offline", xdg_).code, 0);
  EXPECT_EQ(sotto::json::parse(sotto("models --json", xdg_).out).arr().size(), 3u);
}

// A SmolVLM / Idefics3 repo of safetensors (tests/fixtures/hf-smolvlm): the pull converts the language model and
// the vision tower, and generate -m hf: --image finds the tower without --mmproj.
class HubVlm : public HubCheckpoint {
 protected:
  void SetUp() override {
    HubCheckpoint::SetUp();
    if (IsSkipped()) return;
    for (const char* name : {"config.json", "tokenizer.json", "preprocessor_config.json", "processor_config.json"}) {
      const std::string data = read_file(kVlm + "/" + name);
      hub_.add_git("sotto-test/vlm", name, data, git_blob_id(data));
    }
    const std::string weights = read_file(kVlm + "/model.safetensors");
    hub_.add("sotto-test/vlm", "model.safetensors", weights, weights);
  }
  const std::string kVlm = SOTTO_SOURCE_DIR "/tests/fixtures/hf-smolvlm";
  const std::string kImage = SOTTO_SOURCE_DIR "/tests/fixtures/vision/processor-small.png";
};

TEST_F(HubVlm, PullConvertsTheLanguageModelAndItsMmprojAndGenerateFindsIt) {
  const std::string local = dir_ + "/local.gguf";
  ASSERT_EQ(sotto("convert " + kVlm + " -o " + local + " --type q8_0 -q", xdg_).code, 0);
  const auto r = sotto("pull sotto-test/vlm:q8_0", xdg_);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string gguf = r.out.substr(0, r.out.size() - 1);
  const std::string mmproj = (fs::path(gguf).parent_path() / ("mmproj-" + fs::path(gguf).filename().string())).string();
  // Both files, as sotto convert of the folder writes them (the image processor's settings fetched too).
  EXPECT_EQ(read_file(gguf), read_file(local));
  ASSERT_TRUE(fs::exists(mmproj)) << r.err;
  EXPECT_EQ(read_file(mmproj), read_file(dir_ + "/mmproj-local.gguf"));
  EXPECT_TRUE(fs::is_symlink(repo_dir("models--sotto-test--vlm") + "/snapshots/" + kCommit + "/preprocessor_config.json"));

  // generate -m hf: --image without --mmproj: the tower beside the conversion, the answer of the local pair.
  const std::string args = " -p 'What is this?' -n 6 --temp 0 --image " + kImage;
  const auto want = sotto("generate -m " + local + " --mmproj " + dir_ + "/mmproj-local.gguf" + args, xdg_);
  ASSERT_EQ(want.code, 0) << want.err;
  ASSERT_FALSE(want.out.empty());
  hub_.clear_log();
  const auto got = sotto("generate -m hf:sotto-test/vlm:q8_0 --offline" + args, xdg_);
  ASSERT_EQ(got.code, 0) << got.err;
  EXPECT_EQ(got.out, want.out);
  EXPECT_NE(got.err.find("the vision tower beside the model: " + mmproj), std::string::npos) << got.err;
  // The same from a local file with its tower beside it.
  EXPECT_EQ(sotto("generate -m " + local + args, xdg_).out, want.out);
  // -m hf: of the checkpoint converted in another type, with no request: its own tower.
  const auto f16 = sotto("generate -m hf:sotto-test/vlm" + args, xdg_);
  ASSERT_EQ(f16.code, 0) << f16.err;
  EXPECT_FALSE(f16.out.empty());
  EXPECT_TRUE(hub_.log().empty()) << joined(hub_.log());

  // sotto models lists the conversion with its tower.
  const auto j = sotto::json::parse(sotto("models --json", xdg_).out);
  ASSERT_EQ(j.arr().size(), 2u);
  const sotto::json::Value& q8 = j.arr()[1];
  EXPECT_EQ(q8.at("name").str(), "hf:sotto-test/vlm:q8_0");
  EXPECT_EQ(q8.at("mmproj").at("path").str(), mmproj);
  EXPECT_EQ(q8.at("mmproj").at("size").integer(), int64_t(fs::file_size(mmproj)));
  const auto text = sotto("models", xdg_);
  EXPECT_NE(text.out.find("converted from safetensors at " + kCommit.substr(0, 12) + ", mmproj "), std::string::npos)
      << text.out;

  // A language model with no tower beside it: --image is the usage error naming the file it looked for (the other
  // towers of the converted cache are not taken: only a hub snapshot's one mmproj file is).
  ASSERT_EQ(sotto("pull sotto-test/ckpt", xdg_).code, 0);
  const auto none = sotto("generate -m hf:sotto-test/ckpt -q" + args, xdg_);
  EXPECT_EQ(none.code, 2) << none.err;
  EXPECT_NE(none.err.find("--image needs --mmproj VISION.gguf (the model that reads images; there is no mmproj-"),
            std::string::npos) << none.err;
  EXPECT_EQ(cli_run::lines(none.err), 1u) << none.err;
}

// A GGUF repo of a vision model, as llama.cpp's are laid out (NAME.gguf and mmproj-NAME.gguf, or one mmproj file):
// a tag or no file picks the model, never the tower, and the pull fetches the tower into the same snapshot, where
// generate --image finds it.
TEST_F(HubVlm, AGgufRepoWithAnMmprojGivesTheModelAndItsTower) {
  const std::string d = dir_ + "/pair";
  fs::create_directories(d);
  ASSERT_EQ(sotto("convert " + kVlm + " -o " + d + "/Tiny-Q8_0.gguf --type q8_0 -q", xdg_).code, 0);
  const std::string lm = read_file(d + "/Tiny-Q8_0.gguf"), mm = read_file(d + "/mmproj-Tiny-Q8_0.gguf");
  ASSERT_FALSE(mm.empty());
  hub_.add("sotto-test/vlm-gguf", "Tiny-Q8_0.gguf", lm, lm);
  hub_.add("sotto-test/vlm-gguf", "mmproj-Tiny-Q8_0.gguf", mm, mm);
  hub_.add("sotto-test/vlm-gguf2", "Tiny-Q8_0.gguf", lm, lm);
  hub_.add("sotto-test/vlm-gguf2", "mmproj-Tiny-f16.gguf", mm, mm);  // another name: the repo's one tower
  const std::string args = " -p 'What is this?' -n 6 --temp 0 -q --image " + kImage;
  const auto want = sotto("generate -m " + d + "/Tiny-Q8_0.gguf --mmproj " + d + "/mmproj-Tiny-Q8_0.gguf" + args, xdg_);
  ASSERT_EQ(want.code, 0) << want.err;
  ASSERT_FALSE(want.out.empty());
  for (const auto& [repo, tower] : {std::pair<std::string, std::string>{"vlm-gguf", "mmproj-Tiny-Q8_0.gguf"},
                                    {"vlm-gguf2", "mmproj-Tiny-f16.gguf"}}) {
    // Both files end in Q8_0 (or the repo has two .gguf files): the tag takes the model.
    const auto got = sotto("generate -m hf:sotto-test/" + repo + ":Q8_0" + args, xdg_);
    ASSERT_EQ(got.code, 0) << got.err;
    EXPECT_EQ(got.out, want.out) << repo;
    EXPECT_NE(got.err.find("its vision tower " + tower + " too"), std::string::npos) << got.err;
    const std::string snap = repo_dir("models--sotto-test--" + repo) + "/snapshots/" + kCommit;
    EXPECT_EQ(read_file(snap + "/Tiny-Q8_0.gguf"), lm);
    EXPECT_EQ(read_file(snap + "/" + tower), mm);
  }
  // Without a file: the repo's one model (the tower is not a second choice).
  const auto p = sotto("pull sotto-test/vlm-gguf", xdg_);
  ASSERT_EQ(p.code, 0) << p.err;
  EXPECT_EQ(fs::path(p.out.substr(0, p.out.size() - 1)).filename(), "Tiny-Q8_0.gguf");
  // Cached: no request, offline or not.
  hub_.clear_log();
  for (const char* flag : {" --offline", ""}) {
    const auto again = sotto(std::string("generate -m hf:sotto-test/vlm-gguf") + flag + args, xdg_);
    ASSERT_EQ(again.code, 0) << again.err;
    EXPECT_EQ(again.out, want.out);
  }
  EXPECT_TRUE(hub_.log().empty()) << joined(hub_.log());
}

}  // namespace
