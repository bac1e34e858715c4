// hub-fetch.cpp — the download half of hub.h, and the only code of sotto that opens a network connection. HTTP(S) is
// Debian's cpp-httplib (already the server of `sotto serve`; TLS through OpenSSL, system CA certificates); SHA-256
// is OpenSSL's libcrypto. The steps follow the hub's own client (huggingface_hub):
//   1. (no FILE) GET /api/models/REPO/tree/main?recursive=true: the repo's one .gguf, or an error listing them;
//   2. HEAD /REPO/resolve/main/FILE, following relative redirects only: X-Repo-Commit, the sha256 in X-Linked-Etag
//      (LFS files; a plain git file's ETag is its git blob sha1), X-Linked-Size, and Location (the CDN URL);
//   3. GET the CDN URL into blobs/<sha>.incomplete, from where a partial download stopped (Range: bytes=N-), a
//      dropped connection resumed up to 5 times; hashing as bytes arrive (a kept prefix is hashed first);
//   4. a hash that is not the published one deletes the partial file and fails; else the blob is renamed into place
//      and snapshots/<commit>/FILE and refs/main made (hub-cache.cpp).
// A repo with no .gguf but a safetensors checkpoint: its files (config, tokenizer, index and shards) each as above,
// then the snapshot folder converted once into sotto's converted cache (hf_dir_model(), cmd-convert.cpp).
// A lock file (.locks/models--OWNER--NAME/<sha>.lock, the hub's path) keeps two downloads of one blob apart.
// HF_ENDPOINT replaces https://huggingface.co (mirrors, the tests' loopback server); HF_TOKEN is sent to it (never to
// the CDN it redirects to). HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (http:// proxies) and NO_PROXY are honoured.
// Does not: retry a refused connection, speak SOCKS, or download other revisions than main.
#include <fcntl.h>
#include <httplib.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <memory>

#include "cli.h"
#include "core/error.h"
#include "core/json.h"
#include "hub.h"

#ifndef SOTTO_VERSION
#define SOTTO_VERSION "0"
#endif

namespace fs = std::filesystem;

namespace sotto::cli::hub {

namespace {

constexpr int kMaxResumes = 5;

struct Url {
  std::string origin, path;  // "https://host[:port]", "/a/b?q"
};

Url split_url(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos || (url.compare(0, scheme, "http") != 0 && url.compare(0, scheme, "https") != 0))
    fail("'", url, "' is not an http(s) URL");
  const size_t slash = url.find('/', scheme + 3);
  if (slash == std::string::npos) return {url, "/"};
  return {url.substr(0, slash), url.substr(slash)};
}

std::string hub_endpoint() {
  const char* e = std::getenv("HF_ENDPOINT");
  std::string s = e && *e ? e : "https://huggingface.co";
  while (!s.empty() && s.back() == '/') s.pop_back();
  if (s.rfind("http://", 0) != 0 && s.rfind("https://", 0) != 0) fail("HF_ENDPOINT '", s, "' is not an http(s) URL");
  return s;
}

std::string token() {
  for (const char* v : {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"})
    if (const char* t = std::getenv(v); t && *t) return t;
  return "";
}

// Percent-encodes all but unreserved characters and '/'.
std::string encode_path(const std::string& s) {
  std::string o;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      o += char(c);
    } else {
      char b[4];
      std::snprintf(b, sizeof b, "%%%02X", c);
      o += b;
    }
  }
  return o;
}

// W/"ABC" or "abc" -> abc
std::string normalize_etag(std::string e) {
  if (e.rfind("W/", 0) == 0) e = e.substr(2);
  e.erase(std::remove(e.begin(), e.end(), '"'), e.end());
  for (auto& c : e) c = char(std::tolower(static_cast<unsigned char>(c)));  // hex digests compare lower case
  return e;
}

bool is_hex(const std::string& s, size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

std::string to_hex(const unsigned char* d, size_t n) {
  static const char* k = "0123456789abcdef";
  std::string o;
  for (size_t i = 0; i < n; ++i) {
    o += k[d[i] >> 4];
    o += k[d[i] & 15];
  }
  return o;
}

std::string why(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection: return "connection failed";
    case httplib::Error::ConnectionTimeout: return "connection timed out";
    case httplib::Error::Read: return "connection dropped";
    case httplib::Error::Write: return "write failed";
    case httplib::Error::SSLConnection: return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts: return "cannot load the system's CA certificates";
    case httplib::Error::SSLServerVerification: return "the server's TLS certificate did not verify";
    default: return httplib::to_string(e);
  }
}

[[noreturn]] void unreachable(const std::string& origin, httplib::Error e) {
  fail("cannot reach ", origin, " (", why(e),
       "): is the network off? Models already pulled work offline (--offline; `sotto models` lists them)");
}

// An incremental hash (OpenSSL EVP): "sha256" or "sha1".
class Hasher {
 public:
  explicit Hasher(const char* alg) : ctx_(EVP_MD_CTX_new()), md_(EVP_get_digestbyname(alg)) { reset(); }
  ~Hasher() { EVP_MD_CTX_free(ctx_); }
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void reset() {
    if (!ctx_ || !md_ || EVP_DigestInit_ex(ctx_, md_, nullptr) != 1) fail("OpenSSL: cannot start a hash");
  }
  void update(const void* d, size_t n) { EVP_DigestUpdate(ctx_, d, n); }
  std::string hex() {
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_, d, &n);
    return to_hex(d, n);
  }

