// Plaintext through an established connection: both directions, large payloads cut
// at awkward places, clean and unclean ends, and errors that stay with their connection.

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <string>

#include "sluice/tls/tls_client.h"
#include "sluice/tls/tls_server.h"
#include "test_pki.h"
#include "tls_pump.h"

namespace sluice::tls {
namespace {

using test::pump_handshake;
using test::read_available;
using test::TestPki;
using test::transfer;

class TlsTransferTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new TestPki();
    auto issued = pki_->issue_server("server", {.dns_names = {"api.sluice.test"}});
    server_ctx_ = new TlsServerContext({issued.cert_file, issued.key_file});
    client_ctx_ = new TlsClientContext({pki_->ca_cert_file()});
  }
  static void TearDownTestSuite() {
    delete client_ctx_;
    delete server_ctx_;
    delete pki_;
  }

  void SetUp() override {
    ASSERT_EQ(pump_handshake(client_, server_).client, HandshakeStatus::done)
        << client_.failure_reason();
  }

  static TestPki* pki_;
  static TlsServerContext* server_ctx_;
  static TlsClientContext* client_ctx_;
  TlsClientSession client_{*client_ctx_, "api.sluice.test", 443};
  TlsServerSession server_{*server_ctx_};
};

TestPki* TlsTransferTest::pki_ = nullptr;
TlsServerContext* TlsTransferTest::server_ctx_ = nullptr;
TlsClientContext* TlsTransferTest::client_ctx_ = nullptr;

// Deterministic bytes where every position differs from its neighbours, so a dropped,
// duplicated or reordered piece cannot compare equal.
std::string payload(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 131 + i / 251) & 0xff);
  return out;
}

// Writes `data` from `from` in odd-sized pieces, moves the ciphertext to `to` in other
// odd-sized pieces, and reads it with an odd buffer size, interleaved as a loop would.
std::string send_in_odd_pieces(TlsEngine& from, TlsEngine& to, const std::string& data) {
  static constexpr std::size_t kWriteSizes[] = {1, 3, 4093, 16385, 7, 65537, 333, 16384};
  static constexpr std::size_t kFeedSizes[] = {1, 5, 17, 1021, 9973, 3, 40961};
  std::string received;
  std::size_t written = 0, w = 0, f = 0;
  char chunk[40961];
  while (written < data.size()) {
    std::size_t n = std::min(kWriteSizes[w++ % std::size(kWriteSizes)], data.size() - written);
    EXPECT_EQ(from.write_plaintext(std::string_view(data).substr(written, n)),
              WriteStatus::written);
    written += n;
    while (std::size_t got = from.take_ciphertext(chunk, kFeedSizes[f++ % std::size(kFeedSizes)])) {
      to.feed_ciphertext(std::string_view(chunk, got));
      EXPECT_NE(read_available(to, received, 977), ReadStatus::failed) << to.failure_reason();
    }
  }
  return received;
}

TEST_F(TlsTransferTest, ClientPlaintextReachesServer) {
  ASSERT_EQ(client_.write_plaintext("POST /v1/chat/completions HTTP/1.1\r\n\r\n"),
            WriteStatus::written);
  transfer(client_, server_);
  std::string got;
  EXPECT_EQ(read_available(server_, got), ReadStatus::want_more);
  EXPECT_EQ(got, "POST /v1/chat/completions HTTP/1.1\r\n\r\n");
}

TEST_F(TlsTransferTest, ServerPlaintextReachesClient) {
  ASSERT_EQ(server_.write_plaintext("HTTP/1.1 200 OK\r\n\r\n"), WriteStatus::written);
  transfer(server_, client_);
  std::string got;
  EXPECT_EQ(read_available(client_, got), ReadStatus::want_more);
  EXPECT_EQ(got, "HTTP/1.1 200 OK\r\n\r\n");
}

TEST_F(TlsTransferTest, OneMebibyteInOddPiecesRoundTripsClientToServer) {
  std::string data = payload(1 << 20);
  EXPECT_EQ(send_in_odd_pieces(client_, server_, data), data);
}

TEST_F(TlsTransferTest, OneMebibyteInOddPiecesRoundTripsServerToClient) {
  std::string data = payload(1 << 20);
  EXPECT_EQ(send_in_odd_pieces(server_, client_, data), data);
}

TEST_F(TlsTransferTest, NothingIsReadableUntilTheWholeRecordArrived) {
  ASSERT_EQ(server_.write_plaintext("data: {}\n\n"), WriteStatus::written);
  std::string record;
  server_.take_ciphertext(record);
  client_.feed_ciphertext(std::string_view(record).substr(0, record.size() - 1));
  std::string got;
  EXPECT_EQ(read_available(client_, got), ReadStatus::want_more);
  EXPECT_EQ(got, "");
  client_.feed_ciphertext(std::string_view(record).substr(record.size() - 1));
  EXPECT_EQ(read_available(client_, got), ReadStatus::want_more);
  EXPECT_EQ(got, "data: {}\n\n");
}

TEST_F(TlsTransferTest, CloseNotifyIsReportedAsClosed) {
  ASSERT_EQ(server_.write_plaintext("last bytes"), WriteStatus::written);
  server_.shutdown();
  transfer(server_, client_);
  std::string got;
  EXPECT_EQ(read_available(client_, got), ReadStatus::closed);
  EXPECT_EQ(got, "last bytes");
  char buf[16];
  EXPECT_EQ(client_.read_plaintext(buf, sizeof buf).status, ReadStatus::closed);
  EXPECT_FALSE(client_.failed());
}

