#include "sluice/upstream/origin_registry.h"

namespace sluice::upstream {
namespace {
// What an Origin is made of (resolve_origin reads exactly these fields).
std::string identity(const config::Provider& p) {
  std::string id = p.scheme + "://" + p.host + ":" + std::to_string(p.port);
  id += '\n' + p.ca_file;
  id += '\n' + std::to_string(p.pool.max_idle_per_shard) + ',' +
        std::to_string(p.pool.idle_timeout_ms) + ',' + std::to_string(p.pool.max_requests_per_conn);
  return id;
}
}  // namespace

std::shared_ptr<const Origin> OriginRegistry::get(const config::Provider& p, std::string& error) {
  std::string id = identity(p);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_identity_.find(id);
  if (it != by_identity_.end()) return it->second;
  auto origin = std::make_shared<Origin>();
  error = resolve_origin(p, *origin);
  if (!error.empty()) return nullptr;
  by_identity_.emplace(std::move(id), origin);
  return origin;
}

size_t OriginRegistry::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_identity_.size();
}

}  // namespace sluice::upstream
