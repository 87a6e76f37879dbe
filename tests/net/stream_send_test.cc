// What a loop turn queues on a Stream leaves in one sendmsg: a response head and its
// body are one send, not two, and the peer reads them in order. Bytes queued while a
// send is in flight follow in the next one.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "sluice/core/buffer_ring.h"
#include "sluice/core/event_loop.h"
#include "sluice/net/stream.h"
#include "stream_pair.h"

namespace sluice::net {
namespace {

struct Ignore final : StreamHandler {
  void on_data(Stream&, core::Slice) override {}
  void on_peer_closed(Stream&, int) override {}
};

class StreamSend : public StreamPairTest<Ignore> {
 protected:
  // Turns the loop until the peer has read `n` bytes (or gives up); returns them.
  std::string read_peer(size_t n) {
    std::string got;
    char buf[4096];
    for (int turn = 0; turn < 2000 && got.size() < n; ++turn) {
      loop.run_once(1000000);
      ssize_t r = ::recv(peer, buf, sizeof buf, MSG_DONTWAIT);
      if (r > 0) got.append(buf, static_cast<size_t>(r));
    }
    return got;
  }
};

TEST_F(StreamSend, AHeadAndItsBodyQueuedInOneTurnLeaveInOneSendmsg) {
  Stream* s = adopt_pair();
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n";
  s->send(head);
  s->send(core::Slice::from_static("hello world"));
  // Nothing is submitted until the turn ends.
  EXPECT_EQ(s->sendmsgs(), 0u);
  EXPECT_EQ(read_peer(head.size() + 11), head + "hello world");
  EXPECT_EQ(s->sendmsgs(), 1u);
  EXPECT_EQ(s->queued_bytes(), 0u);
  s->close();
  EXPECT_TRUE(all_freed());
}

TEST_F(StreamSend, BytesQueuedWhileASendIsInFlightFollowInTheNextOne) {
  Stream* s = adopt_pair();
  s->send(std::string("first "));
  loop.run_once(0);  // the first send is submitted
  ASSERT_EQ(s->sendmsgs(), 1u);
  s->send(std::string("second "));
  s->send(std::string("third"));
  EXPECT_EQ(read_peer(18), "first second third");
  // However the completions fell, the two later pieces never took a send each on top.
  EXPECT_LE(s->sendmsgs(), 2u);
  s->close();
  EXPECT_TRUE(all_freed());
}

TEST_F(StreamSend, ClosingBeforeTheTurnEndsSendsNothingAndFreesTheStream) {
  Stream* s = adopt_pair();
  s->send(std::string("never sent"));
  s->close();
  EXPECT_TRUE(all_freed());
  char buf[64];
  EXPECT_EQ(::recv(peer, buf, sizeof buf, MSG_DONTWAIT), 0);  // EOF, no bytes
}

TEST_F(StreamSend, CloseAfterSendStillSendsWhatTheTurnQueued) {
  Stream* s = adopt_pair();
  s->send(std::string("last words"));
  s->close_after_send();
  EXPECT_EQ(read_peer(10), "last words");
  EXPECT_TRUE(all_freed());
  char buf[64];
  EXPECT_EQ(::recv(peer, buf, sizeof buf, 0), 0);  // then the FIN
}

}  // namespace
}  // namespace sluice::net
