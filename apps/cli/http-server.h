// http-server.h — an httplib::Server (Debian's cpp-httplib 0.11) that a flood of idle or slow clients cannot
// exhaust: a fixed pool of worker threads that only ever take connections with bytes waiting; one thread that
// holds idle connections (new ones, and keep-alive ones between requests) in poll() until they are readable or
// their deadline passes; one deadline for each whole request head (idle wait included), not per recv; one
// deadline for each whole response (a client that reads it slowly, or not at all, gives its worker back when
// it passes: the connection is reset); a cap on the head's size; a cap on open connections, the oldest idle
// one closed to make room for a new one.
// Why not the library's own: its accept loop hands every connection to its task queue at once, where an idle
// or dripping client holds a worker as long as it likes (the read timeout is per recv), and its ThreadPool's
// queue has no bound. So this class overrides the one hook that serves an accepted socket
// (process_and_close_socket, a virtual of httplib::Server) and drives the library's own request parser and
// response writer (process_request) through a Stream of its own; routing, handlers and headers stay httplib's.
// serve_bytes() runs the same request loop over bytes in memory, for the fuzzer and tests (no socket).
// Policy it sets: no Range support (ranges are dropped); error responses close the connection
// (mark_close() from a handler does too; this class uses the post-routing handler for that, so do not
// replace it); keep-alive up to max_requests requests per connection.
// Request bodies: none by default (answer from the pre-routing handler: nothing reads a body, and a request that
// may carry one should mark_close()); a pre-routing handler that lets the library route a request (the API's POSTs)
// calls allow_body(n) first: the reads of that request may then go n bytes past the head's cap (past it: 413), all
// of it within the head's deadline.
// Does not: TLS, IPv6, Windows.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace sotto::cli {

struct HttpLimits {
  size_t workers = 8;                            // threads that serve requests
  size_t max_connections = 256;                  // open at once (lowered to fit the descriptor limit)
  std::chrono::seconds head_timeout{10};         // connection (or end of last response) to end of request head
  std::chrono::seconds write_timeout{10};        // for each send
  std::chrono::seconds response_timeout{120};    // end of request head to last byte of response (all of it)
  size_t max_head_bytes = 16384;                 // request line and headers
  size_t max_requests = 100;                     // per connection
};

class HttpServer : public httplib::Server {
 public:
  enum class Fault { none, head_timeout, head_too_large, body_too_large, response_timeout };

  explicit HttpServer(const HttpLimits& limits = {});
  ~HttpServer() override;

  // Listens on host:port (port 0: any free one) with a backlog of 128 and starts the threads (all there will
  // be); returns the port. Throws on failure.
  int open(const std::string& host, int port);
  // Serves until the process ends. An accept error the library gives up on (anything but EMFILE/EINTR/EAGAIN)
  // is reported on stderr and the listening socket opened again a second later.
  [[noreturn]] void serve_forever();
  // Serves the requests in `raw` as if a client had sent them on one connection and then closed its side
  // (keep-alive, pipelining and the head cap as on a socket; no deadlines), with no socket and no thread;
  // returns what the server wrote. For the fuzzer and tests; needs no open().
  std::string serve_bytes(std::string_view raw);
  const HttpLimits& limits() const { return limits_; }

  // For handlers, on the thread serving the request: why the library's parser gave up on the head (its 400
  // then means a 408 or 431) or, in the logger, that the response was cut off at its deadline; and a way to
  // close the connection after this response.
  static Fault fault();
  static void mark_close();
  static bool closing();
  // Lets this request's body be read: up to `bytes` more than the head's cap (see above).
  static void allow_body(size_t bytes);
  // Whether the client of the request being served closed its side or the connection broke (a handler doing long
  // work can stop); false for serve_bytes().
  static bool client_gone();

 private:
  struct Idle {
    int fd;
    std::chrono::steady_clock::time_point deadline;
  };
  bool process_and_close_socket(socket_t sock) override;  // on the accept thread: parks the new socket
  void park(int fd, std::chrono::steady_clock::time_point deadline, bool is_new);
  void watch();                                                   // the thread that holds idle sockets
  void serve(int fd, std::chrono::steady_clock::time_point deadline);  // on a worker
  bool serve_request(httplib::Stream& strm, size_t n);
  void close_socket(int fd, bool reset = false);  // reset: RST, unsent bytes dropped
  void raise_backlog();

  HttpLimits limits_;
  std::string host_;
  int port_ = 0;
  std::unique_ptr<httplib::ThreadPool> workers_;
  std::thread watcher_;
  int wake_ = -1;  // eventfd: a socket was parked
  std::mutex mutex_;
  std::map<uint64_t, Idle> idle_;  // by arrival: the oldest first, so also the earliest deadline first
  uint64_t next_id_ = 0;
  size_t open_ = 0;  // sockets accepted and not yet closed
  bool stop_ = false;
};

}  // namespace sotto::cli
