// The process-level sections: listen, shards, admin, ledger, server, cors.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "sections.h"
#include "sluice/config/base_url.h"

namespace sluice::config::detail {

namespace {

// The address in canonical form (so "::1" and "0::1" compare equal), or "" when
// it is not an IPv4 or IPv6 literal.
std::string canonical_address(const std::string& address) {
  char buf[INET6_ADDRSTRLEN];
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) {
    return inet_ntop(AF_INET, &v4, buf, sizeof buf) != nullptr ? buf : "";
  }
  if (inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
    return inet_ntop(AF_INET6, &v6, buf, sizeof buf) != nullptr ? buf : "";
  }
  return "";
}

void read_tls(Issues& issues, const Node& node, const std::string& pointer, Listen& out) {
  Fields f(issues, node, pointer);
  f.required_string("cert", out.tls_cert);
  f.required_string("key", out.tls_key);
}

// Returns the canonical "address port" for duplicate detection, "" when invalid.
std::string read_listen_entry(Issues& issues, const Node& node, const std::string& pointer,
                              Listen& out) {
  Fields f(issues, node, pointer);
  std::string canonical = canonical_address(out.address);
  if (const Node* a = f.get("address")) {
    std::string address;
    if (read_string(issues, *a, f.pointer_of("address"), address)) {
      canonical = canonical_address(address);
      if (canonical.empty()) {
        issues.add(a->offset, f.pointer_of("address"),
                   "expected an IPv4 or IPv6 address such as 127.0.0.1, 0.0.0.0 or ::1 "
                   "(no host names, no brackets)");
      }
      out.address = address;
    } else {
      canonical.clear();
    }
  }
  bool port_ok = false;
  if (const Node* p = f.require("port")) {
    uint64_t port = 0;
    // 0: the kernel picks a free port (logged at start); tests use it.
    port_ok = read_uint(issues, *p, f.pointer_of("port"), 0, 65535, port);
    if (port_ok) out.port = static_cast<uint16_t>(port);
  }
  if (const Node* t = f.get("tls")) read_tls(issues, *t, f.pointer_of("tls"), out);
  if (canonical.empty() || !port_ok) return "";
  return canonical + " " + std::to_string(out.port);
}

bool valid_origin(const std::string& origin) {
  if (origin == "*") return true;
  BaseUrl url;
  std::string why;
  // An Origin header is scheme://host[:port] exactly: no path, not even "/".
  return parse_base_url(origin, url, why) &&
         origin.find('/', origin.find("://") + 3) == std::string::npos;
}

}  // namespace

void read_listen(Issues& issues, const Node& node, const std::string& pointer,
                 std::vector<Listen>& out) {
  if (!read_array(issues, node, pointer)) return;
  if (node.items.empty()) {
    issues.add(node.offset, pointer, "must have at least one entry");
    return;
  }
  std::set<std::string> seen;
  out.clear();
  for (size_t i = 0; i < node.items.size(); ++i) {
    std::string p = child_pointer(pointer, i);
    Listen listen;
    std::string where = read_listen_entry(issues, node.items[i], p, listen);
    // Port 0 asks the kernel for a free port, so two of them never collide.
    if (!where.empty() && listen.port != 0 && !seen.insert(where).second) {
      issues.add(
          node.items[i].offset, p,
          "duplicate listen address " + listen.address + " port " + std::to_string(listen.port));
    }
    out.push_back(std::move(listen));
  }
}

void read_shards(Issues& issues, const Node& node, const std::string& pointer, uint32_t& out) {
  if (node.kind == Kind::string && node.string == "auto") {
    out = 0;
    return;
  }
  if (node.kind == Kind::number) {
    uint64_t n = 0;
    if (read_uint(issues, node, pointer, 1, 1024, n)) out = static_cast<uint32_t>(n);
    return;
  }
  std::string got = node.kind == Kind::string ? quote(node.string) : kind_name(node.kind);
  issues.add(node.offset, pointer, "expected \"auto\" or an integer, got " + got);
}

void read_admin(Issues& issues, const Node& node, const std::string& pointer, Admin& out) {
  Fields f(issues, node, pointer);
  if (f.string("key_env", out.key_env)) {
    check_env_name(issues, *f.get("key_env"), f.pointer_of("key_env"), out.key_env);
  }
  if (const Node* n = f.get("listen")) read_listen(issues, *n, f.pointer_of("listen"), out.listen);
  f.boolean("metrics_auth", out.metrics_auth);
  for (const char* secret : {"key", "api_key", "token", "secret", "password"}) {
    f.forbid(secret,
             "secrets do not belong in the config file: put the admin key in an environment "
             "variable and name it with \"key_env\"");
  }
}

