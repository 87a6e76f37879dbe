// The scratch arena: each put() is a slice of its own bytes; the block is reused once no
// slice holds it, and a new one is made only when the old is full and still held.
#include "sluice/core/buffer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice::core {
namespace {

TEST(ScratchArena, EachPutIsASliceOfItsOwnBytes) {
  ScratchArena arena;
  Slice a = arena.put("1f\r\n");
  Slice b = arena.put("0\r\n");
  EXPECT_EQ(a.view(), "1f\r\n");
  EXPECT_EQ(b.view(), "0\r\n");
  EXPECT_EQ(a.chunk(), b.chunk());
  EXPECT_EQ(arena.blocks_made(), 1u);
}

TEST(ScratchArena, ABlockNoSliceHoldsIsReusedFromItsStart) {
  ScratchArena arena;
  const char* first = nullptr;
  for (int i = 0; i < 10000; ++i) {
    Slice s = arena.put("abcdef\r\n");
    if (first == nullptr) first = s.data();
    EXPECT_EQ(s.data(), first);  // sent and gone before the next line
    EXPECT_EQ(s.view(), "abcdef\r\n");
  }
  EXPECT_EQ(arena.blocks_made(), 1u);
}

TEST(ScratchArena, AFullBlockStillHeldGivesWayToANewOneAndKeepsItsBytes) {
  ScratchArena arena;
  std::vector<Slice> held;
  std::vector<std::string> want;
  for (int i = 0; i < 400; ++i) {
    std::string line = std::to_string(i) + "\r\n";
    held.push_back(arena.put(line));
    want.push_back(line);
  }
  EXPECT_GT(arena.blocks_made(), 1u);
  for (size_t i = 0; i < held.size(); ++i) EXPECT_EQ(held[i].view(), want[i]) << i;
  // Once every slice is gone the current block is reused again.
  uint64_t made = arena.blocks_made();
  held.clear();
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(arena.put("x\r\n").view(), "x\r\n");
  EXPECT_EQ(arena.blocks_made(), made);
}

TEST(ScratchArena, BytesLongerThanABlockGetAChunkOfTheirOwn) {
  ScratchArena arena;
  std::string big(arena.block_bytes() + 1, 'z');
  Slice s = arena.put(big);
  EXPECT_EQ(s.view(), big);
  EXPECT_EQ(arena.blocks_made(), 0u);
  Slice exact = arena.put(std::string(arena.block_bytes(), 'y'));
  EXPECT_EQ(exact.size(), arena.block_bytes());
  EXPECT_EQ(arena.blocks_made(), 1u);
}

}  // namespace
}  // namespace sluice::core
