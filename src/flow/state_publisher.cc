#include "sluice/flow/state_publisher.h"

#include <unistd.h>

#include <set>
#include <stdexcept>

#include "sluice/auth/keygen.h"
#include "sluice/core/clock.h"
#include "sluice/core/log.h"
#include "sluice/route/error_envelope.h"
#include "sluice/route/json_string.h"

namespace sluice::flow {
namespace {

AdminAnswer refuse(int status, route::ErrorClass error, std::string_view message) {
  return {status, route::error_body(route::ApiFlavor::openai, error, message)};
}

void append_models(std::string& out, const std::vector<std::string>& models) {
  out += "\"models\":[";
  for (size_t i = 0; i < models.size(); ++i) {
    if (i) out += ',';
    route::append_json_string(out, models[i]);
  }
  out += ']';
}

// Counts shards down to the last one that swapped, which runs `applied`.
struct Countdown {
  std::atomic<size_t> left;
  std::function<void()> applied;
  void arrive() {
    if (left.fetch_sub(1, std::memory_order_acq_rel) == 1 && applied) applied();
  }
};

config::Key as_config_key(const admin::StoredKey& s) {
  config::Key k;
  k.id = s.id;
  k.project = s.project;
  k.sha256_hex = s.sha256_hex;
  k.models = s.models;
  return k;
}

}  // namespace

StatePublisher::StatePublisher(size_t shards, admin::KeyStore* store)
    : shards_(shards), store_(store) {}

std::string StatePublisher::start(std::shared_ptr<const config::Config> cfg, GatewayState base) {
  std::lock_guard<std::mutex> lock(mu_);
  if (store_) {
    try {
      stored_ = store_->load();
    } catch (const admin::StoreUnreachable& e) {
      // A shared store (PostgreSQL) that is down must not keep the gateway down: keys
      // from the config work, run-time keys once it answers (KeyWatcher retries).
      SLUICE_LOG_WARN("%s; run-time keys are refused until it answers", e.what());
      keys_unknown_ = true;
      store_down_ = true;
    } catch (const std::exception& e) {
      return e.what();
    }
  }
  base.publisher = this;
  std::string err = build(std::move(cfg), base);
  if (!err.empty()) return err;
  size_t active = 0;
  for (const admin::StoredKey& k : stored_) active += k.revoked_ms == 0;
  if (!stored_.empty())
    SLUICE_LOG_INFO("%zu virtual keys created through the admin API are active (%zu revoked)",
                    active, stored_.size() - active);
  current_ = std::make_shared<const GatewayState>(std::move(base));
  return {};
}

std::shared_ptr<const GatewayState> StatePublisher::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

// Resolves origins through the registry, loads secrets, merges the keys. What stays
// for the process's lifetime (ledger, admin worker, access log, id seed) is in `out`
// already.
std::string StatePublisher::build(std::shared_ptr<const config::Config> cfg, GatewayState& out) {
  std::string err = build_gateway_state(cfg, out, &registry_);
  if (!err.empty()) return err;
  out.keys = merge_keys(*cfg);
  out.keys_required = !cfg->keys.empty() || !stored_.empty() || keys_unknown_;
  return {};
}

// Config keys win: a stored key whose id or secret a config key also has is left out
// (and logged), so the file stays the authority an operator can read.
std::shared_ptr<const auth::VirtualKeys> StatePublisher::merge_keys(
    const config::Config& cfg) const {
  auto keys = std::make_shared<auth::VirtualKeys>(cfg);
  for (const admin::StoredKey& s : stored_) {
    if (s.revoked_ms != 0) continue;
    // Fail closed: a key whose project the config no longer defines would run with no
    // project limits and no budget. It works again if the project comes back.
    if (cfg.project(s.project) == nullptr) {
      SLUICE_LOG_WARN("stored key %s is refused: its project %s is not in the config", s.id.c_str(),
                      s.project.c_str());
      continue;
    }
    auth::VirtualKeys next;
    auth::KeyChange change = keys->with_added(as_config_key(s), next);
    if (change == auth::KeyChange::ok)
      *keys = std::move(next);
    else
      SLUICE_LOG_WARN("stored key %s is ignored: a key in the config has the same %s", s.id.c_str(),
                      change == auth::KeyChange::duplicate_id ? "id" : "secret");
  }
  return keys;
}

void StatePublisher::attach(unsigned shard, Gateway* gateway, core::EventLoop* loop) {
  std::lock_guard<std::mutex> lock(mu_);
  std::lock_guard<std::mutex> shards_lock(shards_mu_);
  if (shard >= shards_.size()) shards_.resize(shard + 1);
  shards_[shard] = {gateway, loop};
  // A snapshot published while this shard was starting reaches it now.
  if (current_ && &gateway->state() != current_.get()) {
    auto next = current_;
    loop->post([gateway, next] { gateway->set_state(next); });
  }
}

bool StatePublisher::post_to(unsigned shard, std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(shards_mu_);
  if (shard >= shards_.size() || shards_[shard].loop == nullptr) return false;
  shards_[shard].loop->post(std::move(fn));
  return true;
}

void StatePublisher::detach(unsigned shard) {
  std::lock_guard<std::mutex> lock(shards_mu_);
  if (shard < shards_.size()) shards_[shard] = {};
}

void StatePublisher::publish_locked(std::shared_ptr<const GatewayState> next,
                                    std::function<void()> applied) {
  current_ = next;
  auto countdown = std::make_shared<Countdown>();
  countdown->applied = std::move(applied);
  {
    std::lock_guard<std::mutex> lock(shards_mu_);
    size_t attached = 0;
    for (const Attached& a : shards_) attached += a.loop != nullptr;
    // One extra count held by this call, so `applied` cannot run before every post
    // is out, and runs here (not under shards_mu_) when no shard is attached.
    countdown->left.store(attached + 1);
    for (const Attached& a : shards_) {
      if (a.loop == nullptr) continue;
      Gateway* g = a.gateway;
      a.loop->post([g, next, countdown] {
        g->set_state(next);
        countdown->arrive();
      });
    }
  }
  countdown->arrive();
}

std::string StatePublisher::reload(std::shared_ptr<const config::Config> cfg,
                                   const std::function<void(const config::Config&)>& before_publish,
                                   std::function<void()> applied) {
  std::lock_guard<std::mutex> lock(mu_);
  GatewayState next = *current_;
  std::string err = build(cfg, next);
  // The access log and the request id seed belong to the process, not the snapshot
  // (server.access_log is fixed at start): keep them.
  if (next.access_log_fd != current_->access_log_fd && next.access_log_fd > 2)
    ::close(next.access_log_fd);
  next.access_log_fd = current_->access_log_fd;
  next.id_seed = current_->id_seed;
  if (!err.empty()) return err;
  if (before_publish) before_publish(*cfg);
  publish_locked(std::make_shared<const GatewayState>(std::move(next)), std::move(applied));
  return {};
}

std::shared_ptr<const GatewayState> StatePublisher::with_keys_locked() {
  GatewayState next = *current_;
  next.keys = merge_keys(*next.config);
  next.keys_required = !next.config->keys.empty() || !stored_.empty() || keys_unknown_;
  return std::make_shared<const GatewayState>(std::move(next));
}

void StatePublisher::create_key(const admin::KeyRequest& request,
                                std::function<void(AdminAnswer)> done) {
  std::unique_lock<std::mutex> lock(mu_);
  if (store_ == nullptr)
    return done(refuse(503, route::ErrorClass::provider_degraded, "no key store"));
  const config::Config& cfg = *current_->config;
  if (cfg.project(request.project) == nullptr)
    return done(refuse(400, route::ErrorClass::bad_request, "unknown project " + request.project));
  for (const std::string& m : request.models)
    if (cfg.model(m) == nullptr)
      return done(refuse(400, route::ErrorClass::bad_request, "unknown model alias " + m));
  auth::GeneratedKey gen;
  try {
    gen = auth::generate_key(request.project, request.id);
  } catch (const std::exception& e) {
    return done(refuse(400, route::ErrorClass::bad_request, e.what()));
  }
  // Ids of revoked keys are never handed out again: ledger rows name keys by id.
  for (const admin::StoredKey& s : stored_)
    if (s.id == gen.id)
      return done(refuse(409, route::ErrorClass::bad_request,
                         "key id " + gen.id + " is taken" + (s.revoked_ms ? " (revoked)" : "")));
  if (current_->keys->find_id(gen.id) != nullptr)
    return done(refuse(409, route::ErrorClass::bad_request,
                       "key id " + gen.id + " is taken (by the config file)"));
  admin::StoredKey row{gen.id,
                       request.project,
                       gen.sha256_hex,
                       request.models,
                       static_cast<int64_t>(core::wall_ms()),
                       0};
  // The write may wait on the network (PostgreSQL): not under mu_, which shards take
  // for GET /admin/keys. stored_ changes only on this thread, so it is still current.
  lock.unlock();
  std::string err;
  admin::StoreResult res = store_->insert(row, err);
  if (res != admin::StoreResult::ok) {
    SLUICE_LOG_ERROR("key store: cannot add key %s: %s", row.id.c_str(), err.c_str());
    if (res == admin::StoreResult::unreachable)
      return done(refuse(503, route::ErrorClass::provider_degraded,
                         "the key store cannot be reached; the key was not created, try again"));
    return done(refuse(500, route::ErrorClass::upstream_error, "cannot store the key"));
  }
  lock.lock();
  stored_.push_back(row);
  SLUICE_LOG_INFO("admin: created key %s for project %s", row.id.c_str(), row.project.c_str());
  std::string body = "{\"id\":";
  route::append_json_string(body, row.id);
  body += ",\"project\":";
  route::append_json_string(body, row.project);
  body += ',';
  append_models(body, row.models);
  body += ",\"created_ms\":" + std::to_string(row.created_ms) + ",\"key\":";
  route::append_json_string(body, gen.key);
  body += '}';
  AdminAnswer answer{201, std::move(body)};
  publish_locked(with_keys_locked(),
                 [done = std::move(done), answer = std::move(answer)] { done(answer); });
}

void StatePublisher::revoke_key(const std::string& id, std::function<void(AdminAnswer)> done) {
  std::unique_lock<std::mutex> lock(mu_);
  if (store_ == nullptr)
    return done(refuse(503, route::ErrorClass::provider_degraded, "no key store"));
  auto find = [&]() -> admin::StoredKey* {
    for (admin::StoredKey& s : stored_)
      if (s.id == id) return &s;
    return nullptr;
  };
  admin::StoredKey* row = find();
  if (row == nullptr && store_->shared()) {
    // Made on another instance a moment ago, before its notification arrived.
    lock.unlock();
    refresh_keys();
    lock.lock();
    row = find();
  }
  if (row == nullptr) {
    if (current_->config->key(id) != nullptr)
      return done(
          refuse(409, route::ErrorClass::bad_request,
                 "key " + id + " is defined in the config file: remove it there and reload"));
    return done(refuse(404, route::ErrorClass::not_found, "no key with id " + id));
  }
  if (row->revoked_ms != 0)
    return done(refuse(404, route::ErrorClass::not_found, "key " + id + " is already revoked"));
  int64_t now = static_cast<int64_t>(core::wall_ms());
  lock.unlock();  // as in create_key
  std::string err;
  admin::StoreResult res = store_->revoke(id, now, err);
  if (res != admin::StoreResult::ok) {
    SLUICE_LOG_ERROR("key store: cannot revoke key %s: %s", id.c_str(), err.c_str());
    if (res == admin::StoreResult::unreachable)
      return done(refuse(503, route::ErrorClass::provider_degraded,
                         "the key store cannot be reached; the key was not revoked, try again"));
    return done(refuse(500, route::ErrorClass::upstream_error, "cannot revoke the key"));
  }
  lock.lock();
  row->revoked_ms = now;
  SLUICE_LOG_INFO("admin: revoked key %s", id.c_str());
  std::string body = "{\"id\":";
  route::append_json_string(body, id);
  body += ",\"revoked\":true,\"revoked_ms\":" + std::to_string(now) + "}";
  AdminAnswer answer{200, std::move(body)};
  publish_locked(with_keys_locked(),
                 [done = std::move(done), answer = std::move(answer)] { done(answer); });
}

void StatePublisher::refresh_keys() {
  if (store_ == nullptr) return;
  std::vector<admin::StoredKey> rows;
  try {
    rows = store_->load();  // not under mu_: it may wait on the network
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!store_down_) SLUICE_LOG_WARN("%s; the keys in force stay", e.what());
    store_down_ = true;
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (store_down_) SLUICE_LOG_INFO("key store: reachable again");
  store_down_ = false;
  if (rows == stored_ && !keys_unknown_) return;
  keys_unknown_ = false;
  size_t active = 0;
  for (const admin::StoredKey& k : rows) active += k.revoked_ms == 0;
  SLUICE_LOG_INFO("key store: keys changed: %zu run-time keys active (%zu revoked)", active,
                  rows.size() - active);
  stored_ = std::move(rows);
  publish_locked(with_keys_locked(), nullptr);
}

// Every key in force: the config's, then the active run-time ones. Never a secret or
// its digest.
AdminAnswer StatePublisher::list_keys() const {
  std::lock_guard<std::mutex> lock(mu_);
  const config::Config& cfg = *current_->config;
  std::string body = "{\"object\":\"list\",\"data\":[";
  bool first = true;
  auto entry = [&](const std::string& id, const std::string& project,
                   const std::vector<std::string>& models, const char* source, int64_t created) {
    if (!first) body += ',';
    first = false;
    body += "{\"id\":";
    route::append_json_string(body, id);
    body += ",\"project\":";
    route::append_json_string(body, project);
    body += ',';
    append_models(body, models);
    body += ",\"source\":\"";
    body += source;
    body += '"';
    if (created) body += ",\"created_ms\":" + std::to_string(created);
    body += '}';
  };
  for (const config::Key& k : cfg.keys) entry(k.id, k.project, k.models, "config", 0);
  for (const admin::StoredKey& s : stored_) {
    if (s.revoked_ms != 0) continue;
    const config::Key* in_force = current_->keys->find_id(s.id);
    if (in_force == nullptr || in_force->sha256_hex != s.sha256_hex) continue;  // shadowed
    entry(s.id, s.project, s.models, "admin", s.created_ms);
  }
  body += "]}";
  return {200, std::move(body)};
}

}  // namespace sluice::flow