void read_ledger(Issues& issues, const Node& node, const std::string& pointer, Ledger& out) {
  Fields f(issues, node, pointer);
  if (const Node* kind = f.get("kind")) {
    std::string text;
    if (read_string(issues, *kind, f.pointer_of("kind"), text)) {
      if (text == "sqlite") {
        out.kind = LedgerKind::sqlite;
      } else if (text == "postgres") {
        out.kind = LedgerKind::postgres;
      } else {
        issues.add(kind->offset, f.pointer_of("kind"), "must be \"sqlite\" or \"postgres\"");
      }
    }
  }
  f.string("path", out.path);
  const char* url_fields[] = {"url", "url_env", "url_file"};
  const Member* first = nullptr;
  for (const char* name : url_fields) {
    const Member* m = f.member(name);
    if (m == nullptr) continue;
    if (first != nullptr) {
      issues.add(m->key_offset, f.pointer_of(name),
                 "set only one of \"url\", \"url_env\" and \"url_file\"");
      continue;
    }
    first = m;
  }
  if (f.string("url", out.url) && out.url.find('@') != std::string::npos) {
    // postgresql://user:password@host/db: a password does not belong in the config file.
    std::string_view userinfo = std::string_view(out.url).substr(0, out.url.rfind('@'));
    size_t scheme = userinfo.find("://");
    if (scheme != std::string_view::npos) userinfo.remove_prefix(scheme + 3);
    if (userinfo.find(':') != std::string_view::npos)
      issues.add(f.get("url")->offset, f.pointer_of("url"),
                 "secrets do not belong in the config file: put a URL with a password in an "
                 "environment variable (\"url_env\") or a file (\"url_file\"), or use "
                 "~/.pgpass or PGPASSWORD");
  }
  if (f.string("url_env", out.url_env))
    check_env_name(issues, *f.get("url_env"), f.pointer_of("url_env"), out.url_env);
  f.string("url_file", out.url_file);
  f.string("spool", out.spool);
  if (const Node* on = f.get("on_ledger_failure")) {
    std::string text;
    if (read_string(issues, *on, f.pointer_of("on_ledger_failure"), text)) {
      if (text == "continue") {
        out.on_failure = OnLedgerFailure::keep_serving;
      } else if (text == "refuse") {
        out.on_failure = OnLedgerFailure::refuse;
      } else {
        issues.add(on->offset, f.pointer_of("on_ledger_failure"),
                   "must be \"continue\" or \"refuse\"");
      }
    }
  }
  f.u32("retention_days", out.retention_days, 0, 36500);
  f.u32("flush_ms", out.flush_ms, 1, 60000);
  f.u32("queue_capacity", out.queue_capacity, 1, 1u << 24);
  if (out.kind == LedgerKind::postgres && first == nullptr)
    issues.add(node.offset, pointer,
               "a postgres ledger needs \"url\", \"url_env\" or \"url_file\"");
  if (out.kind == LedgerKind::sqlite && first != nullptr)
    issues.add(first->key_offset, f.pointer_of(first->key),
               "only a postgres ledger (\"kind\": \"postgres\") takes a URL");
}

void read_server(Issues& issues, const Node& node, const std::string& pointer, Server& out) {
  Fields f(issues, node, pointer);
  f.u32("drain_ms", out.drain_ms, 0);
  f.u32("header_timeout_ms", out.header_timeout_ms, 1);
  f.u32("keepalive_timeout_ms", out.keepalive_timeout_ms, 0);
  f.u32("max_header_bytes", out.max_header_bytes, 1024, 1u << 20);
  // The request line is part of the head, so a URI limit above the head limit would
  // never be reached: the head limit would answer first, with the wrong status.
  if (f.get("max_uri_bytes") == nullptr) {
    out.max_uri_bytes = std::min(out.max_uri_bytes, out.max_header_bytes);
  } else if (f.u32("max_uri_bytes", out.max_uri_bytes, 16, 1u << 20) &&
             out.max_uri_bytes > out.max_header_bytes) {
    issues.add(f.get("max_uri_bytes")->offset, f.pointer_of("max_uri_bytes"),
               "must not exceed max_header_bytes (" + std::to_string(out.max_header_bytes) + ")");
  }
  f.u64("max_body_bytes", out.max_body_bytes, 1);
  f.u32("max_connections", out.max_connections, 0);
  // One body at the limit must fit, or such a request could never be served.
  if (f.get("max_buffered_body_bytes") == nullptr) {
    out.max_buffered_body_bytes = std::max(out.max_buffered_body_bytes, out.max_body_bytes);
  } else if (f.u64("max_buffered_body_bytes", out.max_buffered_body_bytes, 1) &&
             out.max_buffered_body_bytes < out.max_body_bytes) {
    issues.add(f.get("max_buffered_body_bytes")->offset, f.pointer_of("max_buffered_body_bytes"),
               "must be at least max_body_bytes (" + std::to_string(out.max_body_bytes) + ")");
  }
  f.string("access_log", out.access_log);
  f.string("degraded_marker", out.degraded_marker);
  if (const Node* n = f.get("allowed_hosts")) {
    std::string p = f.pointer_of("allowed_hosts");
    if (read_string_list(issues, *n, p, out.allowed_hosts)) {
      for (size_t i = 0; i < out.allowed_hosts.size(); ++i) {
        std::string& h = out.allowed_hosts[i];
        for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        bool ok = !h.empty() && h.find_first_of(" \t/,") == std::string::npos;
        if (!ok)
          issues.add(n->items[i].offset, child_pointer(p, i),
                     "expected a host name or address, optionally with :port");
      }
    }
  }
}

void read_cors(Issues& issues, const Node& node, const std::string& pointer, Cors& out) {
  Fields f(issues, node, pointer);
  const Node* list = f.get("allowed_origins");
  if (list == nullptr) return;
  std::string p = f.pointer_of("allowed_origins");
  std::vector<std::string> origins;
  if (!read_string_list(issues, *list, p, origins)) return;
  for (size_t i = 0; i < origins.size(); ++i) {
    if (!valid_origin(origins[i])) {
      issues.add(list->items[i].offset, child_pointer(p, i),
                 "expected \"*\" or an origin such as \"https://app.example.com\" (scheme, host "
                 "and optional port, no path)");
    }
  }
  out.allowed_origins = std::move(origins);
}

}  // namespace sluice::config::detail
