// A Stream's send backlog is the memory its queued slices keep alive, not their payload:
// flow control pauses a producer on it, so a client that never reads pins at most about
// the high-water mark, however small the pieces it is sent. And a TLS stream decrypts
// into pooled blocks, many small records to a block, instead of a buffer per record.

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "sluice/core/buffer_ring.h"
#include "sluice/core/event_loop.h"
#include "sluice/net/stream.h"
#include "sluice/tls/plaintext_buffer.h"
#include "sluice/tls/tls_client.h"
#include "sluice/tls/tls_server.h"
#include "stream_pair.h"
#include "test_pki.h"

namespace sluice::net {
namespace {

struct Collect final : StreamHandler {
  void on_data(Stream&, core::Slice data) override {
    bytes += data.size();
    slices.push_back(std::move(data));
  }
  void on_peer_closed(Stream&, int err) override { closed_err = err; }
  std::vector<core::Slice> slices;
  size_t bytes = 0;
  int closed_err = 1;
};

class StreamBacklog : public StreamPairTest<Collect> {};

// A 100-byte piece in a buffer of its own, as a decrypted TLS record used to be.
core::Slice small_piece_of_a_big_buffer() {
  std::string bytes;
  bytes.reserve(16 * 1024);
  bytes.assign(100, 'e');
  return core::Slice::copy_of(std::move(bytes));
}

TEST_F(StreamBacklog, SmallPiecesOfBigBuffersCountTheBuffers) {
  Stream* s = adopt_pair();
  // Nothing goes out before the loop turns: every slice stays queued.
  for (int i = 0; i < 20; ++i) s->send(small_piece_of_a_big_buffer());
  // 2,000 bytes of payload pin twenty 16 KiB buffers: past the high-water mark.
  EXPECT_GE(s->queued_bytes(), 20u * 16 * 1024);
  EXPECT_TRUE(s->above_high_water());
  s->close();
  EXPECT_TRUE(all_freed());
}

TEST_F(StreamBacklog, SlicesOfOneBufferCountItOnce) {
  Stream* s = adopt_pair();
  core::Slice whole = core::Slice::copy_of(std::string(16 * 1024, 'x'));
  for (size_t off = 0; off < whole.size(); off += 128) s->send(whole.sub(off, 128));
  size_t one = whole.chunk()->footprint();
  // The buffer once, and a queue entry per slice (128 of them).
  size_t queued = s->queued_bytes();
  EXPECT_GE(queued, one);
  EXPECT_LE(queued, one + 128 * 64);
  // Static bytes pin nothing but their entry: they count their own size and the entry.
  s->send(core::Slice::from_static("\r\n"));
  EXPECT_GT(s->queued_bytes(), queued + 2);
  EXPECT_LE(s->queued_bytes(), queued + 2 + 64);
  s->close();
  EXPECT_TRUE(all_freed());
}

TEST_F(StreamBacklog, BacklogFallsToZeroOnceEverythingIsSent) {
  Stream* s = adopt_pair();
  core::Slice whole = core::Slice::copy_of(std::string(64 * 1024, 'y'));
  for (size_t off = 0; off < whole.size(); off += 1000) s->send(whole.sub(off, 1000));
  for (int i = 0; i < 20; ++i) s->send(small_piece_of_a_big_buffer());
  ASSERT_GT(s->queued_bytes(), 0u);
  size_t expect = 64 * 1024 + 20 * 100, got = 0;
  char buf[65536];
  for (int turn = 0; turn < 2000 && (got < expect || s->queued_bytes() > 0); ++turn) {
    loop.run_once(1000000);
    ssize_t n = ::recv(peer, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) got += static_cast<size_t>(n);
  }
  EXPECT_EQ(got, expect);
  EXPECT_EQ(s->queued_bytes(), 0u);
  // The chunk is no longer counted by any queue: another stream may count it afresh.
  EXPECT_EQ(whole.chunk()->charged_slices, 0u);
  EXPECT_EQ(whole.chunk()->charged_to, nullptr);
  s->close();
  EXPECT_TRUE(all_freed());
}

// The Stream is the TLS server; the test drives a client engine over the other end.
class TlsStreamReads : public StreamBacklog {
 protected:
  static void SetUpTestSuite() {
    pki_ = new test::TestPki();
    auto issued = pki_->issue_server("server", {.dns_names = {"api.sluice.test"}});
    server_ctx_ = new tls::TlsServerContext({issued.cert_file, issued.key_file});
    client_ctx_ = new tls::TlsClientContext({pki_->ca_cert_file()});
  }
  static void TearDownTestSuite() {
    delete client_ctx_;
    delete server_ctx_;
    delete pki_;
  }

  // Moves the client's ciphertext to the Stream and the Stream's back, a few turns.
  void exchange(tls::TlsEngine& client) {
    for (int turn = 0; turn < 20; ++turn) {
      std::string out;
      client.take_ciphertext(out);
      size_t off = 0;
      while (off < out.size()) {
        ssize_t n = ::write(peer, out.data() + off, out.size() - off);
        ASSERT_GT(n, 0);
        off += static_cast<size_t>(n);
      }
      loop.run_once(1000000);
      char buf[16384];
      for (;;) {
        ssize_t n = ::recv(peer, buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0) break;
        client.feed_ciphertext({buf, static_cast<size_t>(n)});
      }
      client.handshake();
    }
  }

  static test::TestPki* pki_;
  static tls::TlsServerContext* server_ctx_;
  static tls::TlsClientContext* client_ctx_;
};

test::TestPki* TlsStreamReads::pki_ = nullptr;
tls::TlsServerContext* TlsStreamReads::server_ctx_ = nullptr;
tls::TlsClientContext* TlsStreamReads::client_ctx_ = nullptr;

TEST_F(TlsStreamReads, SmallRecordsSharePooledBlocks) {
  Stream* s = adopt_pair();
  s->set_tls(std::make_unique<tls::TlsServerSession>(*server_ctx_));
  s->start_reading();
  tls::TlsClientSession client(*client_ctx_, "api.sluice.test", 443);
  exchange(client);
  ASSERT_TRUE(client.handshake_done()) << client.failure_reason();

  // 200 records of 100 bytes: SSE events as a provider sends them, one per record.
  std::string event(100, 'd');
  for (int i = 0; i < 200; ++i) ASSERT_EQ(client.write_plaintext(event), tls::WriteStatus::written);
  exchange(client);
  ASSERT_EQ(handler.bytes, 200u * 100);

  std::set<core::Chunk*> chunks;
  size_t pinned = 0;
  for (const core::Slice& piece : handler.slices)
    if (chunks.insert(piece.chunk()).second) pinned += piece.chunk()->footprint();
  // 20,000 bytes fill two 16 KiB blocks; a buffer per record would pin 200 of them.
  EXPECT_LE(chunks.size(), 2u);
  EXPECT_LE(pinned, 2 * (tls::PlaintextBuffer::kBlockSize + 256));

  // Once nothing views them, the blocks go back to the pool for the next reads.
  handler.slices.clear();
  exchange(client);
  EXPECT_GE(tls::PlaintextBuffer::blocks_pooled(), 1u);
  s->close();
  EXPECT_TRUE(all_freed());
}

}  // namespace
}  // namespace sluice::net
