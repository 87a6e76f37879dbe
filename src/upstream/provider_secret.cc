#include "sluice/upstream/provider_secret.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>

namespace sluice::upstream {
namespace {
bool read_file(const std::string& path, std::string& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  // One line ending, as editors and `echo` leave it; anything more is refused below.
  if (!out.empty() && out.back() == '\n') out.pop_back();
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return true;
}

// The secret becomes part of a header line: a CR or LF in it would end that line and
// start another the provider reads as a header, a NUL would cut it.
bool has_control_byte(std::string_view secret) {
  for (char c : secret) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

constexpr const char* kControlBytes =
    " contains control characters (line breaks, NUL, tabs); a provider secret must be one "
    "line of printable characters";
}  // namespace

SecretResult load_provider_secret(const config::Provider& p) {
  SecretResult r;
  if (!p.api_key_env.empty()) {
    const char* v = std::getenv(p.api_key_env.c_str());
    if (v == nullptr || *v == '\0')
      r.error = "environment variable " + p.api_key_env + " is not set";
    else if (has_control_byte(v))
      r.error = "environment variable " + p.api_key_env + kControlBytes;
    else
      r.secret = v;
    return r;
  }
  if (!p.api_key_file.empty()) {
    const std::string& name = p.api_key_file;
    const char* creds = std::getenv("CREDENTIALS_DIRECTORY");
    bool found = name.front() != '/' && creds && *creds &&
                 read_file(std::string(creds) + "/" + name, r.secret);
    if (!found && !read_file(name, r.secret))
      r.error = "cannot read api_key_file " + name;
    else if (r.secret.empty())
      r.error = "api_key_file " + name + " is empty";
    else if (has_control_byte(r.secret))
      r.error = "api_key_file " + name + kControlBytes;
    if (!r.error.empty()) r.secret.clear();
  }
  return r;
}

std::string auth_header_line(config::ProviderKind kind, const std::string& secret) {
  if (secret.empty()) return {};
  switch (kind) {
    case config::ProviderKind::openai:
      return "Authorization: Bearer " + secret + "\r\n";
    case config::ProviderKind::anthropic:
      return "x-api-key: " + secret + "\r\n";
    case config::ProviderKind::gemini:
      return "x-goog-api-key: " + secret + "\r\n";
  }
  return {};
}

}  // namespace sluice::upstream
