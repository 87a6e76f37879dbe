#pragma once
// Admin work that may block (SQLite reads for /admin/usage) runs here, on one thread
// of its own, never on a shard. Results go back to the asking shard with
// EventLoop::post.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace sluice::admin {

class AdminWorker {
 public:
  AdminWorker();
  ~AdminWorker();  // finishes queued jobs, then joins
  AdminWorker(const AdminWorker&) = delete;
  AdminWorker& operator=(const AdminWorker&) = delete;

  void submit(std::function<void()> job);

 private:
  void run();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace sluice::admin