 private:
  EVP_MD_CTX* ctx_;
  const EVP_MD* md_;
};

// Hashes bytes [0, n) of path into h.
void hash_file(const std::string& path, uint64_t n, Hasher& h) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail(path, ": cannot read");
  std::vector<char> buf(1 << 20);
  while (n > 0) {
    const size_t got = std::fread(buf.data(), 1, size_t(std::min<uint64_t>(n, buf.size())), f);
    if (got == 0) break;
    h.update(buf.data(), got);
    n -= got;
  }
  std::fclose(f);
}

std::string env_first(std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (const char* v = std::getenv(n); v && *v) return v;
  return "";
}

// The http:// proxy for an origin from the environment, as curl and the hub's Python client read it: HTTPS_PROXY
// (https), HTTP_PROXY (http), else ALL_PROXY, lower case too; none for a host NO_PROXY names ("*", a host, or a
// domain suffix). "" when none.
std::string proxy_for(const std::string& origin) {
  const bool https = origin.rfind("https://", 0) == 0;
  std::string host = origin.substr(origin.find("://") + 3);
  if (!host.empty() && host[0] == '[') host = host.substr(1, host.find(']') - 1);
  else host = host.substr(0, host.find(':'));
  std::string no = env_first({"NO_PROXY", "no_proxy"});
  for (size_t at = 0; at <= no.size();) {
    size_t comma = no.find(',', at);
    if (comma == std::string::npos) comma = no.size();
    std::string e = no.substr(at, comma - at);
    at = comma + 1;
    e.erase(0, e.find_first_not_of(' '));
    e.erase(e.find_last_not_of(' ') + 1);
    if (!e.empty() && e[0] == '.') e.erase(0, 1);
    if (e == "*" || (!e.empty() && (host == e || (host.size() > e.size() &&
                                                  host.compare(host.size() - e.size(), e.size(), e) == 0 &&
                                                  host[host.size() - e.size() - 1] == '.'))))
      return "";
  }
  return https ? env_first({"HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"})
               : env_first({"HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"});
}

