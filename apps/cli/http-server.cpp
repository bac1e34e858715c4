// http-server.cpp — see http-server.h.
#include "http-server.h"

#include <arpa/inet.h>
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

// The connection the calling worker thread is serving: what the handlers may ask about or set.
struct ConnState {
  HttpServer::Fault fault = HttpServer::Fault::none;
  bool close = false;
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

// The library's Stream over one connection: reads are buffered, and every read of a request head waits at
// most until the head's deadline and stops at the head's size cap (both are the connection's fault then).
class ConnStream final : public httplib::Stream {
 public:
  ConnStream(int fd, ConnState& state, const HttpLimits& limits) : fd_(fd), state_(state), limits_(limits) {}

  void start_request(Clock::time_point deadline) {
    deadline_ = deadline;
    head_bytes_ = 0;
  }
  bool buffered() const { return pos_ < end_; }

  bool is_readable() const override { return buffered() || wait_for(fd_, POLLIN, deadline_); }
  bool is_writable() const override { return wait_for(fd_, POLLOUT, Clock::now() + limits_.write_timeout); }

  ssize_t read(char* ptr, size_t size) override {
    if (head_bytes_ >= limits_.max_head_bytes) {
      state_.fault = HttpServer::Fault::head_too_large;
      return -1;
    }
    if (!buffered()) {
      if (!wait_for(fd_, POLLIN, deadline_)) {
        state_.fault = HttpServer::Fault::head_timeout;
        return -1;
      }
      const ssize_t k = ::recv(fd_, buf_, sizeof buf_, 0);
      if (k <= 0) return k;
      pos_ = 0;
      end_ = size_t(k);
    }
    const size_t n = std::min({size, end_ - pos_, limits_.max_head_bytes - head_bytes_});
    std::memcpy(ptr, buf_ + pos_, n);
    pos_ += n;
    head_bytes_ += n;
    return ssize_t(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    return ::send(fd_, ptr, size, MSG_NOSIGNAL);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { address_of(fd_, true, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { address_of(fd_, false, ip, port); }
  socket_t socket() const override { return fd_; }

 private:
  int fd_;
  ConnState& state_;
  const HttpLimits& limits_;
  Clock::time_point deadline_{};
  size_t head_bytes_ = 0;
  char buf_[4096];
  size_t pos_ = 0, end_ = 0;
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
  // Error responses close the connection (a refused request may have left bytes of its own unread).
  set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
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

void HttpServer::serve(int fd, Clock::time_point deadline) {
  ConnState state;
  tl_conn = &state;
  ConnStream strm(fd, state, limits_);
  for (size_t n = 1;; n++) {
    state = ConnState{};
    strm.start_request(deadline);
    const bool last = n >= limits_.max_requests;
    bool client_closes = false;
    const bool ok = process_request(strm, last, client_closes, [](httplib::Request& req) { req.ranges.clear(); });
    if (!ok || client_closes || last || state.close) break;
    deadline = Clock::now() + limits_.head_timeout;
    if (!strm.buffered()) {  // wait for the next request without holding this thread
      tl_conn = nullptr;
      park(fd, deadline, false);
      return;
    }
  }
  tl_conn = nullptr;
  close_socket(fd);
}

void HttpServer::close_socket(int fd) {
  ::shutdown(fd, SHUT_WR);
  ::close(fd);
  std::lock_guard<std::mutex> lock(mutex_);
  open_--;
}

}  // namespace sotto::cli
