#include "sluice/config/ledger_url.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sluice::config {
namespace {

std::string trimmed(std::string s) {
  const char* space = " \t\r\n\f\v";
  size_t end = s.find_last_not_of(space);
  if (end == std::string::npos) return {};
  s.erase(end + 1);
  s.erase(0, s.find_first_not_of(space));
  return s;
}

}  // namespace

std::string resolve_ledger_url(const Ledger& ledger, std::string& error) {
  error.clear();
  if (ledger.kind != LedgerKind::postgres) {
    error = "the ledger is not a postgres ledger";
    return {};
  }
  if (!ledger.url.empty()) return ledger.url;
  if (!ledger.url_env.empty()) {
    const char* v = std::getenv(ledger.url_env.c_str());
    std::string url = v ? trimmed(v) : std::string();
    if (url.empty())
      error = "ledger.url_env: environment variable " + ledger.url_env + " is " +
              (v ? "empty" : "not set");
    return url;
  }
  if (!ledger.url_file.empty()) {
    std::ifstream in(ledger.url_file, std::ios::binary);
    if (!in) {
      error = "ledger.url_file: cannot read " + ledger.url_file + ": " + std::strerror(errno);
      return {};
    }
    std::ostringstream text;
    text << in.rdbuf();
    std::string url = trimmed(text.str());
    if (url.empty()) {
      error = "ledger.url_file: " + ledger.url_file + " is empty";
    } else if (url.find('\n') != std::string::npos) {
      error = "ledger.url_file: " + ledger.url_file +
              " holds more than one line; it must hold the URL only";
      return {};
    }
    return url;
  }
  error = "ledger.url: a postgres ledger needs \"url\", \"url_env\" or \"url_file\"";
  return {};
}

}  // namespace sluice::config
