#pragma once
// How a scrape reaches every shard. Each shard attaches its loop and a collect function
// at start; a scrape on any shard posts a collect task to every attached shard's loop
// (each snapshot is taken on its own shard's thread, so the shards' counters stay plain
// integers), and the last shard to answer posts the merged snapshot back to the loop of
// the shard that asked. The mutex of a slot is held only to post to that loop or to
// detach it: a shard that has stopped is never posted to.

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "sluice/core/event_loop.h"
#include "sluice/metrics/snapshot.h"

namespace sluice::metrics {

class MetricsHub {
 public:
  explicit MetricsHub(size_t shards);
  MetricsHub(const MetricsHub&) = delete;
  MetricsHub& operator=(const MetricsHub&) = delete;

  // Adds this shard's metrics to a snapshot; runs on the shard's own thread.
  using Collect = std::function<void(Snapshot&)>;
  // From the shard's own thread, before it serves / after it stopped serving.
  void attach(unsigned shard, core::EventLoop& loop, Collect collect);
  void detach(unsigned shard);

  // Collects every attached shard and calls `done` with the merged snapshot on the loop
  // of `reply_shard` (never when that shard has detached meanwhile).
  using Done = std::function<void(Snapshot)>;
  void gather(unsigned reply_shard, Done done);

  size_t shard_count() const { return slots_.size(); }

 private:
  struct Slot {
    std::mutex mu;
    core::EventLoop* loop = nullptr;  // null: not attached
    Collect collect;                  // called on the shard's thread only
  };
  struct Gather;
  void collect_on_shard(unsigned shard, const std::shared_ptr<Gather>& g);
  void finish_one(const std::shared_ptr<Gather>& g, const Snapshot* part);
  // Posts `fn` to the shard's loop if it is attached; false otherwise.
  bool post(unsigned shard, std::function<void()> fn);

  std::vector<std::unique_ptr<Slot>> slots_;
};

}  // namespace sluice::metrics
