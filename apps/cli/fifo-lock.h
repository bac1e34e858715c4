// fifo-lock.h — a ticket lock: first come, first served, with a cap on how many may hold or wait at once. The API
// (serve-api.h) serves its one model with it: a request takes a ticket and waits for its turn, so no request is
// overtaken (a std::mutex makes no such promise), and past the cap a request is refused (429) instead of queueing
// without end. Header-only, so tests/test-fifo-lock.cpp checks the order without the server.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace sotto::cli {

class FifoLock {
 public:
  // Takes a ticket and waits for its turn; false at once (no ticket) when `cap` tickets are out already.
  bool try_lock(int cap) {
    std::unique_lock<std::mutex> lk(m_);
    if (next_ - serving_ >= uint64_t(cap)) return false;
    const uint64_t ticket = next_++;
    cv_.wait(lk, [&] { return serving_ == ticket; });
    return true;
  }
  // Ends the current holder's turn: the next ticket's holder goes on.
  void unlock() {
    {
      std::lock_guard<std::mutex> lk(m_);
      serving_++;
    }
    cv_.notify_all();
  }
  // Tickets out: the holder and those waiting (for tests and logs).
  uint64_t outstanding() {
    std::lock_guard<std::mutex> lk(m_);
    return next_ - serving_;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  uint64_t next_ = 0, serving_ = 0;
};

}  // namespace sotto::cli
