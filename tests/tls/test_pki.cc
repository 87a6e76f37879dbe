#include "test_pki.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <utility>

namespace sluice::test {

namespace {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using CertPtr = std::unique_ptr<X509, CertFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

[[noreturn]] void fail(const std::string& what) {
  char buf[256] = "";
  if (unsigned long code = ERR_get_error()) ERR_error_string_n(code, buf, sizeof buf);
  ERR_clear_error();
  throw std::runtime_error("test PKI: " + what + (buf[0] != '\0' ? std::string(": ") + buf : ""));
}

KeyPtr new_p256_key() {
  KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) fail("cannot generate a P-256 key");
  return key;
}

void add_extension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, ctx, nid, value.c_str());
  if (ext == nullptr) fail("bad extension " + value);
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) fail("cannot add extension " + value);
}

// A v3 certificate for `key` named `common_name`, with a random serial. `issuer` null
// means self-signed.
CertPtr new_certificate(EVP_PKEY* key, const std::string& common_name, X509* issuer,
                        long not_before_seconds, long not_after_seconds) {
  CertPtr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) fail("cannot create X509");
  BIGNUM* serial = BN_new();
  bool serial_ok = serial != nullptr && BN_rand(serial, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
                   BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get())) != nullptr;
  BN_free(serial);
  if (!serial_ok) fail("cannot set a serial number");
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before_seconds) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after_seconds) == nullptr) {
    fail("cannot set validity");
  }
  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0) != 1) {
    fail("cannot set the subject");
  }
  X509_NAME* issuer_name = issuer != nullptr ? X509_get_subject_name(issuer) : subject;
  if (X509_set_issuer_name(cert.get(), issuer_name) != 1 || X509_set_pubkey(cert.get(), key) != 1) {
    fail("cannot set issuer or key");
  }
  return cert;
}

void write_pem(const std::string& path, X509* cert, EVP_PKEY* key) {
  BioPtr bio(BIO_new_file(path.c_str(), "w"));
  if (!bio) fail("cannot write " + path);
  bool ok = cert != nullptr ? PEM_write_bio_X509(bio.get(), cert) == 1
                            : PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr,
                                                       nullptr) == 1;
  if (!ok) fail("cannot write PEM to " + path);
}

std::string make_temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/sluice-pki-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("test PKI: mkdtemp failed");
  return pattern;
}

}  // namespace

TestPki::TestPki(const std::string& ca_common_name) : dir_(make_temp_dir()) {
  try {
    KeyPtr key = new_p256_key();
    CertPtr cert = new_certificate(key.get(), ca_common_name, nullptr, -3600, 7 * 24 * 3600);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
    // The subject key id must exist before the authority key id can refer to it.
    add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
    add_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) fail("cannot self-sign the CA");
    ca_cert_file_ = dir_ + "/ca.crt";
    write_pem(ca_cert_file_, cert.get(), nullptr);
    ca_key_ = key.release();
    ca_cert_ = cert.release();
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    throw;
  }
}

TestPki::~TestPki() {
  X509_free(ca_cert_);
  EVP_PKEY_free(ca_key_);
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

IssuedCertificate TestPki::issue_server(const std::string& name, const CertificateSpec& spec) {
  std::string san;
  for (const std::string& dns : spec.dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + dns;
  for (const std::string& ip : spec.ip_addresses) san += (san.empty() ? "IP:" : ",IP:") + ip;
  if (san.empty())
    throw std::runtime_error("test PKI: a server certificate needs a DNS name or IP");
  std::string common_name =
      !spec.dns_names.empty() ? spec.dns_names.front() : spec.ip_addresses.front();

  KeyPtr key = new_p256_key();
  CertPtr cert = new_certificate(key.get(), common_name, ca_cert_, spec.not_before_seconds,
                                 spec.not_after_seconds);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, ca_cert_, cert.get(), nullptr, nullptr, 0);
  add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth");
  add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
  add_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");
  add_extension(cert.get(), &ctx, NID_subject_alt_name, san);
  if (X509_sign(cert.get(), ca_key_, EVP_sha256()) == 0) fail("cannot sign " + name);

  IssuedCertificate issued{dir_ + "/" + name + ".crt", dir_ + "/" + name + ".key"};
  write_pem(issued.cert_file, cert.get(), nullptr);
  write_pem(issued.key_file, nullptr, key.get());
  return issued;
}

}  // namespace sluice::test
