#include "sluice/upstream/provider_secret.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace sluice::upstream {
namespace {
bool read_file(const std::string& path, std::string& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return true;
}
}  // namespace

SecretResult load_provider_secret(const config::Provider& p) {
  SecretResult r;
  if (!p.api_key_env.empty()) {
    const char* v = std::getenv(p.api_key_env.c_str());
    if (v == nullptr || *v == '\0')
      r.error = "environment variable " + p.api_key_env + " is not set";
    else
      r.secret = v;
    return r;
  }
  if (!p.api_key_file.empty()) {
    const std::string& name = p.api_key_file;
    const char* creds = std::getenv("CREDENTIALS_DIRECTORY");
    if (name.front() != '/' && creds && *creds && read_file(std::string(creds) + "/" + name, r.secret))
      return r;
    if (!read_file(name, r.secret)) r.error = "cannot read api_key_file " + name;
    else if (r.secret.empty()) r.error = "api_key_file " + name + " is empty";
  }
  return r;
}

std::string auth_header_line(config::ProviderKind kind, const std::string& secret) {
  if (secret.empty()) return {};
  switch (kind) {
    case config::ProviderKind::openai: return "Authorization: Bearer " + secret + "\r\n";
    case config::ProviderKind::anthropic: return "x-api-key: " + secret + "\r\n";
    case config::ProviderKind::gemini: return "x-goog-api-key: " + secret + "\r\n";
  }
  return {};
}

}  // namespace sluice::upstream
