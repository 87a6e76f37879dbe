#include "sluice/ledger/spsc_ring.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace sluice::ledger {
namespace {

TEST(SpscRing, CapacityRoundsUpToAPowerOfTwo) {
  EXPECT_EQ(SpscRing<int>(5).capacity(), 8u);
  EXPECT_EQ(SpscRing<int>(8).capacity(), 8u);
  EXPECT_EQ(SpscRing<int>(0).capacity(), 2u);
}

TEST(SpscRing, FullRingRefusesAPushAndLeavesTheValueUnmoved) {
  SpscRing<std::string> ring(2);
  std::string a = "first value, long enough to live on the heap";
  std::string b = "second";
  std::string c = "third value, long enough to live on the heap";
  EXPECT_TRUE(ring.try_push(std::move(a)));
  EXPECT_TRUE(ring.try_push(std::move(b)));
  EXPECT_FALSE(ring.try_push(std::move(c)));
  EXPECT_EQ(c, "third value, long enough to live on the heap");
}

TEST(SpscRing, PopsInPushOrderAcrossWrapAround) {
  SpscRing<int> ring(4);
  int out = 0;
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(ring.try_push(round * 10 + i));
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(ring.try_pop(out));
      EXPECT_EQ(out, round * 10 + i);
    }
  }
  EXPECT_FALSE(ring.try_pop(out));
}

TEST(SpscRing, DrainTakesAtMostMaxAndFreesTheirSlots) {
  SpscRing<int> ring(4);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(ring.try_push(int{i}));
  std::vector<int> got;
  EXPECT_EQ(ring.drain(3, [&](int&& v) { got.push_back(v); }), 3u);
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(ring.size_approx(), 1u);
  EXPECT_TRUE(ring.try_push(4));
}

TEST(SpscRing, ProducerFillHintTurnsTrueAtTheThreshold) {
  SpscRing<int> ring(8);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ring.try_push(int{i}));
  EXPECT_FALSE(ring.producer_fill_at_least(4));
  ASSERT_TRUE(ring.try_push(3));
  EXPECT_TRUE(ring.producer_fill_at_least(4));
  int out;
  ASSERT_TRUE(ring.try_pop(out));
  EXPECT_FALSE(ring.producer_fill_at_least(4));
}

TEST(SpscRing, EveryItemCrossesThreadsExactlyOnceInOrder) {
  constexpr int kItems = 50'000;
  SpscRing<std::string> ring(64);
  std::thread producer([&] {
    for (int i = 0; i < kItems; ++i) {
      std::string item = "item-" + std::to_string(i) + "-padding-past-small-string-size";
      while (!ring.try_push(std::move(item))) std::this_thread::yield();
    }
  });
  int next = 0;
  std::string out;
  while (next < kItems) {
    if (!ring.try_pop(out)) {
      std::this_thread::yield();
      continue;
    }
    ASSERT_EQ(out, "item-" + std::to_string(next) + "-padding-past-small-string-size");
    ++next;
  }
  producer.join();
  EXPECT_FALSE(ring.try_pop(out));
}

TEST(SpscRing, DestroysItemsLeftInIt) {
  auto tracked = std::make_shared<int>(0);
  {
    SpscRing<std::shared_ptr<int>> ring(4);
    ASSERT_TRUE(ring.try_push(std::shared_ptr<int>(tracked)));
    EXPECT_EQ(tracked.use_count(), 2);
  }
  EXPECT_EQ(tracked.use_count(), 1);
}

}  // namespace
}  // namespace sluice::ledger
