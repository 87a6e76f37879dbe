#pragma once
// Where a request goes: a model alias to one of its targets, or a native prefix to a
// provider. One instance per shard and config snapshot: the weighted rotation state
// is shard-local and needs no lock (DESIGN.md, "Shard per core").

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sluice/config/config.h"

namespace sluice::route {

// Targets per alias that take part in the rotation; later ones are never picked.
inline constexpr size_t kMaxTargets = 64;

enum class PickError : uint8_t {
  none,
  unknown_model,       // no such alias
  no_eligible_target,  // every target excluded (weight 0, breaker open, no headroom)
};

struct TargetPick {
  PickError error = PickError::none;
  const config::Model* model = nullptr;
  const config::Target* target = nullptr;
  const config::Provider* provider = nullptr;
  uint32_t index = 0;  // of `target` in model->targets
};

enum class ProviderError : uint8_t {
  none,
  no_provider,       // no provider of the prefix's kind is configured
  unknown_provider,  // x-sluice-provider names no configured provider
  wrong_kind,        // x-sluice-provider names a provider of another kind
};

struct ProviderPick {
  ProviderError error = ProviderError::none;
  const config::Provider* provider = nullptr;
};

class ModelRouter {
 public:
  // Keeps the snapshot alive: every pointer handed out points into it.
  explicit ModelRouter(std::shared_ptr<const config::Config> config);

  // Smooth weighted round robin (as nginx's upstream module) over the alias's targets
  // whose bit is set in `eligible` and whose weight is above 0: over any window of
  // sum(weights) picks each target is chosen exactly `weight` times, interleaved
  // rather than in runs. Deterministic; ties go to the earlier target.
  // Headroom first, when targets are on several provider accounts: an account paused by
  // a 429 is left out until its retry-after ends (unless all are), and when every
  // remaining target's account has said how many requests it has left, only those with
  // the most room (what it said remains, less what this shard has in flight there, times
  // the target's weight) take part in the round robin.
  TargetPick pick(std::string_view alias, uint64_t eligible = ~uint64_t{0}, uint64_t now_ms = 0);

  // Headroom bookkeeping, shard-local like the round-robin state. A provider of another
  // config snapshot (a reload in between) is ignored.
  void started(const config::Provider* provider);  // a request went to it
  void ended(const config::Provider* provider);    // ... and is over
  // What a response head from `provider` said: the requests its account has left, and
  // on a 429 how long to wait (ms from `now_ms`).
  void observe(const config::Provider* provider, std::optional<uint64_t> remaining_requests,
               std::optional<uint64_t> pause_ms, uint64_t now_ms);

  // Native pass-through: the provider named by `x-sluice-provider` (`requested`, which
  // must be of `kind`), or when that is empty the first provider of `kind` in the
  // config file.
  ProviderPick native_provider(config::ProviderKind kind, std::string_view requested) const;

  // Whether `key` may use `alias`: a key with an empty `models` list may use all.
  // A null key (no keys configured) may use every alias.
  static bool allows(const config::Key* key, std::string_view alias);

  // The GET /v1/models body in OpenAI's list format, with only the aliases `key` may
  // use, in config order.
  std::string models_json(const config::Key* key) const;
  // The GET /v1/models/{alias} body; empty when the alias is unknown or not allowed.
  std::string model_json(const config::Key* key, std::string_view alias) const;

  const config::Config& config() const { return *config_; }

 private:
  struct Alias {
    const config::Model* model;
    std::vector<const config::Provider*> providers;  // per target; null: not configured
    std::vector<int64_t> current;                    // SWRR state per target
    std::string entry;                               // its /v1/models list element
  };

  struct Account {
    int64_t remaining = -1;        // requests the provider last said remain; -1: not said
    int64_t in_flight = 0;         // requests this shard has there
    uint64_t paused_until_ms = 0;  // a 429's retry-after
  };
  Account* account(const config::Provider* provider);
  uint64_t headroom_mask(const Alias& a, uint64_t eligible, uint64_t now_ms);

  std::shared_ptr<const config::Config> config_;
  std::vector<Alias> aliases_;
  std::vector<Account> accounts_;                            // per config provider
  std::unordered_map<std::string_view, uint32_t> by_alias_;  // views into config_
};

}  // namespace sluice::route
