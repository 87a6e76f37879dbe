#include "sluice/tls/ca_file.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "openssl_errors.h"

namespace sluice::tls {

std::string ca_file_problem(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "cannot read " + path + ": " + std::strerror(errno);
  if (!S_ISREG(st.st_mode)) return path + " is not a regular file";
  detail::ErrorQueueScope scope;
  BIO* in = BIO_new_file(path.c_str(), "r");
  if (in == nullptr) return "cannot read " + path + ": " + std::strerror(errno);
  int certificates = 0;
  while (X509* cert = PEM_read_bio_X509_AUX(in, nullptr, nullptr, nullptr)) {
    X509_free(cert);
    ++certificates;
  }
  BIO_free(in);
  // The loop ends at the first block that does not parse, or at the end of the file,
  // which OpenSSL reports as "no start line".
  const unsigned long last = ERR_peek_last_error();
  const bool at_end =
      ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
  if (!at_end) {
    std::string why = detail::drain_error_queue();
    return path + ": a PEM certificate does not parse" + (why.empty() ? "" : ": " + why);
  }
  if (certificates == 0) return path + " holds no PEM certificate";
  return {};
}

}  // namespace sluice::tls
