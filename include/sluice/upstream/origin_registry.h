#pragma once
// Every upstream Origin the process has resolved, by what defines it. Pools key their
// idle connections by Origin identity, so a config reload that leaves a provider's
// base_url, ca_file and pool settings alone gets the very same Origin back and its
// pooled connections stay in use. An Origin is never freed while the process runs:
// connections and requests made under an older snapshot may still point at it, and a
// process sees only as many distinct origins as its configs ever named.
// Control thread only (setup and reload).

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "sluice/config/config.h"
#include "sluice/upstream/upstream_pool.h"

namespace sluice::upstream {

class OriginRegistry {
 public:
  // The Origin for `p`: the one already resolved for the same settings, or a newly
  // resolved one. Null with `error` set when resolution fails.
  std::shared_ptr<const Origin> get(const config::Provider& p, std::string& error);
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const Origin>> by_identity_;
};

}  // namespace sluice::upstream
