#include "sluice/route/model_router.h"

#include <algorithm>
#include <utility>

#include "sluice/route/json_string.h"

namespace sluice::route {
namespace {

const config::Provider* find_provider(const config::Config& config, std::string_view name) {
  for (const config::Provider& p : config.providers) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

// created is 0: aliases have no creation date, and clients only sort by it.
std::string list_entry(std::string_view alias) {
  std::string out = R"({"id":)";
  append_json_string(out, alias);
  out.append(R"(,"object":"model","created":0,"owned_by":"sluice"})");
  return out;
}

}  // namespace

ModelRouter::ModelRouter(std::shared_ptr<const config::Config> config)
    : config_(std::move(config)) {
  aliases_.reserve(config_->models.size());
  for (const config::Model& m : config_->models) {
    Alias a{&m, {}, std::vector<int64_t>(m.targets.size(), 0), list_entry(m.alias)};
    for (const config::Target& t : m.targets) {
      a.providers.push_back(find_provider(*config_, t.provider));
    }
    by_alias_.emplace(std::string_view(m.alias), static_cast<uint32_t>(aliases_.size()));
    aliases_.push_back(std::move(a));
  }
}

TargetPick ModelRouter::pick(std::string_view alias, uint64_t eligible) {
  TargetPick out;
  auto it = by_alias_.find(alias);
  if (it == by_alias_.end()) {
    out.error = PickError::unknown_model;
    return out;
  }
  Alias& a = aliases_[it->second];
  out.model = a.model;
  const size_t n = std::min(a.current.size(), kMaxTargets);
  int64_t total = 0;
  size_t best = n;
  for (size_t i = 0; i < n; ++i) {
    const int64_t weight = a.model->targets[i].weight;
    if ((eligible >> i & 1) == 0 || weight == 0 || a.providers[i] == nullptr) continue;
    a.current[i] += weight;
    total += weight;
    if (best == n || a.current[i] > a.current[best]) best = i;
  }
  if (best == n) {
    out.error = PickError::no_eligible_target;
    return out;
  }
  a.current[best] -= total;
  out.index = static_cast<uint32_t>(best);
  out.target = &a.model->targets[best];
  out.provider = a.providers[best];
  return out;
}

ProviderPick ModelRouter::native_provider(config::ProviderKind kind,
                                          std::string_view requested) const {
  ProviderPick out;
  if (!requested.empty()) {
    out.provider = find_provider(*config_, requested);
    if (out.provider == nullptr) {
      out.error = ProviderError::unknown_provider;
    } else if (out.provider->kind != kind) {
      out.error = ProviderError::wrong_kind;
      out.provider = nullptr;
    }
    return out;
  }
  for (const config::Provider& p : config_->providers) {
    if (p.kind == kind) {
      out.provider = &p;
      return out;
    }
  }
  out.error = ProviderError::no_provider;
  return out;
}

bool ModelRouter::allows(const config::Key* key, std::string_view alias) {
  if (key == nullptr || key->models.empty()) return true;
  return std::find(key->models.begin(), key->models.end(), alias) != key->models.end();
}

std::string ModelRouter::models_json(const config::Key* key) const {
  std::string out = R"({"object":"list","data":[)";
  bool first = true;
  for (const Alias& a : aliases_) {
    if (!allows(key, a.model->alias)) continue;
    if (!first) out.push_back(',');
    first = false;
    out.append(a.entry);
  }
  out.append("]}");
  return out;
}

std::string ModelRouter::model_json(const config::Key* key, std::string_view alias) const {
  auto it = by_alias_.find(alias);
  if (it == by_alias_.end() || !allows(key, alias)) return {};
  return aliases_[it->second].entry;
}

}  // namespace sluice::route
