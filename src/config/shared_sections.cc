// Pieces used by several sections: names for cross references, environment
// variable names, limits and budgets.
#include "sections.h"

namespace sluice::config::detail {

namespace {

void collect(const Node& root, std::string_view section, std::set<std::string, std::less<>>& out) {
  for (const Member& m : root.members) {
    if (m.key != section || m.value.kind != Kind::object) continue;
    for (const Member& entry : m.value.members) out.insert(entry.key);
  }
}

}  // namespace

Names collect_names(const Node& root) {
  Names names;
  if (root.kind != Kind::object) return names;
  collect(root, "providers", names.providers);
  collect(root, "models", names.models);
  collect(root, "projects", names.projects);
  return names;
}

bool check_env_name(Issues& issues, const Node& node, const std::string& pointer,
                    const std::string& name) {
  bool ok = !name.empty() && !(name[0] >= '0' && name[0] <= '9');
  for (char c : name) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    ok = ok && (alnum || c == '_');
  }
  if (!ok) {
    issues.add(node.offset, pointer,
               "expected an environment variable name (letters, digits and '_', not starting "
               "with a digit)");
  }
  return ok;
}

void read_limits(Issues& issues, const Node& node, const std::string& pointer, Limits& out) {
  Fields f(issues, node, pointer);
  f.u64("requests_per_minute", out.requests_per_minute, 0);
  f.u64("tokens_per_minute", out.tokens_per_minute, 0);
  f.u64("concurrent_requests", out.concurrent_requests, 0);
  f.u64("burst_requests", out.burst_requests, 0);
  f.u64("burst_tokens", out.burst_tokens, 0);
}

void read_budget(Issues& issues, const Node& node, const std::string& pointer, Budget& out) {
  Fields f(issues, node, pointer);
  f.nano("usd_per_day", out.nusd_per_day);
  f.nano("usd_per_month", out.nusd_per_month);
}

}  // namespace sluice::config::detail
