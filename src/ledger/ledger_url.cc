#include "sluice/ledger/ledger_url.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sluice::ledger {
namespace {

std::string trimmed(std::string text) {
  const char* space = " \t\r\n";
  const size_t first = text.find_first_not_of(space);
  if (first == std::string::npos) return {};
  const size_t last = text.find_last_not_of(space);
  return text.substr(first, last - first + 1);
}

}  // namespace

std::string resolve_url(const config::Ledger& config) {
  if (!config.url.empty()) return config.url;
  if (!config.url_env.empty()) {
    const char* value = std::getenv(config.url_env.c_str());
    if (value == nullptr)
      throw std::runtime_error("ledger.url_env: environment variable " + config.url_env +
                               " is not set");
    std::string url = trimmed(value);
    if (url.empty())
      throw std::runtime_error("ledger.url_env: environment variable " + config.url_env +
                               " is empty");
    return url;
  }
  if (!config.url_file.empty()) {
    std::ifstream in(config.url_file);
    if (!in)
      throw std::runtime_error("ledger.url_file: cannot read " + config.url_file + ": " +
                               std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    std::string url = trimmed(text.str());
    if (url.empty()) throw std::runtime_error("ledger.url_file: " + config.url_file + " is empty");
    if (url.find('\n') != std::string::npos)
      throw std::runtime_error("ledger.url_file: " + config.url_file +
                               " holds more than one line; it must hold the URL only");
    return url;
  }
  throw std::runtime_error(
      "ledger.url: a postgres ledger needs \"url\", \"url_env\" or \"url_file\"");
}

}  // namespace sluice::ledger
