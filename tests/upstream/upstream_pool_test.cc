// The upstream pool's reuse and eviction rules, against real loopback sockets driven by
// a real event loop: a connection released whole is reused (most recently used first),
// one released after an incomplete exchange never is, the per-origin idle cap and the
// per-connection request cap close what exceeds them, and an idle connection that its
// server closes, writes to, or leaves idle past the timeout is dropped.

#include "sluice/upstream/upstream_pool.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "sluice/core/buffer_ring.h"
#include "sluice/core/event_loop.h"
#include "sluice/net/stream.h"

namespace sluice::upstream {
namespace {

struct User final : UpstreamUser {
  void on_upstream_ready(UpstreamConnection&, int err) override {
    ++ready;
    last_err = err;
  }
  void on_upstream_data(UpstreamConnection&, core::Slice data) override {
    received += std::string(data.view());
  }
  void on_upstream_closed(UpstreamConnection&, int) override { ++closed; }
  int ready = 0;
  int last_err = 1;
  int closed = 0;
  std::string received;
};

class UpstreamPoolTest : public ::testing::Test {
 protected:
  core::EventLoop loop{256};
  core::BufferRing buffers{loop.ring(), 0, 64, 4096};
  net::IoContext io{loop, buffers, {}};
  int listener = -1;
  std::vector<int> accepted;  // the server's ends
  Origin origin;

  UpstreamPoolTest() {
    listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(listener, 64), 0);
    socklen_t len = sizeof a;
    getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len);
    origin.host = "127.0.0.1";
    origin.port = ntohs(a.sin_port);
    origin.host_header = "127.0.0.1:" + std::to_string(origin.port);
    std::memcpy(&origin.addr, &a, sizeof a);
    origin.addr_len = sizeof a;
  }

  ~UpstreamPoolTest() override {
    for (int fd : accepted) ::close(fd);
    ::close(listener);
  }

  // Turns the loop until `done` holds, or gives up after many turns.
  template <class F>
  bool turn_until(F done) {
    for (int i = 0; i < 2000 && !done(); ++i) {
      loop.run_once(2000000);
      accept_pending();
    }
    return done();
  }

  void accept_pending() {
    for (;;) {
      int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) return;
      accepted.push_back(fd);
    }
  }

  // A connected connection for `user`.
  UpstreamConnection* connect(UpstreamPool& pool, User& user) {
    int before = user.ready;
    UpstreamConnection* c = pool.acquire(origin, &user);
    EXPECT_TRUE(turn_until([&] { return user.ready > before; }));
    EXPECT_EQ(user.last_err, 0);
    return c;
  }

  // Ends a test: every connection released or closed, every socket freed and every
  // deferred delete run, so nothing outlives the loop.
  void finish(UpstreamPool& pool, std::vector<UpstreamConnection*> active = {}) {
    for (UpstreamConnection* c : active) pool.release(c, false);
    pool.close_idle();
    EXPECT_TRUE(turn_until([&] { return io.live_streams == 0; }));
    loop.run_once(0);
  }

  // True once the server's end `fd` reads end of file (the pool closed the connection).
  bool server_sees_close(int fd) {
    return turn_until([&] {
      char b[64];
      ssize_t n = ::recv(fd, b, sizeof b, MSG_DONTWAIT);
      return n == 0;
    });
  }
};

TEST_F(UpstreamPoolTest, ReleasedWholeIsReused) {
  UpstreamPool pool(io);
  User a, b;
  UpstreamConnection* c = connect(pool, a);
  ASSERT_TRUE(turn_until([&] { return accepted.size() == 1; }));
  EXPECT_FALSE(c->reused());
  pool.release(c, true);
  EXPECT_EQ(pool.idle_count(), 1u);
  EXPECT_EQ(pool.connections(origin).idle, 1u);

  UpstreamConnection* again = connect(pool, b);
  EXPECT_EQ(again, c);
  EXPECT_TRUE(again->reused());
  EXPECT_EQ(pool.opened(), 1u);
  EXPECT_EQ(pool.reused(), 1u);
  EXPECT_EQ(pool.idle_count(), 0u);
  EXPECT_EQ(pool.connections(origin).active, 1u);

  // The reused connection carries bytes both ways to the same server end.
  again->send(std::string("ping"));
  char buf[8] = {};
  ssize_t got = -1;
  turn_until(
      [&] { return got >= 0 || (got = ::recv(accepted[0], buf, sizeof buf, MSG_DONTWAIT)) >= 0; });
  ASSERT_EQ(got, 4) << errno;
  EXPECT_EQ(std::string(buf, 4), "ping");
  ASSERT_EQ(::send(accepted[0], "pong", 4, 0), 4);
  ASSERT_TRUE(turn_until([&] { return b.received == "pong"; }));
  pool.release(again, true);
  finish(pool);
}

TEST_F(UpstreamPoolTest, IncompleteExchangeIsNeverReused) {
  UpstreamPool pool(io);
  User a, b;
  UpstreamConnection* c = connect(pool, a);
  ASSERT_TRUE(turn_until([&] { return accepted.size() == 1; }));
  pool.release(c, false);
  EXPECT_EQ(pool.idle_count(), 0u);
  EXPECT_TRUE(server_sees_close(accepted[0]));
  UpstreamConnection* fresh = connect(pool, b);
  EXPECT_EQ(pool.opened(), 2u);
  EXPECT_EQ(pool.reused(), 0u);
  finish(pool, {fresh});
}

