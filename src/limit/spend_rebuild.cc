#include "sluice/limit/spend_rebuild.h"

namespace sluice::limit {

std::string rebuild_spend(Registry& registry, const ledger::Ledger& ledger, int64_t now_ms,
                          const std::string& instance) {
  ledger::Spend day = ledger.spend_since(day_start_ms(now_ms), instance);
  if (!day.ok) return day.error;
  ledger::Spend month = ledger.spend_since(month_start_ms(now_ms), instance);
  if (!month.ok) return month.error;
  auto get = [](const std::map<std::string, int64_t>& m, const std::string& k) {
    auto it = m.find(k);
    return it == m.end() ? int64_t{0} : it->second;
  };
  for (const auto& [project, nusd] : month.by_project)
    registry.add_spend("project:" + project, get(day.by_project, project), nusd, now_ms);
  for (const auto& [key, nusd] : month.by_key)
    if (!key.empty()) registry.add_spend("key:" + key, get(day.by_key, key), nusd, now_ms);
  return {};
}

}  // namespace sluice::limit
