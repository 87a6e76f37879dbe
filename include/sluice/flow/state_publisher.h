#pragma once
// Owns the current GatewayState and hands new ones to every shard: after a config
// reload (control thread) and after a virtual key is created or revoked through the
// admin API (admin worker thread). A new snapshot reaches a shard as a task posted to
// its loop (core::EventLoop::post), so the shard swaps between two requests, never in
// the middle of one; `applied` runs once every shard has swapped.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sluice/admin/key_request.h"
#include "sluice/admin/key_store.h"
#include "sluice/config/config.h"
#include "sluice/core/event_loop.h"
#include "sluice/flow/gateway.h"
#include "sluice/upstream/origin_registry.h"

namespace sluice::flow {

// An admin API answer: status and JSON body (an OpenAI error envelope when >= 400).
struct AdminAnswer {
  int status = 200;
  std::string body;
};

class StatePublisher {
 public:
  // `store`: where run-time keys are kept (null: the keys API answers 503).
  StatePublisher(size_t shards, admin::KeyStore* store);

  // Setup, control thread, before any shard starts: the first snapshot. `base` carries
  // what never changes (ledger, admin worker, access log, id seed). Reads the stored
  // keys. Returns an error message or empty.
  std::string start(std::shared_ptr<const config::Config> cfg, GatewayState base);
  std::shared_ptr<const GatewayState> current() const;

  // A shard's Gateway, from its own thread: it receives every later snapshot.
  void attach(unsigned shard, Gateway* gateway, core::EventLoop* loop);
  void detach(unsigned shard);

  // Control thread: builds a snapshot of `cfg` (which must already be validated),
  // runs `before_publish` with it (process-wide objects reconfigure there) and
  // publishes it. On error (a provider cannot be resolved, a secret is missing)
  // nothing changes and the message is returned.
  std::string reload(std::shared_ptr<const config::Config> cfg,
                     const std::function<void(const config::Config&)>& before_publish,
                     std::function<void()> applied);

  // Runs `fn` on shard `shard`'s loop if that shard is still serving (false if not).
  bool post_to(unsigned shard, std::function<void()> fn);

  // Admin worker thread. `done` runs once the change is on every shard (or at once on
  // a refusal); it may run on any thread.
  void create_key(const admin::KeyRequest& request, std::function<void(AdminAnswer)> done);
  void revoke_key(const std::string& id, std::function<void(AdminAnswer)> done);
  AdminAnswer list_keys() const;
  // Admin worker thread: re-reads the stored keys (another instance may have changed
  // them: KeyWatcher) and publishes them when they differ. When the store cannot be
  // reached, the keys in force stay.
  void refresh_keys();

  size_t origins() const { return registry_.size(); }

 private:
  struct Attached {
    Gateway* gateway = nullptr;
    core::EventLoop* loop = nullptr;
  };
  std::string build(std::shared_ptr<const config::Config> cfg, GatewayState& out);
  std::shared_ptr<const auth::VirtualKeys> merge_keys(const config::Config& cfg) const;
  void publish_locked(std::shared_ptr<const GatewayState> next, std::function<void()> applied);
  std::shared_ptr<const GatewayState> with_keys_locked();

  // Lock order: mu_, then shards_mu_. `done` and `applied` callbacks may run under mu_
  // (never under shards_mu_), so they may call post_to().
  mutable std::mutex mu_;  // every member below but shards_
  std::shared_ptr<const GatewayState> current_;
  std::mutex shards_mu_;
  std::vector<Attached> shards_;  // under shards_mu_
  upstream::OriginRegistry registry_;
  admin::KeyStore* store_;
  std::vector<admin::StoredKey> stored_;  // every stored row, revoked ones included
  // The store could not be read at start: until it is, a key is required whatever
  // the config says (fail closed), since the unread rows may hold keys.
  bool keys_unknown_ = false;
  bool store_down_ = false;  // the last read failed (logged once per outage)
};

}  // namespace sluice::flow