TEST_F(UpstreamPoolTest, MostRecentlyUsedFirst) {
  UpstreamPool pool(io);
  User a, b, c;
  UpstreamConnection* first = connect(pool, a);
  UpstreamConnection* second = connect(pool, b);
  pool.release(first, true);
  pool.release(second, true);
  EXPECT_EQ(pool.idle_count(), 2u);
  UpstreamConnection* got = connect(pool, c);
  EXPECT_EQ(got, second);
  finish(pool, {got});
}

TEST_F(UpstreamPoolTest, IdleCapClosesTheExcess) {
  origin.pool.max_idle_per_shard = 2;
  UpstreamPool pool(io);
  User users[3];
  UpstreamConnection* conns[3];
  for (int i = 0; i < 3; ++i) conns[i] = connect(pool, users[i]);
  ASSERT_TRUE(turn_until([&] { return accepted.size() == 3; }));
  for (UpstreamConnection* c : conns) pool.release(c, true);
  EXPECT_EQ(pool.idle_count(), 2u);
  EXPECT_EQ(pool.connections(origin).active, 0u);
  // Exactly one server end sees its connection closed.
  int closed = 0;
  turn_until([&] {
    closed = 0;
    for (int fd : accepted) {
      char b;
      if (::recv(fd, &b, 1, MSG_DONTWAIT) == 0) ++closed;
    }
    return closed == 1;
  });
  EXPECT_EQ(closed, 1);
  finish(pool);
}

TEST_F(UpstreamPoolTest, RequestCapRetiresTheConnection) {
  origin.pool.max_requests_per_conn = 2;
  UpstreamPool pool(io);
  User a, b, c;
  UpstreamConnection* conn = connect(pool, a);
  pool.release(conn, true);  // served 1
  ASSERT_EQ(connect(pool, b), conn);
  pool.release(conn, true);  // served 2: retired
  EXPECT_EQ(pool.idle_count(), 0u);
  UpstreamConnection* fresh = connect(pool, c);
  EXPECT_EQ(pool.opened(), 2u);
  finish(pool, {fresh});
}

TEST_F(UpstreamPoolTest, IdleConnectionClosedByServerIsDropped) {
  UpstreamPool pool(io);
  User a, b;
  pool.release(connect(pool, a), true);
  ASSERT_TRUE(turn_until([&] { return accepted.size() == 1; }));
  ::close(accepted[0]);
  accepted.clear();
  EXPECT_TRUE(turn_until([&] { return pool.idle_count() == 0; }));
  EXPECT_EQ(a.closed, 0);  // nobody was using it: no user hears of it
  UpstreamConnection* fresh = connect(pool, b);
  EXPECT_EQ(pool.opened(), 2u);
  finish(pool, {fresh});
}

TEST_F(UpstreamPoolTest, StrayBytesOnAnIdleConnectionDropIt) {
  UpstreamPool pool(io);
  User a;
  pool.release(connect(pool, a), true);
  ASSERT_TRUE(turn_until([&] { return accepted.size() == 1; }));
  ASSERT_EQ(::send(accepted[0], "HTTP/1.1 408 x\r\n\r\n", 18, 0), 18);
  EXPECT_TRUE(turn_until([&] { return pool.idle_count() == 0; }));
  EXPECT_TRUE(a.received.empty());
  EXPECT_TRUE(server_sees_close(accepted[0]));
  finish(pool);
}

TEST_F(UpstreamPoolTest, IdleTimeoutEvicts) {
  origin.pool.idle_timeout_ms = 20;
  UpstreamPool pool(io);
  User a;
  pool.release(connect(pool, a), true);
  ASSERT_TRUE(turn_until([&] { return accepted.size() == 1; }));
  EXPECT_TRUE(turn_until([&] { return pool.idle_count() == 0; }));
  EXPECT_TRUE(server_sees_close(accepted[0]));
  finish(pool);
}

TEST_F(UpstreamPoolTest, RefusedConnectReportsAnError) {
  ::close(listener);  // nothing listens on the port any more
  listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  UpstreamPool pool(io);
  User a;
  pool.acquire(origin, &a);
  ASSERT_TRUE(turn_until([&] { return a.ready == 1; }));
  EXPECT_LT(a.last_err, 0);
  EXPECT_EQ(pool.idle_count(), 0u);
  EXPECT_EQ(pool.connections(origin).active, 0u);
  finish(pool);
}

TEST_F(UpstreamPoolTest, CloseIdleClosesEveryIdleConnection) {
  UpstreamPool pool(io);
  User a, b;
  UpstreamConnection* first = connect(pool, a);
  UpstreamConnection* second = connect(pool, b);
  pool.release(first, true);
  pool.release(second, true);
  ASSERT_TRUE(turn_until([&] { return accepted.size() == 2; }));
  pool.close_idle();
  EXPECT_EQ(pool.idle_count(), 0u);
  EXPECT_TRUE(server_sees_close(accepted[0]));
  EXPECT_TRUE(server_sees_close(accepted[1]));
  finish(pool);
}

}  // namespace
}  // namespace sluice::upstream
