// test-fifo-lock.cpp — the API's queue (apps/cli/fifo-lock.h): requests are served in the order they arrived, never
// overtaken, and past the cap one is refused at once. Waits by polling outstanding() (no sleeps, no timing asserts).
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "cli/fifo-lock.h"

using sotto::cli::FifoLock;

namespace {

void wait_for_tickets(FifoLock& l, uint64_t n) {
  while (l.outstanding() < n) std::this_thread::yield();
}

}  // namespace

TEST(FifoLock, ServesInArrivalOrder) {
  FifoLock l;
  ASSERT_TRUE(l.try_lock(100));  // held: the others queue behind
  std::mutex m;
  std::vector<int> order;
  std::vector<std::thread> ts;
  for (int i = 0; i < 6; i++) {  // each arrives once the one before holds its ticket
    ts.emplace_back([&, i] {
      ASSERT_TRUE(l.try_lock(100));
      {
        std::lock_guard<std::mutex> g(m);
        order.push_back(i);
      }
      l.unlock();
    });
    wait_for_tickets(l, uint64_t(i) + 2);
  }
  l.unlock();
  for (auto& t : ts) t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(l.outstanding(), 0u);
}

TEST(FifoLock, RefusedPastTheCap) {
  FifoLock l;
  ASSERT_TRUE(l.try_lock(2));                      // served
  std::thread waiter([&] { ASSERT_TRUE(l.try_lock(2)); l.unlock(); });
  wait_for_tickets(l, 2);                          // one served, one waiting: the cap of 2
  EXPECT_FALSE(l.try_lock(2));                     // refused at once, no ticket taken
  EXPECT_EQ(l.outstanding(), 2u);
  l.unlock();
  waiter.join();
  EXPECT_TRUE(l.try_lock(2));                      // room again
  l.unlock();
}
