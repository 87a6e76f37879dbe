// Client-side session resumption through the per-shard TlsSessionCache.

#include <gtest/gtest.h>
#include <openssl/ssl.h>

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

class TlsResumptionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new TestPki();
    auto issued = pki_->issue_server("server", {.dns_names = {"api.sluice.test"}});
    server_ctx_ = new TlsServerContext({issued.cert_file, issued.key_file});
    tls12_server_ctx_ = new TlsServerContext({issued.cert_file, issued.key_file});
    SSL_CTX_set_max_proto_version(tls12_server_ctx_->native_handle(), TLS1_2_VERSION);
    client_ctx_ = new TlsClientContext({pki_->ca_cert_file()});
  }
  static void TearDownTestSuite() {
    delete client_ctx_;
    delete tls12_server_ctx_;
    delete server_ctx_;
    delete pki_;
  }

  // One complete connection: handshake, then one read so that TLS 1.3 tickets (sent
  // after the handshake) are received. Returns whether it resumed.
  static bool connect(const TlsServerContext& server_ctx, TlsSessionCache* cache,
                      const char* host = "api.sluice.test", std::uint16_t port = 443) {
    TlsClientSession client(*client_ctx_, host, port, cache);
    TlsServerSession server(server_ctx);
    auto outcome = pump_handshake(client, server);
    EXPECT_EQ(outcome.client, HandshakeStatus::done) << client.failure_reason();
    std::string ignored;
    EXPECT_EQ(read_available(client, ignored), ReadStatus::want_more);
    EXPECT_EQ(client.session_reused(), server.session_reused());
    return client.session_reused();
  }

  static TestPki* pki_;
  static TlsServerContext* server_ctx_;
  static TlsServerContext* tls12_server_ctx_;
  static TlsClientContext* client_ctx_;
};

TestPki* TlsResumptionTest::pki_ = nullptr;
TlsServerContext* TlsResumptionTest::server_ctx_ = nullptr;
TlsServerContext* TlsResumptionTest::tls12_server_ctx_ = nullptr;
TlsClientContext* TlsResumptionTest::client_ctx_ = nullptr;

TEST_F(TlsResumptionTest, SecondTls13ConnectionToSameOriginResumes) {
  TlsSessionCache cache(*client_ctx_);
  EXPECT_FALSE(connect(*server_ctx_, &cache));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_TRUE(connect(*server_ctx_, &cache));
}

TEST_F(TlsResumptionTest, SecondTls12ConnectionToSameOriginResumes) {
  TlsSessionCache cache(*client_ctx_);
  EXPECT_FALSE(connect(*tls12_server_ctx_, &cache));
  EXPECT_TRUE(connect(*tls12_server_ctx_, &cache));
}

TEST_F(TlsResumptionTest, Tls13TicketArrivesOnlyWhenReadAfterHandshake) {
  TlsSessionCache cache(*client_ctx_);
  TlsClientSession client(*client_ctx_, "api.sluice.test", 443, &cache);
  TlsServerSession server(*server_ctx_);
  ASSERT_EQ(pump_handshake(client, server).client, HandshakeStatus::done);
  EXPECT_EQ(cache.size(), 0u);
  std::string ignored;
  read_available(client, ignored);
  EXPECT_EQ(cache.size(), 1u);
}

TEST_F(TlsResumptionTest, ResumedConnectionKeepsResumingAndCarriesData) {
  TlsSessionCache cache(*client_ctx_);
  connect(*server_ctx_, &cache);
  connect(*server_ctx_, &cache);
  TlsClientSession client(*client_ctx_, "api.sluice.test", 443, &cache);
  TlsServerSession server(*server_ctx_);
  ASSERT_EQ(pump_handshake(client, server).client, HandshakeStatus::done);
  EXPECT_TRUE(client.session_reused());
  EXPECT_EQ(client.alpn(), "http/1.1");
  ASSERT_EQ(server.write_plaintext("resumed"), WriteStatus::written);
  test::transfer(server, client);
  std::string got;
  read_available(client, got);
  EXPECT_EQ(got, "resumed");
}

TEST_F(TlsResumptionTest, OtherPortIsAnotherOriginAndDoesNotResume) {
  TlsSessionCache cache(*client_ctx_);
  connect(*server_ctx_, &cache, "api.sluice.test", 443);
  EXPECT_FALSE(connect(*server_ctx_, &cache, "api.sluice.test", 8443));
  EXPECT_EQ(cache.size(), 2u);
}

TEST_F(TlsResumptionTest, WithoutCacheEveryConnectionIsFull) {
  EXPECT_FALSE(connect(*server_ctx_, nullptr));
  EXPECT_FALSE(connect(*server_ctx_, nullptr));
}

TEST_F(TlsResumptionTest, CacheOfAnotherContextIsNotUsed) {
  TlsClientContext other_ctx({pki_->ca_cert_file()});
  TlsSessionCache foreign(other_ctx);
  connect(*server_ctx_, &foreign);
  EXPECT_EQ(foreign.size(), 0u);
}

TEST_F(TlsResumptionTest, ForgottenOriginDoesNotResume) {
  TlsSessionCache cache(*client_ctx_);
  connect(*server_ctx_, &cache);
  cache.forget("api.sluice.test:443");
  EXPECT_FALSE(connect(*server_ctx_, &cache));
}

TEST_F(TlsResumptionTest, CacheHoldsAtMostItsCapacity) {
  TlsSessionCache cache(*client_ctx_, 2);
  connect(*server_ctx_, &cache, "api.sluice.test", 1);
  connect(*server_ctx_, &cache, "api.sluice.test", 2);
  connect(*server_ctx_, &cache, "api.sluice.test", 3);
  EXPECT_EQ(cache.size(), 2u);
}

TEST_F(TlsResumptionTest, FatalAlertInvalidatesTheCachedSession) {
  TlsSessionCache cache(*client_ctx_);
  connect(*server_ctx_, &cache);
  {
    TlsClientSession client(*client_ctx_, "api.sluice.test", 443, &cache);
    TlsServerSession server(*server_ctx_);
    ASSERT_EQ(pump_handshake(client, server).client, HandshakeStatus::done);
    ASSERT_TRUE(client.session_reused());
    std::string got;
    read_available(client, got);  // takes the new tickets into the cache
    client.feed_ciphertext(std::string(64, '\x17'));
    ASSERT_EQ(read_available(client, got), ReadStatus::failed);
  }
  EXPECT_FALSE(connect(*server_ctx_, &cache));
}

TEST_F(TlsResumptionTest, FailedHandshakeStoresNoSession) {
  TlsSessionCache cache(*client_ctx_);
  TlsClientSession client(*client_ctx_, "wrong.sluice.test", 443, &cache);
  TlsServerSession server(*server_ctx_);
  EXPECT_EQ(pump_handshake(client, server).client, HandshakeStatus::failed);
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace sluice::tls
