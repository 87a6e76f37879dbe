// The `fleet` section: sharing limits with the other instances through Redis
// (docs/FLEET.md).
#include <charconv>

#include "sections.h"

namespace sluice::config {
namespace {

bool parse_u32(std::string_view s, uint32_t max, uint32_t& out) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty() || v > max) return false;
  out = static_cast<uint32_t>(v);
  return true;
}

}  // namespace

bool parse_redis_url(std::string_view url, Fleet& out, std::string& why) {
  constexpr std::string_view kTcp = "redis://", kUnix = "unix://";
  if (url.starts_with(kUnix)) {
    std::string_view rest = url.substr(kUnix.size());
    std::string_view query;
    if (size_t q = rest.find('?'); q != std::string_view::npos) {
      query = rest.substr(q + 1);
      rest = rest.substr(0, q);
    }
    if (rest.empty() || rest[0] != '/') {
      why = "a unix socket needs an absolute path: unix:///run/redis/redis.sock";
      return false;
    }
    if (!query.empty() &&
        !(query.starts_with("db=") && parse_u32(query.substr(3), 1 << 16, out.db))) {
      why = "the only query a unix socket takes is ?db=N";
      return false;
    }
    out.unix_path = std::string(rest);
    out.host.clear();
    return true;
  }
  if (!url.starts_with(kTcp)) {
    why = "expected redis://HOST[:PORT][/DB] or unix:///PATH";
    return false;
  }
  std::string_view rest = url.substr(kTcp.size());
  if (rest.find('@') != std::string_view::npos) {
    why = "must not contain credentials (user:password@host); use password_env or password_file";
    return false;
  }
  std::string_view hostport = rest, db;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    db = rest.substr(slash + 1);
  }
  std::string_view host = hostport;
  uint32_t port = 6379;
  if (!hostport.empty() && hostport[0] == '[') {  // [::1]:6379
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) {
      why = "an IPv6 address needs its closing ]";
      return false;
    }
    host = hostport.substr(1, close - 1);
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty() &&
        !(after[0] == ':' && parse_u32(after.substr(1), 65535, port) && port != 0)) {
      why = "the port must be a number from 1 to 65535";
      return false;
    }
  } else if (size_t colon = hostport.rfind(':'); colon != std::string_view::npos) {
    host = hostport.substr(0, colon);
    if (!parse_u32(hostport.substr(colon + 1), 65535, port) || port == 0) {
      why = "the port must be a number from 1 to 65535";
      return false;
    }
  }
  if (host.empty()) {
    why = "the host is missing";
    return false;
  }
  if (!db.empty() && !parse_u32(db, 1 << 16, out.db)) {
    why = "the database must be a number: redis://HOST:PORT/0";
    return false;
  }
  out.host = std::string(host);
  out.port = static_cast<uint16_t>(port);
  out.unix_path.clear();
  return true;
}

namespace detail {

void read_fleet(Issues& issues, const Node& node, const std::string& pointer, Fleet& out) {
  Fields f(issues, node, pointer);
  if (!f.is_object()) return;
  out.enabled = true;
  if (const Node* r = f.require("redis")) {
    if (read_string(issues, *r, f.pointer_of("redis"), out.redis)) {
      std::string why;
      if (!parse_redis_url(out.redis, out, why)) issues.add(r->offset, f.pointer_of("redis"), why);
    }
  }
  const Member* env = f.member("password_env");
  const Member* file = f.member("password_file");
  if (env != nullptr && file != nullptr) {
    const Member* later = env->key_offset > file->key_offset ? env : file;
    issues.add(later->key_offset, f.pointer_of(later->key),
               "set only one of \"password_env\" and \"password_file\"");
  } else {
    if (env != nullptr &&
        read_string(issues, env->value, f.pointer_of("password_env"), out.password_env))
      check_env_name(issues, env->value, f.pointer_of("password_env"), out.password_env);
    if (file != nullptr)
      read_string(issues, file->value, f.pointer_of("password_file"), out.password_file);
  }
  for (const char* secret : {"password", "auth", "requirepass", "secret"})
    f.forbid(secret,
             "secrets do not belong in the config file: put the Redis password in an "
             "environment variable or a file and name it with \"password_env\" or "
             "\"password_file\"");
  if (f.string("instance", out.instance)) {
    bool ok = !out.instance.empty() && out.instance.size() <= 128;
    for (char c : out.instance)
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == ':') ok = false;
    if (!ok)
      issues.add(f.get("instance")->offset, f.pointer_of("instance"),
                 "an instance name is 1 to 128 printable characters without spaces or ':'");
  }
  // Below 100 ms the renewals would cost more round trips than they save; above a
  // minute a dead instance would hold its lease too long.
  f.u32("lease_ms", out.lease_ms, 100, 60000);
  if (const Node* m = f.get("on_redis_down")) {
    std::string text;
    if (read_string(issues, *m, f.pointer_of("on_redis_down"), text)) {
      if (text == "local_share") {
        out.on_redis_down = OnRedisDown::local_share;
      } else if (text == "refuse") {
        out.on_redis_down = OnRedisDown::refuse;
      } else {
        issues.add(m->offset, f.pointer_of("on_redis_down"),
                   "expected \"local_share\" or \"refuse\", got \"" + text + "\"");
      }
    }
  }
}

}  // namespace detail
}  // namespace sluice::config
