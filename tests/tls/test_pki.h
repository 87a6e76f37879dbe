#pragma once

#include <openssl/types.h>

#include <string>
#include <vector>

namespace sluice::test {

// What a certificate issued by TestPki says about its holder.
struct CertificateSpec {
  std::vector<std::string> dns_names;     // subjectAltName DNS entries ("*.x.test" allowed)
  std::vector<std::string> ip_addresses;  // subjectAltName IP entries ("127.0.0.1", "::1")
  // Validity relative to now; a negative not_after makes an already expired certificate.
  long not_before_seconds = -3600;
  long not_after_seconds = 24 * 3600;
};

// The PEM files of one issued certificate.
struct IssuedCertificate {
  std::string cert_file;  // the leaf certificate (the CA is the root, so no chain)
  std::string key_file;   // its unencrypted P-256 private key
};

// A throwaway PKI generated at run time with the OpenSSL 3 API, for tests that need
// real TLS: a self-signed CA (EC P-256, CA:TRUE) in a fresh temporary directory, which
// issues server certificates for DNS names and/or IP addresses. The directory and
// everything in it are removed when the TestPki is destroyed.
//
// Setup code: throws std::runtime_error when OpenSSL or the file system fails.
//
//   sluice::test::TestPki pki;
//   auto server = pki.issue_server("mock", {.dns_names = {"localhost"},
//                                           .ip_addresses = {"127.0.0.1"}});
//   // sluice-mock --tls-cert server.cert_file --tls-key server.key_file
//   // client trusts pki.ca_cert_file()
class TestPki {
 public:
  explicit TestPki(const std::string& ca_common_name = "sluice test CA");
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  const std::string& dir() const { return dir_; }
  // The CA certificate (PEM) to configure as a client's ca_file.
  const std::string& ca_cert_file() const { return ca_cert_file_; }

  // Issues a certificate for a TLS server (serverAuth), signed by this CA, and writes
  // <name>.crt and <name>.key into dir().
  IssuedCertificate issue_server(const std::string& name, const CertificateSpec& spec);

 private:
  std::string dir_;
  std::string ca_cert_file_;
  EVP_PKEY* ca_key_ = nullptr;
  X509* ca_cert_ = nullptr;
};

}  // namespace sluice::test
