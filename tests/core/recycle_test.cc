// A shard reuses the memory of requests that ended: strings, send chunks and exchange
// blocks come back from the thread's own lists, and what a thread keeps is bounded.
#include "sluice/core/recycle.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace sluice::core {
namespace {

TEST(Recycle, ATakenStringHasTheMemoryOfOneGivenBack) {
  std::string s(1000, 'x');
  const char* memory = s.data();
  recycle_string(std::move(s));
  std::string again = take_string();
  EXPECT_TRUE(again.empty());
  EXPECT_GE(again.capacity(), 1000u);
  EXPECT_EQ(again.data(), memory);
}

TEST(Recycle, LargeStringsAreNotKept) {
  while (take_string().capacity() > 15) {
  }  // drain what earlier tests left
  recycle_string(std::string(kMaxKeptBytes + 1, 'x'));
  EXPECT_EQ(take_string().capacity(), std::string().capacity());
}

TEST(Recycle, AThreadKeepsAtMostKeepStrings) {
  while (take_string().capacity() > 15) {
  }
  for (size_t i = 0; i < kKeep + 10; ++i) recycle_string(std::string(100, 'x'));
  size_t kept = 0;
  while (take_string().capacity() > 15) ++kept;
  EXPECT_EQ(kept, kKeep);
}

TEST(Recycle, ASlicesChunkReturnsItsStringWhenTheLastSliceGoes) {
  while (take_string().capacity() > 15) {
  }
  std::string bytes(500, 'r');
  const char* memory = bytes.data();
  {
    Slice s = recycled_slice(std::move(bytes));
    ASSERT_EQ(s.size(), 500u);
    EXPECT_EQ(s.data(), memory);
    Slice part = s.sub(10, 20);
    EXPECT_GE(s.chunk()->footprint(), 500u);
    s = Slice();
    // One slice still holds it: nothing came back yet.
    EXPECT_EQ(take_string().capacity(), std::string().capacity());
    EXPECT_EQ(part.view(), std::string(20, 'r'));
  }
  std::string again = take_string();
  EXPECT_EQ(again.data(), memory);
  // The chunk object itself is reused by the next slice.
  Chunk* first = nullptr;
  {
    Slice a = recycled_slice(std::string(100, 'a'));
    first = a.chunk();
  }
  Slice b = recycled_slice(std::string(100, 'b'));
  EXPECT_EQ(b.chunk(), first);
  EXPECT_EQ(b.view(), std::string(100, 'b'));
  EXPECT_EQ(b.chunk()->refs(), 1u);
}

TEST(Recycle, BlocksOfOneSizeAreReused) {
  void* a = take_block(296);
  recycle_block(a, 296);
  void* b = take_block(296);
  EXPECT_EQ(a, b);
  void* c = take_block(96);  // another size: another list
  EXPECT_NE(c, b);
  recycle_block(b, 296);
  recycle_block(c, 96);
}

TEST(Recycle, ThreadsKeepTheirOwnLists) {
  std::string s(300, 'x');
  const char* memory = s.data();
  recycle_string(std::move(s));
  const char* seen = nullptr;
  std::thread t([&] { seen = take_string().data(); });
  t.join();
  EXPECT_NE(seen, memory);                  // the other thread had nothing kept
  EXPECT_EQ(take_string().data(), memory);  // still here for this one
}

}  // namespace
}  // namespace sluice::core
