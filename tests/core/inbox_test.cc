// Posting to a loop from another thread: work runs on the loop's thread, and a post that
// races the loop's end is refused instead of writing to a descriptor the loop closed
// (which another part of the process may already have reopened).
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>
#include <utility>
#include <vector>

#include "sluice/core/event_loop.h"

namespace sluice::core {
namespace {

TEST(Inbox, PostedWorkRunsOnTheLoopThreadInOrder) {
  std::promise<std::pair<EventLoop*, std::shared_ptr<Inbox>>> got;
  std::thread::id loop_thread;
  std::vector<std::thread::id> ran_on;
  std::thread t([&] {
    EventLoop loop;
    loop_thread = std::this_thread::get_id();
    got.set_value({&loop, loop.inbox()});
    loop.run();
  });
  auto [loop, inbox] = got.get_future().get();
  EXPECT_TRUE(inbox->post([&ran_on] { ran_on.push_back(std::this_thread::get_id()); }));
  EXPECT_TRUE(inbox->post([&ran_on] { ran_on.push_back(std::this_thread::get_id()); }));
  EXPECT_TRUE(inbox->post([l = loop] { l->stop(); }));  // runs after the two above
  t.join();
  ASSERT_EQ(ran_on.size(), 2u);
  EXPECT_EQ(ran_on[0], loop_thread);
  EXPECT_EQ(ran_on[1], loop_thread);
  EXPECT_FALSE(inbox->post([] {}));
}

// A worker keeps posting while the loop stops and is destroyed on its own thread: every
// post is either run by the loop or refused; none reaches a closed descriptor.
TEST(Inbox, PostsRacingTheLoopsEndAreRunOrRefused) {
  for (int round = 0; round < 50; ++round) {
    std::promise<std::shared_ptr<Inbox>> got;
    std::atomic<uint64_t> ran{0};
    std::thread shard([&] {
      EventLoop loop;
      got.set_value(loop.inbox());
      for (int i = 0; i < 3; ++i) loop.run_once(1'000'000);
    });
    std::shared_ptr<Inbox> inbox = got.get_future().get();
    uint64_t accepted = 0;
    while (inbox->post([&ran] { ran.fetch_add(1); })) ++accepted;
    shard.join();
    EXPECT_LE(ran.load(), accepted);
    EXPECT_FALSE(inbox->post([] {}));
  }
}

TEST(Inbox, PostAfterTheLoopIsGoneIsRefusedAndWritesNothing) {
  std::shared_ptr<Inbox> inbox;
  {
    EventLoop loop;
    inbox = loop.inbox();
  }
  // With the loop's descriptor closed, the next one made would get its number.
  int probe = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  ASSERT_GE(probe, 0);
  EXPECT_NE(probe, inbox->fd()) << "the inbox's descriptor was closed under its holders";
  bool ran = false;
  EXPECT_FALSE(inbox->post([&ran] { ran = true; }));
  uint64_t value = 0;
  EXPECT_EQ(read(probe, &value, sizeof value), -1) << "a refused post woke someone else";
  EXPECT_FALSE(ran);
  ::close(probe);
}
}  // namespace
}  // namespace sluice::core
