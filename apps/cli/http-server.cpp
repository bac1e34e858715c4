// http-server.cpp — see http-server.h.
#include "http-server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/error.h"

namespace sotto::cli {

namespace {

using Clock = std::chrono::steady_clock;

// The connection the calling worker thread is serving: what the handlers may ask about or set, and the
// deadline of the response being written (set by the post-routing handler, just before the first byte).
struct ConnState {
  HttpServer::Fault fault = HttpServer::Fault::none;
  bool close = false;
  size_t body_bytes = 0;  // allow_body()
  int fd = -1;            // the socket (-1 in serve_bytes)
  Clock::time_point response_deadline = Clock::time_point::max();
};
thread_local ConnState* tl_conn = nullptr;

// Waits until fd has one of `events` or `deadline` passes; false on the deadline. Bytes that are already there
// count even past it (a connection that waited for a free worker is not cut off for the server's delay).
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{fd, events, 0};
    const int k = ::poll(&p, 1, int(std::clamp<long long>(left, 0, 60000)));
    if (k > 0) return true;
    if (k < 0 && errno != EINTR) return true;  // let the recv/send that follows report the error
    if (k == 0 && left <= 0) return false;
  }
}

void address_of(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  const int r = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&a), &len)
                     : ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  char buf[INET6_ADDRSTRLEN] = "";
  if (r == 0 && a.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a);
    ::inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof buf);
    port = ntohs(v4->sin_port);
  } else if (r == 0 && a.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof buf);
    port = ntohs(v6->sin6_port);
  }
  ip = buf;
}

// The library's Stream over one connection, whatever carries it: reads are buffered, and the reads of one
// request head stop at the head's size cap (the connection's fault then). Where the bytes come from and go
// to is the subclass's (fill, send_some).
class RequestStream : public httplib::Stream {
 public:
  RequestStream(ConnState& state, const HttpLimits& limits) : state_(state), limits_(limits) {}

  void start_request(Clock::time_point head_deadline) {
    head_deadline_ = head_deadline;
    head_bytes_ = 0;
  }
  bool buffered() const { return pos_ < end_; }

  ssize_t read(char* ptr, size_t size) final {
    const size_t cap = limits_.max_head_bytes + state_.body_bytes;
    if (head_bytes_ >= cap) {
      state_.fault = state_.body_bytes ? HttpServer::Fault::body_too_large : HttpServer::Fault::head_too_large;
      return -1;
    }
    if (!buffered()) {
      const ssize_t k = fill(buf_, sizeof buf_);
      if (k <= 0) return k;
      pos_ = 0;
      end_ = size_t(k);
    }
    const size_t n = std::min({size, end_ - pos_, cap - head_bytes_});
    std::memcpy(ptr, buf_ + pos_, n);
    pos_ += n;
    head_bytes_ += n;
    return ssize_t(n);
  }
  ssize_t write(const char* ptr, size_t size) final { return send_some(ptr, size); }

 protected:
  virtual ssize_t fill(char* buf, size_t cap) = 0;                // > 0 bytes read, 0 end, < 0 error
  virtual ssize_t send_some(const char* ptr, size_t size) = 0;  // >= 0 bytes sent, < 0 give up

  ConnState& state_;
  const HttpLimits& limits_;
  Clock::time_point head_deadline_{};

 private:
  size_t head_bytes_ = 0;
  char buf_[4096];
  size_t pos_ = 0, end_ = 0;
};

// A socket: a read of the request head waits at most until the head's deadline; a send waits at most
// write_timeout for room, and never past the response's deadline (then the connection's fault, and the
// library gives up on the response).
class ConnStream final : public RequestStream {
 public:
  ConnStream(int fd, ConnState& state, const HttpLimits& limits) : RequestStream(state, limits), fd_(fd) {}

