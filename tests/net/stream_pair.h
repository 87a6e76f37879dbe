#pragma once
// What the Stream tests share: a shard's loop and receive ring, Streams adopted from one
// end of a socketpair (the other end kept open, so nothing completes on its own), and a
// wait until every Stream has freed itself.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "sluice/core/buffer_ring.h"
#include "sluice/core/event_loop.h"
#include "sluice/net/stream.h"

namespace sluice::net {

template <class Handler>
class StreamPairTest : public ::testing::Test {
 protected:
  core::EventLoop loop{256};
  core::BufferRing buffers{loop.ring(), 0, 64, 4096};
  IoContext io{loop, buffers, {}};
  Handler handler;
  std::vector<int> peers;
  int peer = -1;  // the other end of the last pair

  ~StreamPairTest() override {
    for (int fd : peers) ::close(fd);
  }

  // A connected pair; the first end becomes a Stream.
  Stream* adopt_pair() {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    peers.push_back(sv[1]);
    peer = sv[1];
    return Stream::adopt(io, sv[0], &handler);
  }

  // Turns the loop until every Stream is freed, or gives up after many turns.
  bool all_freed() {
    for (int i = 0; i < 2000 && io.live_streams > 0; ++i) loop.run_once(5000000);
    return io.live_streams == 0;
  }
};

}  // namespace sluice::net