TEST_F(TlsTransferTest, WritingAfterShutdownIsRefused) {
  client_.shutdown();
  EXPECT_GT(client_.pending_ciphertext(), 0u);
  EXPECT_EQ(client_.write_plaintext("too late"), WriteStatus::closed);
}

TEST_F(TlsTransferTest, EofWithoutCloseNotifyIsAFailureNotAnEnd) {
  ASSERT_EQ(server_.write_plaintext("truncated respo"), WriteStatus::written);
  transfer(server_, client_);
  client_.feed_eof();
  std::string got;
  EXPECT_EQ(read_available(client_, got), ReadStatus::failed);
  EXPECT_EQ(got, "truncated respo");
  EXPECT_NE(client_.failure_reason().find("unexpected eof"), std::string::npos)
      << client_.failure_reason();
}

TEST_F(TlsTransferTest, CorruptedRecordFailsTheConnection) {
  ASSERT_EQ(server_.write_plaintext("usage: 42 tokens"), WriteStatus::written);
  std::string record;
  server_.take_ciphertext(record);
  record[record.size() - 3] ^= 0x01;
  client_.feed_ciphertext(record);
  char buf[64];
  EXPECT_EQ(client_.read_plaintext(buf, sizeof buf).status, ReadStatus::failed);
  EXPECT_FALSE(client_.failure_reason().empty());
  EXPECT_EQ(client_.read_plaintext(buf, sizeof buf).status, ReadStatus::failed);
  EXPECT_EQ(client_.write_plaintext("more"), WriteStatus::failed);
}

TEST_F(TlsTransferTest, OneConnectionsFailureDoesNotLeakIntoAnother) {
  TlsClientSession other_client(*client_ctx_, "api.sluice.test", 443);
  TlsServerSession other_server(*server_ctx_);
  ASSERT_EQ(pump_handshake(other_client, other_server).client, HandshakeStatus::done);

  client_.feed_ciphertext(std::string(64, '\x17'));  // garbage: fails client_
  char buf[64];
  ASSERT_EQ(client_.read_plaintext(buf, sizeof buf).status, ReadStatus::failed);

  ASSERT_EQ(other_server.write_plaintext("fine"), WriteStatus::written);
  transfer(other_server, other_client);
  std::string got;
  EXPECT_EQ(read_available(other_client, got), ReadStatus::want_more);
  EXPECT_EQ(got, "fine");
  EXPECT_TRUE(other_client.failure_reason().empty());
}

TEST_F(TlsTransferTest, StaleErrorOnTheThreadDoesNotFailAConnection) {
  std::string ignored;
  ASSERT_EQ(read_available(client_, ignored), ReadStatus::want_more);  // tickets are in
  // Some other code on this shard thread left an error behind; SSL_get_error would
  // blame our connection for it unless each call starts with an empty queue.
  ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);
  char buf[16];
  EXPECT_EQ(client_.read_plaintext(buf, sizeof buf).status, ReadStatus::want_more);
  EXPECT_FALSE(client_.failed()) << client_.failure_reason();
}

TEST_F(TlsTransferTest, CallsLeaveTheThreadsErrorQueueEmpty) {
  client_.feed_ciphertext(std::string(64, '\x17'));
  char buf[16];
  ASSERT_EQ(client_.read_plaintext(buf, sizeof buf).status, ReadStatus::failed);
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(TlsTransferBeforeHandshake, WriteIsNotReadyUntilHandshakeDone) {
  TestPki pki;
  TlsClientContext ctx({pki.ca_cert_file()});
  TlsClientSession client(ctx, "api.sluice.test", 443);
  EXPECT_EQ(client.write_plaintext("GET / HTTP/1.1\r\n\r\n"), WriteStatus::not_ready);
  EXPECT_FALSE(client.failed());
}

TEST(TlsTransferBeforeHandshake, ReadDrivesTheHandshake) {
  TestPki pki;
  auto issued = pki.issue_server("server", {.dns_names = {"api.sluice.test"}});
  TlsServerContext server_ctx({issued.cert_file, issued.key_file});
  TlsClientContext client_ctx({pki.ca_cert_file()});
  TlsClientSession client(client_ctx, "api.sluice.test", 443);
  TlsServerSession server(server_ctx);
  char buf[64];
  for (int i = 0; i < 8 && !(client.handshake_done() && server.handshake_done()); ++i) {
    EXPECT_NE(client.read_plaintext(buf, sizeof buf).status, ReadStatus::failed);
    transfer(client, server);
    EXPECT_NE(server.read_plaintext(buf, sizeof buf).status, ReadStatus::failed);
    transfer(server, client);
  }
  EXPECT_TRUE(client.handshake_done());
  EXPECT_TRUE(server.handshake_done());
}

TEST(TlsTransferMove, MovedSessionKeepsWorking) {
  TestPki pki;
  auto issued = pki.issue_server("server", {.dns_names = {"api.sluice.test"}});
  TlsServerContext server_ctx({issued.cert_file, issued.key_file});
  TlsClientContext client_ctx({pki.ca_cert_file()});
  TlsClientSession first(client_ctx, "api.sluice.test", 443);
  TlsClientSession client(std::move(first));
  TlsServerSession server(server_ctx);
  ASSERT_EQ(pump_handshake(client, server).client, HandshakeStatus::done);
  ASSERT_EQ(server.write_plaintext("moved"), WriteStatus::written);
  transfer(server, client);
  std::string got;
  read_available(client, got);
  EXPECT_EQ(got, "moved");
}

}  // namespace
}  // namespace sluice::tls
