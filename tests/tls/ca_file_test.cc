// A provider's ca_file: what counts as one, and that it adds to the system store.

#include "sluice/tls/ca_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <optional>
#include <string>

#include "sluice/tls/tls_client.h"
#include "sluice/tls/tls_server.h"
#include "test_pki.h"
#include "tls_pump.h"

namespace sluice::tls {
namespace {

using test::pump_handshake;
using test::TestPki;

std::string read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// SSL_CERT_FILE names the system bundle for OpenSSL's default paths; set for one scope.
class SystemBundle {
 public:
  explicit SystemBundle(const std::string& file) {
    if (const char* v = getenv("SSL_CERT_FILE")) old_ = v;
    setenv("SSL_CERT_FILE", file.c_str(), 1);
  }
  ~SystemBundle() {
    if (old_)
      setenv("SSL_CERT_FILE", old_->c_str(), 1);
    else
      unsetenv("SSL_CERT_FILE");
  }

 private:
  std::optional<std::string> old_;
};

bool verifies(const TlsClientContext& client_ctx, const test::IssuedCertificate& server_cert,
              const std::string& host, std::string& why) {
  TlsServerContext server_ctx({server_cert.cert_file, server_cert.key_file});
  TlsClientSession client(client_ctx, host, 443);
  TlsServerSession server(server_ctx);
  bool done = pump_handshake(client, server).client == HandshakeStatus::done;
  why = client.failure_reason();
  return done;
}

TEST(CaFile, ACaCertificateIsAcceptable) {
  TestPki pki;
  EXPECT_EQ(ca_file_problem(pki.ca_cert_file()), "");
}

TEST(CaFile, SeveralCertificatesAndOtherBlocksAreAcceptable) {
  TestPki a("CA a"), b("CA b");
  auto leaf = a.issue_server("leaf", {.dns_names = {"x.test"}});
  std::string bundle = a.dir() + "/bundle.pem";
  write(bundle, read(a.ca_cert_file()) + read(leaf.key_file) + read(b.ca_cert_file()));
  EXPECT_EQ(ca_file_problem(bundle), "");
}

TEST(CaFile, AMissingFileIsNamed) {
  std::string why = ca_file_problem("/nonexistent/ca.pem");
  EXPECT_TRUE(contains(why, "/nonexistent/ca.pem")) << why;
}

TEST(CaFile, ADirectoryIsRefused) {
  TestPki pki;
  EXPECT_TRUE(contains(ca_file_problem(pki.dir()), "not a regular file"));
}

TEST(CaFile, AFileWithoutCertificatesIsRefused) {
  TestPki pki;
  auto leaf = pki.issue_server("leaf", {.dns_names = {"x.test"}});
  EXPECT_TRUE(contains(ca_file_problem(leaf.key_file), "no PEM certificate"));
  std::string text = pki.dir() + "/notes.txt";
  write(text, "not a certificate\n");
  EXPECT_TRUE(contains(ca_file_problem(text), "no PEM certificate"));
}

TEST(CaFile, ACorruptCertificateIsRefused) {
  TestPki pki;
  // The first two lines of base64 only: a DER certificate cut short.
  std::string pem = read(pki.ca_cert_file());
  size_t cut = pem.find('\n', pem.find('\n', pem.find('\n') + 1) + 1);
  std::string bad = pki.dir() + "/bad.pem";
  write(bad, pem.substr(0, cut + 1) + "-----END CERTIFICATE-----\n");
  EXPECT_FALSE(ca_file_problem(bad).empty());
}

TEST(CaFile, AddsToTheSystemStoreInsteadOfReplacingIt) {
  TestPki system_ca("public CA"), private_ca("private CA");
  auto public_server = system_ca.issue_server("public", {.dns_names = {"api.public.test"}});
  auto private_server = private_ca.issue_server("private", {.dns_names = {"llm.corp.test"}});
  SystemBundle bundle(system_ca.ca_cert_file());
  TlsClientContext with_ca_file({private_ca.ca_cert_file()});
  std::string why;
  EXPECT_TRUE(verifies(with_ca_file, private_server, "llm.corp.test", why)) << why;
  EXPECT_TRUE(verifies(with_ca_file, public_server, "api.public.test", why)) << why;
}

TEST(CaFile, AnUntrustedCaIsStillRefused) {
  TestPki system_ca("public CA"), private_ca("private CA"), stranger("stranger CA");
  auto stranger_server = stranger.issue_server("s", {.dns_names = {"s.test"}});
  SystemBundle bundle(system_ca.ca_cert_file());
  TlsClientContext with_ca_file({private_ca.ca_cert_file()});
  std::string why;
  EXPECT_FALSE(verifies(with_ca_file, stranger_server, "s.test", why));
  EXPECT_TRUE(contains(why, "certificate verify failed")) << why;
}

}  // namespace
}  // namespace sluice::tls
