// A scrape gathers every shard on the shard's own loop thread and answers on the loop
// of the shard that asked.
#include "sluice/metrics/metrics_hub.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

namespace sluice::metrics {
namespace {

// A loop on its own thread, attached to the hub as `index`.
class ShardThread {
 public:
  ShardThread(MetricsHub& hub, unsigned index, uint64_t value) : hub_(hub), index_(index) {
    std::promise<void> ready;
    thread_ = std::thread([this, value, &ready] {
      core::EventLoop loop;
      loop_ = &loop;
      inbox_ = loop.inbox();
      id_ = std::this_thread::get_id();
      hub_.attach(index_, loop, [this, value](Snapshot& out) {
        // Collected on the shard's own thread, never the caller's.
        out.connections[index_] = std::this_thread::get_id() == id_ ? value : 999;
      });
      ready.set_value();
      loop.run();
      hub_.detach(index_);
    });
    ready.get_future().wait();
  }
  ~ShardThread() {
    // Through the inbox: the loop may wake on earlier work, stop and be destroyed
    // while this post is still writing its wake-up.
    inbox_->post([l = loop_] { l->stop(); });
    thread_.join();
  }
  std::thread::id id() const { return id_; }

 private:
  MetricsHub& hub_;
  unsigned index_;
  core::EventLoop* loop_ = nullptr;  // used on the loop's own thread only
  std::shared_ptr<core::Inbox> inbox_;
  std::thread::id id_;
  std::thread thread_;
};

TEST(MetricsHub, GathersEveryShardAndAnswersOnTheAskingShard) {
  MetricsHub hub(2);
  ShardThread s0(hub, 0, 10);
  ShardThread s1(hub, 1, 20);
  std::promise<std::pair<Snapshot, std::thread::id>> got;
  hub.gather(1, [&got](Snapshot s) { got.set_value({std::move(s), std::this_thread::get_id()}); });
  auto [snap, thread] = got.get_future().get();
  EXPECT_EQ(thread, s1.id());
  EXPECT_EQ(snap.connections.at(0), 10u);
  EXPECT_EQ(snap.connections.at(1), 20u);
}

TEST(MetricsHub, SkipsShardsNotAttached) {
  MetricsHub hub(3);
  ShardThread s0(hub, 0, 7);
  std::promise<Snapshot> got;
  hub.gather(0, [&got](Snapshot s) { got.set_value(std::move(s)); });
  Snapshot snap = got.get_future().get();
  EXPECT_EQ(snap.connections.size(), 1u);
  EXPECT_EQ(snap.connections.at(0), 7u);
}

TEST(MetricsHub, ManyConcurrentGathersAllAnswer) {
  MetricsHub hub(2);
  ShardThread s0(hub, 0, 1);
  ShardThread s1(hub, 1, 2);
  constexpr int kGathers = 50;
  std::vector<std::promise<uint64_t>> got(kGathers);
  for (int i = 0; i < kGathers; ++i)
    hub.gather(static_cast<unsigned>(i % 2), [&got, i](Snapshot s) {
      got[static_cast<size_t>(i)].set_value(s.connections.at(0) + s.connections.at(1));
    });
  for (auto& g : got) EXPECT_EQ(g.get_future().get(), 3u);
}

}  // namespace
}  // namespace sluice::metrics
