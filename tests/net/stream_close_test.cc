// Stream::close() cancels each of its in-flight operations (a multishot recv, a sendmsg
// waiting for room, a connect) and frees the Stream once the last completion is in: a
// Stream that is never freed would keep its descriptor and block a shard's shutdown.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "sluice/core/buffer_ring.h"
#include "sluice/core/event_loop.h"
#include "sluice/net/stream.h"
#include "stream_pair.h"

namespace sluice::net {
namespace {

struct Quiet final : StreamHandler {
  void on_data(Stream&, core::Slice) override { ++data; }
  void on_peer_closed(Stream&, int) override { ++peer_closed; }
  void on_connected(Stream&, int err) override {
    ++connected;
    last_err = err;
  }
  int data = 0;
  int peer_closed = 0;
  int connected = 0;
  int last_err = 1;
};

class StreamClose : public StreamPairTest<Quiet> {};

TEST_F(StreamClose, ClosingReadingStreamsFreesEveryOne) {
  std::vector<Stream*> streams;
  for (int i = 0; i < 100; ++i) {
    streams.push_back(adopt_pair());
    streams.back()->start_reading();
  }
  loop.run_once(0);  // the recvs are armed in the kernel
  EXPECT_EQ(io.live_streams, 100u);
  for (Stream* s : streams) s->close();
  EXPECT_TRUE(all_freed()) << io.live_streams << " streams left";
  EXPECT_EQ(handler.peer_closed, 0);  // close() silences the handler
}

TEST_F(StreamClose, ClosingWithASendWaitingForRoomFreesIt) {
  Stream* s = adopt_pair();
  s->start_reading();
  // The peer never reads: the socket buffer fills and the sendmsg waits for room.
  for (int i = 0; i < 64; ++i) s->send(std::string(64 * 1024, 'x'));
  for (int i = 0; i < 20; ++i) loop.run_once(1000000);
  ASSERT_GT(s->queued_bytes(), 0u);
  s->close();
  EXPECT_TRUE(all_freed());
}

TEST_F(StreamClose, ClosingDuringConnectFreesIt) {
  // A listener that never accepts: the connect completes on loopback, or waits when
  // the backlog is full; either way close() must leave nothing behind.
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(lfd, 0);
  peers.push_back(lfd);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(lfd, 1), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  sockaddr_storage ss{};
  std::memcpy(&ss, &a, sizeof a);
  std::vector<Stream*> streams;
  for (int i = 0; i < 8; ++i) {
    Stream* s = Stream::connect(io, ss, sizeof a, &handler);
    ASSERT_NE(s, nullptr);
    streams.push_back(s);
  }
  for (Stream* s : streams) s->close();  // before any completion was reaped
  EXPECT_TRUE(all_freed());
  EXPECT_EQ(handler.connected, 0);  // close() silences the handler
}

// An answer that ends a connection (a refusal sent before the body was read) waits for
// its bytes to go out while the client may still be sending: those bytes, and the
// client's close, reach no handler, since the owner let go of the Stream.
TEST_F(StreamClose, CloseAfterSendSilencesTheHandlerWhileTheAnswerGoesOut) {
  Stream* s = adopt_pair();
  int peer = peers.back();
  s->start_reading();
  loop.run_once(0);
  // The peer neither reads nor stops writing: the answer waits for room.
  for (int i = 0; i < 64; ++i) s->send(std::string(64 * 1024, 'x'));
  for (int i = 0; i < 20; ++i) loop.run_once(1000000);
  ASSERT_GT(s->queued_bytes(), 0u);
  s->close_after_send();
  std::string body(4096, 'b');
  for (int i = 0; i < 16; ++i) ASSERT_EQ(::write(peer, body.data(), body.size()), 4096);
  for (int i = 0; i < 20; ++i) loop.run_once(1000000);
  EXPECT_EQ(handler.data, 0);
  EXPECT_EQ(io.live_streams, 1u);  // still sending
  ::shutdown(peer, SHUT_RDWR);     // the peer goes away: the send fails, the Stream frees itself
  EXPECT_TRUE(all_freed()) << io.live_streams << " streams left";
  EXPECT_EQ(handler.data, 0);
  EXPECT_EQ(handler.peer_closed, 0);
}

TEST_F(StreamClose, CloseAfterSendFreesOnceTheAnswerIsOut) {
  Stream* s = adopt_pair();
  int peer = peers.back();
  s->start_reading();
  loop.run_once(0);
  s->send(std::string("HTTP/1.1 401 Unauthorized\r\n\r\n"));
  s->close_after_send();
  EXPECT_TRUE(all_freed()) << io.live_streams << " streams left";
  char buf[64];
  EXPECT_GT(::read(peer, buf, sizeof buf), 0);
}

}  // namespace
}  // namespace sluice::net