  bool is_readable() const override { return buffered() || wait_for(fd_, POLLIN, head_deadline_); }
  bool is_writable() const override { return writable(); }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { address_of(fd_, true, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { address_of(fd_, false, ip, port); }
  socket_t socket() const override { return fd_; }

 private:
  bool writable() const {
    const auto deadline = std::min(Clock::now() + limits_.write_timeout, state_.response_deadline);
    if (wait_for(fd_, POLLOUT, deadline)) return true;
    if (deadline == state_.response_deadline) state_.fault = HttpServer::Fault::response_timeout;
    return false;
  }
  ssize_t fill(char* buf, size_t cap) override {
    if (!wait_for(fd_, POLLIN, head_deadline_)) {
      state_.fault = HttpServer::Fault::head_timeout;
      return -1;
    }
    return ::recv(fd_, buf, cap, 0);
  }
  // Sends what fits now (MSG_DONTWAIT: a blocking send of a large buffer would wait for all of it, past
  // any deadline, as long as the reader takes a byte now and then).
  ssize_t send_some(const char* ptr, size_t size) override {
    for (;;) {
      if (!writable()) return -1;
      const ssize_t k = ::send(fd_, ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (k >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return k;
    }
  }

  int fd_;
};

// Bytes in memory: the client's (then the end, as when it closes its side) and the server's answer.
class MemoryStream final : public RequestStream {
 public:
  MemoryStream(std::string_view in, std::string& out, ConnState& state, const HttpLimits& limits)
      : RequestStream(state, limits), in_(in), out_(out) {}

  bool is_readable() const override { return true; }
  bool is_writable() const override { return true; }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { ip = "127.0.0.1", port = 40000; }
  void get_local_ip_and_port(std::string& ip, int& port) const override { ip = "127.0.0.1", port = 8080; }
  socket_t socket() const override { return INVALID_SOCKET; }

 private:
  ssize_t fill(char* buf, size_t cap) override {
    const size_t n = std::min(cap, in_.size());
    if (n == 0) return 0;
    std::memcpy(buf, in_.data(), n);
    in_.remove_prefix(n);
    return ssize_t(n);
  }
  ssize_t send_some(const char* ptr, size_t size) override {
    out_.append(ptr, size);
    return ssize_t(size);
  }

  std::string_view in_;
  std::string& out_;
};

// The task queue handed to the library's accept loop: runs each task (our process_and_close_socket, which
// only parks the socket) at once on the accept thread, so nothing queues up unbounded behind busy workers.
struct OnAcceptThread : httplib::TaskQueue {
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override {}
};

}  // namespace

HttpServer::HttpServer(const HttpLimits& limits) : limits_(limits) {
  new_task_queue = [] { return new OnAcceptThread; };
  // SO_REUSEADDR only: the library's default, SO_REUSEPORT, lets a second server (any process of this user)
  // bind the same port and take a share of the connections.
  set_socket_options([](socket_t sock) {
    const int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  set_keep_alive_max_count(limits_.max_requests);
  set_keep_alive_timeout(limits_.head_timeout.count());
  // Error responses close the connection (a refused request may have left bytes of its own unread). The
  // response's deadline starts here, just before its first byte is written.
  set_post_routing_handler([this](const httplib::Request&, httplib::Response& res) {
    if (tl_conn) tl_conn->response_deadline = Clock::now() + limits_.response_timeout;
    if (res.status >= 400) mark_close();
    if (!closing()) return;
    res.headers.erase("Keep-Alive");
    res.headers.erase("Connection");
    res.set_header("Connection", "close");
  });
  // Stay below the descriptor limit, so accept() never meets EMFILE (where the library retries every ms).
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    const size_t reserve = 32 + limits_.workers;  // stdio, the listening socket, files being sent, ...
    const size_t fit = rl.rlim_cur > reserve + 8 ? size_t(rl.rlim_cur) - reserve : 8;
    limits_.max_connections = std::min(limits_.max_connections, fit);
  }
}

HttpServer::~HttpServer() {
  if (watcher_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t w = ::write(wake_, &one, sizeof one);
    watcher_.join();
  }
  if (workers_) workers_->shutdown();
  for (const auto& [id, c] : idle_) ::close(c.fd);
  if (wake_ >= 0) ::close(wake_);
}

HttpServer::Fault HttpServer::fault() { return tl_conn ? tl_conn->fault : Fault::none; }
void HttpServer::mark_close() {
  if (tl_conn) tl_conn->close = true;
}
bool HttpServer::closing() { return tl_conn && tl_conn->close; }
void HttpServer::allow_body(size_t bytes) {
  if (tl_conn) tl_conn->body_bytes = bytes;
}
bool HttpServer::client_gone() {
  if (!tl_conn || tl_conn->fd < 0) return false;
  pollfd p{tl_conn->fd, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

void HttpServer::raise_backlog() { ::listen(svr_sock_, 128); }  // the library's listen() asks for 5

int HttpServer::open(const std::string& host, int port) {
  errno = 0;
  const int p = port == 0 ? bind_to_any_port(host) : (bind_to_port(host, port) ? port : -1);
  if (p <= 0) fail("cannot listen on ", host, ":", std::to_string(port), ": ", errno ? std::strerror(errno) : "failed");
  host_ = host;
  port_ = p;
  raise_backlog();
  wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_ < 0) fail("eventfd: ", std::strerror(errno));
  workers_ = std::make_unique<httplib::ThreadPool>(limits_.workers);  // every thread is made here, none later
  watcher_ = std::thread([this] { watch(); });
  return p;
}

void HttpServer::serve_forever() {
  for (;;) {
    listen_after_bind();  // returns when accept() failed in a way the library gives up on; it closed the socket
    std::fprintf(stderr, "sotto serve: accept failed (%s); listening again in 1 s\n", std::strerror(errno));
    do {
      std::this_thread::sleep_for(std::chrono::seconds(1));
    } while (!bind_to_port(host_, port_));
    raise_backlog();
  }
}

bool HttpServer::process_and_close_socket(socket_t sock) {
  // No Nagle delay: a streamed response (the API's server-sent events) is many small writes, and each would
  // otherwise wait for the client's delayed ACK (~40 ms) behind the one before.
  const int yes = 1;
  ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  park(sock, Clock::now() + limits_.head_timeout, true);
  return true;
}

void HttpServer::park(int fd, Clock::time_point deadline, bool is_new) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (is_new) {
      if (open_ >= limits_.max_connections && !idle_.empty()) {  // make room: close the oldest idle one
        ::close(idle_.begin()->second.fd);
        idle_.erase(idle_.begin());
        open_--;
      }
      if (open_ >= limits_.max_connections) {  // all busy: no room for this one
        ::close(fd);
        return;
      }
      open_++;
    }
    idle_.emplace(next_id_++, Idle{fd, deadline});
  }
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t w = ::write(wake_, &one, sizeof one);
}

void HttpServer::watch() {
  std::vector<pollfd> fds;
  std::vector<uint64_t> ids;
  std::vector<Idle> ready;
  for (;;) {
    fds.assign(1, pollfd{wake_, POLLIN, 0});
    ids.clear();
    int timeout_ms = -1;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_) return;
      for (const auto& [id, c] : idle_) {
        fds.push_back(pollfd{c.fd, POLLIN, 0});
        ids.push_back(id);
      }
      if (!idle_.empty()) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(idle_.begin()->second.deadline - Clock::now());
        timeout_ms = int(std::clamp<long long>(left.count(), 0, 60000));
      }
    }
    if (::poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // (ENOMEM) try again, without spinning
    }
    if (fds[0].revents) {
      uint64_t n;
      [[maybe_unused]] const ssize_t r = ::read(wake_, &n, sizeof n);
    }
    ready.clear();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // A socket evicted while poll() ran is gone from idle_ (its number may be a new socket's by now).
      for (size_t i = 0; i < ids.size(); i++) {
        if (!fds[i + 1].revents) continue;
        const auto it = idle_.find(ids[i]);
        if (it == idle_.end()) continue;
        ready.push_back(it->second);
        idle_.erase(it);
      }
      const auto now = Clock::now();
      while (!idle_.empty() && idle_.begin()->second.deadline <= now) {  // idle too long: close
        ::close(idle_.begin()->second.fd);
        idle_.erase(idle_.begin());
        open_--;
      }
    }
    for (const Idle& c : ready) workers_->enqueue([this, c] { serve(c.fd, c.deadline); });
  }
}