// Points c at the proxy URL p ("http://[user:pass@]host[:port]").
void use_proxy(httplib::Client& c, const std::string& p) {
  std::string rest = p;
  if (const size_t s = rest.find("://"); s != std::string::npos) {
    if (rest.compare(0, s, "http") != 0) fail("proxy '", p, "': only http:// proxies are supported");
    rest = rest.substr(s + 3);
  }
  rest = rest.substr(0, rest.find('/'));
  if (const size_t at = rest.rfind('@'); at != std::string::npos) {
    const std::string user = rest.substr(0, at);
    const size_t colon = user.find(':');
    c.set_proxy_basic_auth(user.substr(0, colon), colon == std::string::npos ? "" : user.substr(colon + 1));
    rest = rest.substr(at + 1);
  }
  const size_t colon = rest.rfind(':');
  int port = 1080;  // curl's default
  if (colon != std::string::npos) {
    char* end = nullptr;
    const long v = std::strtol(rest.c_str() + colon + 1, &end, 10);
    if (!end || *end || v <= 0 || v > 65535) fail("proxy '", p, "': bad port");
    port = int(v);
    rest.resize(colon);
  }
  if (rest.empty()) fail("proxy '", p, "': no host");
  c.set_proxy(rest, port);
}

// One client per origin, reused across requests; Authorization only to the hub endpoint's origin; through the
// environment's proxy, if any.
class Http {
 public:
  Http() : endpoint_(hub_endpoint()), hub_origin_(split_url(endpoint_).origin), token_(token()) {}
  const std::string& endpoint() const { return endpoint_; }

  httplib::Client& client(const std::string& origin) {
    auto& c = clients_[origin];
    if (!c) {
      c = std::make_unique<httplib::Client>(origin);
      if (!c->is_valid()) fail("'", origin, "': cannot make an HTTP client for it");
      c->set_connection_timeout(15);
      c->set_read_timeout(60);
      c->set_follow_location(false);
      c->set_url_encode(false);  // paths are encoded here; a CDN's signed query string must stay as it is
      c->set_decompress(false);
      if (const std::string p = proxy_for(origin); !p.empty()) use_proxy(*c, p);
    }
    return *c;
  }
  httplib::Headers headers(const std::string& origin) const {
    httplib::Headers h = {{"User-Agent", "sotto/" SOTTO_VERSION}, {"Accept-Encoding", "identity"}};
    if (!token_.empty() && origin == hub_origin_) h.emplace("Authorization", "Bearer " + token_);
    return h;
  }

 private:
  std::string endpoint_, hub_origin_, token_;
  std::map<std::string, std::unique_ptr<httplib::Client>> clients_;
};

// A redirect's Location against the URL it came from.
std::string absolute(const std::string& from, const std::string& loc) {
  if (loc.find("://") != std::string::npos) return loc;
  if (!loc.empty() && loc[0] == '/') return split_url(from).origin + loc;
  fail("a redirect to '", loc, "' (not a URL)");
}

bool relative_location(const std::string& loc) { return !loc.empty() && loc[0] == '/'; }

// A hub error status as one line: the X-Error-Code the hub sends says which.
[[noreturn]] void status_fail(const Ref& ref, const std::string& host, const httplib::Response& r) {
  const std::string code = r.get_header_value("X-Error-Code");
  const std::string where = "hf:" + ref.str();
  if (code == "RepoNotFound" || (r.status == 401 && code.empty()))
    fail(where, ": no such repo on ", host, " (or it is private or gated: set HF_TOKEN)");
  if (code == "GatedRepo" || r.status == 403)
    fail(where, ": the repo is gated: accept its terms on ", host, " and set HF_TOKEN");
  if (code == "EntryNotFound" || r.status == 404)
    fail(where, ": no such file in the repo (", host, "/", ref.repo, "/tree/main lists them)");
  fail(where, ": ", host, " answered HTTP ", std::to_string(r.status),
       r.has_header("X-Error-Message") ? " (" + r.get_header_value("X-Error-Message") + ")" : "");
}

