// EventLoop::defer: work runs at the start of the next turn, in order; work deferred by
// deferred work runs in the same turn, after it; and the two vectors that take turns keep
// their capacity, so a warm loop defers without allocating.
#include <gtest/gtest.h>

#include <string>

#include "sluice/core/event_loop.h"

namespace sluice::core {
namespace {

TEST(Defer, RunsInOrderAndWorkDeferredByWorkRunsInTheSameTurn) {
  EventLoop loop;
  std::string ran;
  loop.defer([&] {
    ran += 'a';
    loop.defer([&] {
      ran += 'c';
      loop.defer([&] { ran += 'd'; });
    });
  });
  loop.defer([&] { ran += 'b'; });
  EXPECT_EQ(ran, "");
  loop.run_once(0);
  EXPECT_EQ(ran, "abcd");
  loop.run_once(0);  // nothing left over
  EXPECT_EQ(ran, "abcd");
}

TEST(Defer, ManyTurnsOfDeferredWorkAllRun) {
  EventLoop loop;
  int count = 0;
  for (int turn = 0; turn < 100; ++turn) {
    for (int i = 0; i < 10; ++i) loop.defer([&] { ++count; });
    loop.run_once(0);
    EXPECT_EQ(count, (turn + 1) * 10);
  }
}

}  // namespace
}  // namespace sluice::core
