#include "openssl_errors.h"

#include <openssl/err.h>

#include <cstring>
#include <stdexcept>

namespace sluice::tls::detail {

ErrorQueueScope::ErrorQueueScope() { ERR_clear_error(); }

ErrorQueueScope::~ErrorQueueScope() { ERR_clear_error(); }

std::string drain_error_queue() {
  std::string out;
  const char* data = nullptr;
  int flags = 0;
  while (unsigned long code = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
    if (!out.empty()) out += "; ";
    if (ERR_SYSTEM_ERROR(code)) {
      out += std::strerror(ERR_GET_REASON(code));  // errno, e.g. a missing file
    } else if (const char* reason = ERR_reason_error_string(code)) {
      out += reason;
    } else {
      char buf[256];
      ERR_error_string_n(code, buf, sizeof buf);
      out += buf;
    }
    // The detail carries what the reason cannot, e.g. "SSL alert number 48" or a file name.
    if ((flags & ERR_TXT_STRING) != 0 && data != nullptr && *data != '\0') {
      out += " (";
      out += data;
      out += ')';
    }
  }
  return out;
}

void throw_setup_error(const std::string& what) {
  std::string queued = drain_error_queue();
  throw std::runtime_error(queued.empty() ? what : what + ": " + queued);
}

}  // namespace sluice::tls::detail