// The files of the repo's main (the tree API, every page), sorted.
std::vector<std::string> list_files(Http& http, const Ref& ref) {
  std::vector<std::string> out;
  std::string url = http.endpoint() + "/api/models/" + ref.repo + "/tree/main?recursive=true";
  for (int hop = 0; hop < 100 && !url.empty(); ++hop) {
    const Url u = split_url(url);
    auto res = http.client(u.origin).Get(u.path, http.headers(u.origin));
    if (!res) unreachable(u.origin, res.error());
    if (res->status >= 300 && res->status < 400 && relative_location(res->get_header_value("Location"))) {
      url = absolute(url, res->get_header_value("Location"));
      continue;
    }
    if (res->status != 200) status_fail(ref, http.endpoint(), *res);
    const json::Value v = json::parse(res->body, "hf:" + ref.repo + " file list");
    if (!v.is_array()) fail("hf:", ref.repo, ": the hub's file list is not a JSON array");
    for (const auto& e : v.arr()) {
      const json::Value* type = e.find("type");
      const json::Value* path = e.find("path");
      if (!type || !path || !type->is_string() || type->str() != "file" || !path->is_string()) continue;
      out.push_back(path->str());
    }
    // The next page, when the hub paginates: Link: <URL>; rel="next".
    url.clear();
    const std::string link = res->get_header_value("Link");
    const size_t next = link.find("rel=\"next\"");
    if (next != std::string::npos) {
      const size_t lt = link.rfind('<', next), gt = link.rfind('>', next);
      if (lt != std::string::npos && gt != std::string::npos && lt < gt)
        url = absolute(http.endpoint() + "/", link.substr(lt + 1, gt - lt - 1));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> only_ggufs(const std::vector<std::string>& files) {
  std::vector<std::string> out;
  for (const auto& p : files)
    if (p.size() > 5 && (p.substr(p.size() - 5) == ".gguf" || p.substr(p.size() - 5) == ".GGUF")) out.push_back(p);
  return out;
}

struct FileMeta {
  std::string commit, etag, url;
  uint64_t size = 0;
  bool has_size = false;
};

FileMeta head_file(Http& http, const Ref& ref) {
  FileMeta m;
  std::string url = http.endpoint() + "/" + ref.repo + "/resolve/main/" + encode_path(ref.file);
  for (int hop = 0; hop < 6; ++hop) {
    const Url u = split_url(url);
    auto res = http.client(u.origin).Head(u.path, http.headers(u.origin));
    if (!res) unreachable(u.origin, res.error());
    const auto& r = *res;
    const bool redirect = r.status >= 300 && r.status < 400;
    if (!redirect && r.status != 200) status_fail(ref, http.endpoint(), r);
    if (m.commit.empty()) m.commit = r.get_header_value("X-Repo-Commit");
    if (r.has_header("X-Linked-Etag")) m.etag = normalize_etag(r.get_header_value("X-Linked-Etag"));
    else if (m.etag.empty() && r.status == 200) m.etag = normalize_etag(r.get_header_value("ETag"));
    const std::string size = r.has_header("X-Linked-Size") ? r.get_header_value("X-Linked-Size")
                             : r.status == 200 && !m.has_size ? r.get_header_value("Content-Length") : "";
    if (!size.empty() && !m.has_size) {
      char* end = nullptr;
      m.size = std::strtoull(size.c_str(), &end, 10);
      m.has_size = end && *end == '\0';
    }
    if (!redirect) {
      m.url = url;
      return m;
    }
    const std::string loc = r.get_header_value("Location");
    if (loc.empty()) fail("hf:", ref.str(), ": a redirect without a Location");
    url = absolute(url, loc);
    if (!relative_location(loc)) {  // to the CDN: the file's bytes are there
      m.url = url;
      return m;
    }
  }
  fail("hf:", ref.str(), ": too many redirects");
}

// An exclusive lock on a file (flock), held while this object lives.
class FileLock {
 public:
  FileLock(const std::string& path, const std::string& what) {
    fs::create_directories(fs::path(path).parent_path());
    fd_ = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    if (fd_ < 0) fail(path, ": cannot open the lock file");
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      std::fprintf(stderr, "sotto: waiting for another download of %s\n", what.c_str());
      if (::flock(fd_, LOCK_EX) != 0) fail(path, ": cannot lock");
    }
  }
  ~FileLock() { ::close(fd_); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

// The progress of one download on stderr: a redrawn bar when stderr is a terminal, else a line at each quarter.
class Progress {
 public:
  Progress(std::string label, uint64_t total, uint64_t start)
      : label_(std::move(label)), total_(total), start_bytes_(start), tty_(isatty(2) == 1),
        t0_(std::chrono::steady_clock::now()) {
    if (total_) quarter_ = int(start * 4 / total_);
  }
  void update(uint64_t now) {
    const auto t = std::chrono::steady_clock::now();
    if (tty_) {
      if (drawn_ && now == last_now_) return;
      if (now != total_ && t - last_draw_ < std::chrono::milliseconds(100)) return;
      last_draw_ = t;
      last_now_ = now;
      const double secs = std::chrono::duration<double>(t - t0_).count();
      const double rate = secs > 0 ? double(now - start_bytes_) / secs : 0;
      std::string bar;
      if (total_) {
        const int w = 24, fill = int(double(now) / double(total_) * w);
        bar = "[" + std::string(size_t(fill), '#') + std::string(size_t(w - fill), '.') + "] ";
        bar += std::to_string(int(now * 100 / total_)) + "%  " + human_bytes(double(now)) + " / " + human_bytes(double(total_));
      } else {
        bar = human_bytes(double(now));
      }
      std::fprintf(stderr, "\r%s  %s  %s/s   ", label_.c_str(), bar.c_str(), human_bytes(rate).c_str());
      drawn_ = true;
    } else if (total_) {
      const int q = int(now * 4 / total_);
      if (q > quarter_ && q < 4) {
        quarter_ = q;
        std::fprintf(stderr, "sotto: %s: %d%% (%s of %s)\n", label_.c_str(), q * 25, human_bytes(double(now)).c_str(),
                     human_bytes(double(total_)).c_str());
      }
    }
  }
  void note(const std::string& msg) {
    end_line();
    std::fprintf(stderr, "sotto: %s: %s\n", label_.c_str(), msg.c_str());
  }
  void end_line() {
    if (drawn_) std::fputc('\n', stderr);
    drawn_ = false;
  }

 private:
  std::string label_;
  uint64_t total_, start_bytes_, last_now_ = 0;
  bool tty_, drawn_ = false;
  int quarter_ = 0;
  std::chrono::steady_clock::time_point t0_, last_draw_{};
};

// Downloads m.url into blob (through blob.incomplete), verified against m.etag.
void download_blob(Http& http, const Ref& ref, const FileMeta& m, const std::string& blob, const std::string& lock) {
  const std::string what = "hf:" + ref.str();
  FileLock held(lock, what);
  std::error_code ec;
  if (fs::exists(blob, ec)) {  // another process finished it while this one waited (or just before the lock)
    std::fprintf(stderr, "sotto: %s: in the cache already (another download finished it)\n", what.c_str());
    return;
  }
  const std::string part = blob + ".incomplete";
  fs::create_directories(fs::path(blob).parent_path());
  uint64_t have = fs::exists(part, ec) ? fs::file_size(part, ec) : 0;
  if (ec || (m.has_size && have > m.size)) {
    fs::remove(part, ec);
    have = 0;
  }
  const bool lfs = m.etag.size() == 64;  // sha256 (LFS); else a git blob sha1 (hashed once complete)
  Hasher sha("sha256");
  if (lfs && have) hash_file(part, have, sha);
  FILE* f = std::fopen(part.c_str(), "ab");
  if (!f) fail(part, ": cannot write");
  std::unique_ptr<FILE, int (*)(FILE*)> closer(f, std::fclose);

  std::fprintf(stderr, "sotto: downloading %s (%s%s) from %s\n", what.c_str(),
               m.has_size ? human_bytes(double(m.size)).c_str() : "size unknown",
               have ? (", resuming at " + human_bytes(double(have))).c_str() : "", split_url(m.url).origin.c_str());
  Progress progress(ref.file, m.has_size ? m.size : 0, have);
  std::string url = m.url;
  int resumes = 0, hops = 0;
  bool refreshed = false;
  for (;;) {
    if (m.has_size && have == m.size) break;
    const Url u = split_url(url);
    httplib::Headers h = http.headers(u.origin);
    if (have) h.emplace("Range", "bytes=" + std::to_string(have) + "-");
    int status = 0;
    std::string location, refusal;
    uint64_t got = 0;
    bool write_failed = false;
    auto res = http.client(u.origin).Get(
        u.path, h,
        [&](const httplib::Response& r) {
          status = r.status;
          if (r.status >= 300 && r.status < 400) {
            location = r.get_header_value("Location");
            return false;
          }
          if (r.status == 206) {
            // "bytes START-END/TOTAL": it must start where the partial file ends.
            const std::string cr = r.get_header_value("Content-Range");
            if (cr.rfind("bytes " + std::to_string(have) + "-", 0) != 0) {
              refusal = "a range that does not start at byte " + std::to_string(have) + " ('" + cr + "')";
              return false;
            }
            return true;
          }
          if (r.status == 200) {
            if (have) {  // the server ignored the Range: start over
              std::fflush(f);
              if (::ftruncate(fileno(f), 0) != 0) {
                refusal = "cannot truncate " + part;
                return false;
              }
              have = 0;
              sha.reset();
            }
            return true;
          }
          return false;
        },
        [&](const char* d, size_t n) {
          if (std::fwrite(d, 1, n, f) != n) {
            write_failed = true;
            return false;
          }
          if (lfs) sha.update(d, n);
          have += n;
          got += n;
          progress.update(have);
          return true;
        });
    std::fflush(f);
    if (write_failed || std::ferror(f)) {
      progress.end_line();
      fail(part, ": write failed (disk full?)");
    }
    if (!location.empty()) {
      if (++hops > 5) fail(what, ": too many redirects");
      url = absolute(url, location);
      continue;
    }
    if (!refusal.empty()) {
      progress.end_line();
      fail(what, ": ", u.origin, " sent ", refusal);
    }
    if (res && (status == 200 || status == 206)) {
      if (!m.has_size || have == m.size) break;
      if (have > m.size) break;  // checked by the hash below
    } else if ((status == 401 || status == 403 || status == 410) && have && !refreshed) {
      // A resume refused: the CDN's signed URL has likely expired. Ask the hub for a fresh one, once.
      refreshed = true;
      const FileMeta again = head_file(http, ref);
      if (again.etag != m.etag) fail(what, ": the file changed on the hub during the download; run the same command again");
      progress.note("the download URL expired; resuming from a fresh one");
      url = again.url;
      continue;
    } else if (res || status >= 400) {
      progress.end_line();
      if (status == 416) {
        fs::remove(part, ec);
        fail(what, ": ", u.origin, " refused the resume range; the partial download was deleted, run again");
      }
      fail(what, ": ", u.origin, " answered HTTP ", std::to_string(status), " to the download",
           have ? "; the partial download is kept: run the same command again to resume" : "");
    } else if (got == 0 && have == 0 && resumes == 0) {
      progress.end_line();
      unreachable(u.origin, res.error());
    }
    // A dropped connection (or a short body): resume from where it stopped while it makes progress.
    if (got == 0 || ++resumes > kMaxResumes) {
      progress.end_line();
      fail(what, ": download interrupted at ", human_bytes(double(have)),
           m.has_size ? " of " + human_bytes(double(m.size)) : std::string(), " (",
           res ? "short body" : why(res.error()), "); run the same command again to resume");
    }
    progress.note(std::string(res ? "short body" : why(res.error())) + " at " + human_bytes(double(have)) +
                  "; resuming");
  }
  progress.update(have);
  progress.end_line();
  if (std::fflush(f) != 0 || ::fsync(fileno(f)) != 0) fail(part, ": write failed (disk full?)");  // on disk before it is named
  closer.reset();

  std::string got_hash;
  if (lfs) {
    if (!m.has_size || have == m.size) got_hash = sha.hex();
  } else {  // git's blob id: sha1("blob <size>\0" + bytes)
    Hasher sha1("sha1");
    const std::string header = "blob " + std::to_string(have) + std::string(1, '\0');
    sha1.update(header.data(), header.size());
    hash_file(part, have, sha1);
    got_hash = sha1.hex();
  }
  if (got_hash != m.etag) {
    fs::remove(part, ec);
    fail(what, ": ", lfs ? "SHA-256" : "git SHA-1", " mismatch: the hub published ", m.etag, ", the download is ",
         got_hash.empty() ? human_bytes(double(have)) + " instead of " + human_bytes(double(m.size)) : got_hash,
         "; the partial file was deleted");
  }
  fs::rename(part, blob, ec);
  if (ec) fail(blob, ": cannot rename the finished download into place: ", ec.message());
  std::fprintf(stderr, "sotto: %s: %s verified\n", what.c_str(), lfs ? "SHA-256" : "git SHA-1");
}

std::string repo_folder(const std::string& repo) { return fs::path(repo_dir(repo)).filename().string(); }

// One named file of the repo into the cache (downloaded unless its blob is there), linked into main's snapshot.
// commit: "" = any, and set to the hub's; else the hub's must be the same (a checkpoint's files of one commit).
std::string fetch_file(Http& http, const Ref& ref, std::string* commit) {
  const FileMeta m = head_file(http, ref);
  if (m.commit.empty() || m.commit.size() > 64 ||
      !std::all_of(m.commit.begin(), m.commit.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); }))
    fail("hf:", ref.str(), ": the hub sent no usable X-Repo-Commit ('", m.commit, "')");
  if (commit && !commit->empty() && *commit != m.commit)
    fail("hf:", ref.repo, ": the repo changed on the hub during the pull (commit ", commit->substr(0, 12), " then ",
         m.commit.substr(0, 12), "); run the same command again");
  if (commit) *commit = m.commit;
  if (!is_hex(m.etag, 64) && !is_hex(m.etag, 40))
    fail("hf:", ref.str(), ": the hub published no SHA-256 for it (ETag '", m.etag, "'), so it cannot be verified");
  const std::string blob = repo_dir(ref.repo) + "/blobs/" + m.etag;
  std::error_code ec;
  if (fs::exists(blob, ec)) {
    std::fprintf(stderr, "sotto: hf:%s: in the cache already (commit %s)\n", ref.str().c_str(), m.commit.substr(0, 12).c_str());
  } else {
    download_blob(http, ref, m, blob, cache_dir() + "/.locks/" + repo_folder(ref.repo) + "/" + m.etag + ".lock");
  }
  return link_snapshot(ref.repo, m.commit, ref.file, m.etag);
}

// The checkpoint folder converted once, into sotto's converted cache (cmd-convert.cpp), named after the repo.
std::string convert_checkpoint(const std::string& repo, const std::string& dir, const Ref& ref, const Options& o) {
  std::string type = checkpoint_type(ref, o.type);
  if (type.empty()) type = "f16";
  std::string label = repo_folder(repo).substr(8);  // OWNER--NAME
  const std::string commit = fs::path(dir).filename().string();
  label += "-" + commit.substr(0, 12);
  const std::string out = hf_dir_model(dir, type, label);
  record_conversion(out, repo, commit, type);  // for `sotto models`
  return out;
}

// A repo of safetensors (no .gguf): each checkpoint file fetched and verified as one .gguf would be (all of one
// commit), the index's shards after the index, then the snapshot folder converted.
std::string pull_checkpoint(Http& http, const Ref& ref, const std::vector<std::string>& files, const Options& o) {
  checkpoint_type(ref, o.type);  // a bad tag before any download
  std::fprintf(stderr, "sotto: hf:%s: a safetensors checkpoint (no .gguf in the repo): fetching %zu files, then "
               "converting it\n", ref.str().c_str(), files.size());
  std::string commit, last;
  for (const auto& f : files) {
    last = fetch_file(http, Ref{ref.repo, f}, &commit);
    if (f == "model.safetensors.index.json")
      for (const auto& shard : index_shards(last)) fetch_file(http, Ref{ref.repo, shard}, &commit);
  }
  return convert_checkpoint(ref.repo, repo_dir(ref.repo) + "/snapshots/" + commit, ref, o);
}

std::string pull_into_cache(const Ref& ref0, const Options& o) {
  Ref ref = ref0;
  if (o.offline || offline_from_env()) {
    std::string chosen;
    const std::string p = cached_path(ref, &chosen);
    if (p.empty() && ref.picks())
      if (const std::string dir = cached_checkpoint(ref.repo); !dir.empty())
        return convert_checkpoint(ref.repo, dir, ref, o);
    if (p.empty())
      fail("hf:", ref.str(), ": not in the hub cache (", cache_dir(), "), and offline (",
           o.offline ? "--offline" : "HF_HUB_OFFLINE", ") forbids downloading it");
    if (ref.picks()) std::fprintf(stderr, "sotto: hf:%s: using the cached %s\n", ref.str().c_str(), chosen.c_str());
    return p;
  }
  Http http;
  if (ref.picks()) {
    const auto all = list_files(http, ref);
    const auto ggufs = only_ggufs(all);
    if (ggufs.empty())
      if (const auto ckpt = checkpoint_files(all); !ckpt.empty()) return pull_checkpoint(http, ref, ckpt, o);
    const std::string file = pick_gguf(ggufs, ref, "the repo");
    if (file.empty()) {
      std::string names;
      for (const auto& g : ggufs) names += (names.empty() ? "" : ", ") + g;
      if (ref.file.empty() || ggufs.empty()) fail("hf:", ref.str(), ": the repo has no .gguf file");
      fail("hf:", ref.str(), ": no .gguf file of the repo ends in ", ref.file, " (its .gguf files: ", names, ")");
    }
    std::fprintf(stderr, "sotto: hf:%s: using %s (%s)\n", ref.str().c_str(), file.c_str(),
                 ref.file.empty() ? "the repo's one .gguf" : "its .gguf ending in that tag");
    ref.file = file;
    // A vision model's tower (llama.cpp's mmproj-NAME.gguf) comes with it, into the same snapshot: generate --image
    // finds it beside the model.
    if (const std::string mm = mmproj_companion(ggufs, file); !mm.empty()) {
      std::string commit;
      const std::string path = fetch_file(http, ref, &commit);
      std::fprintf(stderr, "sotto: hf:%s: its vision tower %s too\n", ref.str().c_str(), mm.c_str());
      fetch_file(http, Ref{ref.repo, mm}, &commit);
      return path;
    }
  }
  return fetch_file(http, ref, nullptr);
}

}  // namespace

std::string pull(const Ref& ref, const Options& o) {
  try {
    return pull_into_cache(ref, o);
  } catch (const fs::filesystem_error& e) {  // a cache folder that cannot be made or written: one line, not "internal"
    fail(e.path1().empty() ? cache_dir() : e.path1().string(), ": ", e.code().message(),
         " (the hub cache; HF_HUB_CACHE names another folder)");
  }
}

std::string resolve(const Ref& ref, const Options& o) {
  std::string chosen;
  const std::string p = cached_path(ref, &chosen);
  if (!p.empty()) {
    if (ref.picks()) std::fprintf(stderr, "sotto: hf:%s: using the cached %s\n", ref.str().c_str(), chosen.c_str());
    return p;
  }
  if (ref.picks())  // a checkpoint pulled before: its conversion (made now if it is not there yet), no request
    if (const std::string dir = cached_checkpoint(ref.repo); !dir.empty()) return convert_checkpoint(ref.repo, dir, ref, o);
  return pull(ref, o);
}

}  // namespace sotto::cli::hub