// One request of a connection (its n-th): false when the connection ends after it.
bool HttpServer::serve_request(httplib::Stream& strm, size_t n) {
  const int fd = tl_conn->fd;
  *tl_conn = ConnState{};
  tl_conn->fd = fd;
  const bool last = n >= limits_.max_requests;
  bool client_closes = false;
  const bool ok = process_request(strm, last, client_closes, [](httplib::Request& req) { req.ranges.clear(); });
  return ok && !client_closes && !last && !tl_conn->close;
}

void HttpServer::serve(int fd, Clock::time_point deadline) {
  ConnState state;
  state.fd = fd;
  tl_conn = &state;
  ConnStream strm(fd, state, limits_);
  for (size_t n = 1;; n++) {
    strm.start_request(deadline);
    if (!serve_request(strm, n)) break;
    deadline = Clock::now() + limits_.head_timeout;
    if (!strm.buffered()) {  // wait for the next request without holding this thread
      tl_conn = nullptr;
      park(fd, deadline, false);
      return;
    }
  }
  tl_conn = nullptr;
  close_socket(fd, state.fault == Fault::response_timeout);
}

std::string HttpServer::serve_bytes(std::string_view raw) {
  // The library sends no body while its listening socket is closed (it takes that for shutting down, and
  // writes the head alone): a server that was never opened lends it /dev/null for the call.
  const bool lend = svr_sock_ == INVALID_SOCKET;
  if (lend) svr_sock_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (svr_sock_ == INVALID_SOCKET) fail("serve_bytes: /dev/null: ", std::strerror(errno));
  std::string out;
  ConnState state;
  ConnState* const outer = tl_conn;
  tl_conn = &state;
  MemoryStream strm(raw, out, state, limits_);
  for (size_t n = 1;; n++) {
    strm.start_request(Clock::time_point::max());
    if (!serve_request(strm, n)) break;
  }
  tl_conn = outer;
  if (lend) ::close(svr_sock_.exchange(INVALID_SOCKET));
  return out;
}

void HttpServer::close_socket(int fd, bool reset) {
  if (reset) {  // a response cut off: drop its unsent bytes too (they would trickle out to the slow reader)
    const linger now{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &now, sizeof now);
  } else {
    ::shutdown(fd, SHUT_WR);
  }
  ::close(fd);
  std::lock_guard<std::mutex> lock(mutex_);
  open_--;
}

}  // namespace sotto::cli
