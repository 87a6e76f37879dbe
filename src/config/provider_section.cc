// `providers`: the upstream accounts sluice sends requests to.
#include "sections.h"
#include "sluice/config/base_url.h"
#include "sluice/tls/ca_file.h"

namespace sluice::config::detail {

namespace {

constexpr std::string_view kSecretAdvice =
    "secrets do not belong in the config file: name an environment variable with "
    "\"api_key_env\" or a file with \"api_key_file\"";

void read_kind(Issues& issues, const Node& node, const std::string& pointer, ProviderKind& out) {
  std::string kind;
  if (!read_string(issues, node, pointer, kind)) return;
  if (kind == "openai") {
    out = ProviderKind::openai;
  } else if (kind == "anthropic") {
    out = ProviderKind::anthropic;
  } else if (kind == "gemini") {
    out = ProviderKind::gemini;
  } else {
    issues.add(
        node.offset, pointer,
        "unknown kind " + quote(kind) + " (expected \"openai\", \"anthropic\" or \"gemini\")");
  }
}

void read_timeouts(Issues& issues, const Node& node, const std::string& pointer, Timeouts& out) {
  Fields f(issues, node, pointer);
  f.u32("connect_ms", out.connect_ms, 1);
  f.u32("tls_handshake_ms", out.tls_handshake_ms, 1);
  f.u32("first_byte_ms", out.first_byte_ms, 1);
  f.u32("idle_ms", out.idle_ms, 1);
  f.u32("total_ms", out.total_ms, 1);
}

void read_pool(Issues& issues, const Node& node, const std::string& pointer, Pool& out) {
  Fields f(issues, node, pointer);
  f.u32("max_idle_per_shard", out.max_idle_per_shard, 0);
  f.u32("idle_timeout_ms", out.idle_timeout_ms, 1);
  f.u32("max_requests_per_conn", out.max_requests_per_conn, 1);
}

void read_retry(Issues& issues, const Node& node, const std::string& pointer, Retry& out) {
  Fields f(issues, node, pointer);
  f.u32("attempts", out.attempts, 1, 10);
  f.u32("base_ms", out.base_ms, 1, 60000);
  f.u32("cap_ms", out.cap_ms, 1, 600000);
  f.u32("max_wait_ms", out.max_wait_ms, 0, 600000);
  if (f.number("budget_ratio", out.budget_ratio, 0) && out.budget_ratio > 1) {
    issues.add(f.get("budget_ratio")->offset, f.pointer_of("budget_ratio"),
               "must be between 0 and 1 (a share of the requests)");
  }
  f.u32("budget_min", out.budget_min, 0, 1000000);
  f.u32("budget_window_ms", out.budget_window_ms, 100, 3600000);
  if (out.cap_ms < out.base_ms) {
    const Node* at = f.get("cap_ms") ? f.get("cap_ms") : &node;
    issues.add(at->offset, f.get("cap_ms") ? f.pointer_of("cap_ms") : pointer,
               "cap_ms must not be below base_ms (" + std::to_string(out.base_ms) + ")");
  }
}

void read_breaker(Issues& issues, const Node& node, const std::string& pointer, Breaker& out) {
  Fields f(issues, node, pointer);
  f.u32("failures", out.failures, 1, 65535);
  f.u32("window_ms", out.window_ms, 100, 3600000);
  f.u32("cooldown_ms", out.cooldown_ms, 1, 3600000);
}

void read_credentials(Issues& issues, Fields& f, Provider& out) {
  const Member* env = f.member("api_key_env");
  const Member* file = f.member("api_key_file");
  if (env != nullptr && file != nullptr) {
    const Member* later = env->key_offset > file->key_offset ? env : file;
    issues.add(later->key_offset, f.pointer_of(later->key),
               "set only one of \"api_key_env\" and \"api_key_file\"");
    return;
  }
  if (env != nullptr &&
      read_string(issues, env->value, f.pointer_of("api_key_env"), out.api_key_env)) {
    check_env_name(issues, env->value, f.pointer_of("api_key_env"), out.api_key_env);
  }
  if (file != nullptr)
    read_string(issues, file->value, f.pointer_of("api_key_file"), out.api_key_file);
  for (const char* secret : {"api_key", "apikey", "key", "token", "secret", "password",
                             "authorization", "access_token", "bearer"}) {
    f.forbid(secret, kSecretAdvice);
  }
}

void read_provider(Issues& issues, const Node& node, const std::string& pointer, Provider& out) {
  Fields f(issues, node, pointer);
  if (const Node* kind = f.require("kind"))
    read_kind(issues, *kind, f.pointer_of("kind"), out.kind);
  if (f.required_string("base_url", out.base_url)) {
    BaseUrl url;
    std::string why;
    if (parse_base_url(out.base_url, url, why)) {
      out.scheme = std::move(url.scheme);
      out.host = std::move(url.host);
      out.port = url.port;
      out.base_path = std::move(url.base_path);
    } else {
      issues.add(f.get("base_url")->offset, f.pointer_of("base_url"), "invalid URL: " + why);
    }
  }
  read_credentials(issues, f, out);
  if (f.string("ca_file", out.ca_file) && !out.ca_file.empty() && issues.check_files) {
    std::string why = tls::ca_file_problem(out.ca_file);
    if (!why.empty()) issues.add(f.get("ca_file")->offset, f.pointer_of("ca_file"), why);
  }
  f.number("chars_per_token", out.chars_per_token, 0, true);
  if (const Node* n = f.get("default_price"))
    read_price(issues, *n, f.pointer_of("default_price"), out.default_price);
  if (const Node* n = f.get("limits")) read_limits(issues, *n, f.pointer_of("limits"), out.limits);
  if (const Node* n = f.get("timeouts")) {
    read_timeouts(issues, *n, f.pointer_of("timeouts"), out.timeouts);
  }
  if (const Node* n = f.get("pool")) read_pool(issues, *n, f.pointer_of("pool"), out.pool);
  if (const Node* n = f.get("retry")) read_retry(issues, *n, f.pointer_of("retry"), out.retry);
  if (const Node* n = f.get("breaker"))
    read_breaker(issues, *n, f.pointer_of("breaker"), out.breaker);
}

}  // namespace

void read_providers(Issues& issues, const Node& node, const std::string& pointer,
                    std::vector<Provider>& out) {
  if (!read_object(issues, node, pointer)) return;
  if (node.members.empty()) {
    issues.add(node.offset, pointer, "must have at least one provider");
    return;
  }
  for (const Member& m : node.members) {
    std::string p = child_pointer(pointer, m.key);
    if (m.key.empty()) {
      issues.add(m.key_offset, p, "provider name must not be empty");
      continue;
    }
    Provider provider;
    provider.name = m.key;
    read_provider(issues, m.value, p, provider);
    out.push_back(std::move(provider));
  }
}

}  // namespace sluice::config::detail
