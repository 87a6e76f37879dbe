#include "sluice/metrics/metrics_hub.h"

namespace sluice::metrics {

struct MetricsHub::Gather {
  std::mutex mu;
  Snapshot merged;
  size_t left = 1;  // one per posted shard, plus one held while posting
  unsigned reply_shard = 0;
  Done done;
};

MetricsHub::MetricsHub(size_t shards) {
  for (size_t i = 0; i < shards; ++i) slots_.push_back(std::make_unique<Slot>());
}

void MetricsHub::attach(unsigned shard, core::EventLoop& loop, Collect collect) {
  if (shard >= slots_.size()) return;
  Slot& s = *slots_[shard];
  std::lock_guard lock(s.mu);
  s.loop = &loop;
  s.collect = std::move(collect);
}

void MetricsHub::detach(unsigned shard) {
  if (shard >= slots_.size()) return;
  Slot& s = *slots_[shard];
  std::lock_guard lock(s.mu);
  s.loop = nullptr;
  s.collect = nullptr;
}

bool MetricsHub::post(unsigned shard, std::function<void()> fn) {
  Slot& s = *slots_[shard];
  std::lock_guard lock(s.mu);
  if (!s.loop) return false;
  s.loop->post(std::move(fn));
  return true;
}

void MetricsHub::gather(unsigned reply_shard, Done done) {
  auto g = std::make_shared<Gather>();
  g->reply_shard = reply_shard;
  g->done = std::move(done);
  for (unsigned i = 0; i < slots_.size(); ++i) {
    {
      std::lock_guard lock(g->mu);
      ++g->left;
    }
    if (!post(i, [this, i, g] { collect_on_shard(i, g); })) finish_one(g, nullptr);
  }
  finish_one(g, nullptr);  // the hold taken at the start
}

void MetricsHub::collect_on_shard(unsigned shard, const std::shared_ptr<Gather>& g) {
  Snapshot part;
  Collect collect;
  {
    Slot& s = *slots_[shard];
    std::lock_guard lock(s.mu);
    collect = s.collect;
  }
  if (collect) collect(part);
  finish_one(g, &part);
}

void MetricsHub::finish_one(const std::shared_ptr<Gather>& g, const Snapshot* part) {
  std::lock_guard lock(g->mu);
  if (part) g->merged.merge(*part);
  if (--g->left != 0) return;
  post(g->reply_shard, [g] { g->done(std::move(g->merged)); });
}

}  // namespace sluice::metrics
