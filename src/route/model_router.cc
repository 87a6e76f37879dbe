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
  accounts_.resize(config_->providers.size());
}

ModelRouter::Account* ModelRouter::account(const config::Provider* provider) {
  // By address: a provider of an older snapshot is no element of this one.
  auto at = reinterpret_cast<uintptr_t>(provider);
  auto first = reinterpret_cast<uintptr_t>(config_->providers.data());
  if (provider == nullptr || at < first) return nullptr;
  size_t i = (at - first) / sizeof(config::Provider);
  if (i >= accounts_.size() || &config_->providers[i] != provider) return nullptr;
  return &accounts_[i];
}

void ModelRouter::started(const config::Provider* provider) {
  if (Account* a = account(provider)) ++a->in_flight;
}

void ModelRouter::ended(const config::Provider* provider) {
  if (Account* a = account(provider); a && a->in_flight > 0) --a->in_flight;
}

void ModelRouter::observe(const config::Provider* provider,
                          std::optional<uint64_t> remaining_requests,
                          std::optional<uint64_t> pause_ms, uint64_t now_ms) {
  Account* a = account(provider);
  if (a == nullptr) return;
  if (remaining_requests)
    a->remaining = static_cast<int64_t>(std::min<uint64_t>(*remaining_requests, INT64_MAX / 2));
  if (pause_ms) a->paused_until_ms = now_ms + *pause_ms;
}

// The targets of `a` in `eligible` that headroom keeps (see pick()); `eligible` when it
// keeps none or cannot tell.
uint64_t ModelRouter::headroom_mask(const Alias& a, uint64_t eligible, uint64_t now_ms) {
  const size_t n = std::min(a.current.size(), kMaxTargets);
  uint64_t open = 0;
  for (size_t i = 0; i < n; ++i) {
    if ((eligible >> i & 1) == 0 || a.providers[i] == nullptr) continue;
    Account* acct = account(a.providers[i]);
    if (acct == nullptr || acct->paused_until_ms <= now_ms) open |= uint64_t{1} << i;
  }
  if (open == 0) return eligible;  // every account paused: the attempt loop decides
  int64_t best = -1;
  uint64_t most = 0;
  for (size_t i = 0; i < n; ++i) {
    if ((open >> i & 1) == 0 || a.model->targets[i].weight == 0) continue;
    Account* acct = account(a.providers[i]);
    if (acct == nullptr || acct->remaining < 0) return open;  // not known for all: no ranking
    int64_t room = std::max<int64_t>(acct->remaining - acct->in_flight, 0) *
                   static_cast<int64_t>(a.model->targets[i].weight);
    if (room > best) {
      best = room;
      most = 0;
    }
    if (room == best) most |= uint64_t{1} << i;
  }
  return most ? most : open;
}

TargetPick ModelRouter::pick(std::string_view alias, uint64_t eligible, uint64_t now_ms) {
  TargetPick out;
  auto it = by_alias_.find(alias);
  if (it == by_alias_.end()) {
    out.error = PickError::unknown_model;
    return out;
  }
  Alias& a = aliases_[it->second];
  out.model = a.model;
  // One target (or one account): nothing to rank.
  if (a.current.size() > 1) eligible = headroom_mask(a, eligible, now_ms);
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
