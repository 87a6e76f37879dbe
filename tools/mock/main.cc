// sluice-mock: parses the options, starts one shard per core on the gateway's runtime,
// and stops on SIGTERM / SIGINT after giving open responses --drain-ms to finish.

#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "mock_handler.h"
#include "sluice/core/log.h"
#include "sluice/server/shard.h"

namespace {

using sluice::server::Shard;
using sluice::server::ShardSpec;

std::string printable_address(const std::string& a) {
  bool v6 = a.find(':') != std::string::npos && a.front() != '[';
  return v6 ? "[" + a + "]" : a;
}

// Load tests hold tens of thousands of connections; the usual soft limit of 1024 open
// files would refuse them long before the mock is busy.
void raise_open_file_limit() {
  rlimit l{};
  if (getrlimit(RLIMIT_NOFILE, &l) != 0 || l.rlim_cur >= l.rlim_max) return;
  l.rlim_cur = l.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &l) != 0) SLUICE_LOG_WARN("could not raise the open-file limit");
}

// With port 0 every SO_REUSEPORT socket would get its own free port, so the first shard
// binds, and the others join the port it got.
bool start_all(std::vector<std::unique_ptr<Shard>>& shards, ShardSpec& first, ShardSpec& rest,
               size_t count) {
  std::vector<int> cpus = sluice::server::affinity_cpus();
  shards.push_back(std::make_unique<Shard>(0, cpus[0], first));
  shards.back()->start();
  if (!sluice::server::wait_ready(shards)) return false;
  rest = first;
  rest.listen[0].port = shards[0]->ports()[0];
  for (size_t i = 1; i < count; ++i) {
    shards.push_back(
        std::make_unique<Shard>(static_cast<unsigned>(i), cpus[i % cpus.size()], rest));
    shards.back()->start();
  }
  return sluice::server::wait_ready(shards);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sluice;
  mock::MockOptions options;
  std::string message;
  switch (mock::parse_options(argc, argv, options, message)) {
    case mock::ParseOutcome::exit_ok:
      fputs(message.c_str(), stdout);
      return 0;
    case mock::ParseOutcome::exit_error:
      fprintf(stderr, "sluice-mock: %s\n", message.c_str());
      return 2;
    case mock::ParseOutcome::run:
      break;
  }

  // Signals are taken synchronously by this thread only; shards never see them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  raise_open_file_limit();

  size_t count = options.threads ? options.threads : server::affinity_cpus().size();
  mock::MockShared shared(options, count);
  ShardSpec first;
  config::Listen listen;
  listen.address = options.address;
  listen.port = options.port;
  listen.tls_cert = options.tls_cert;  // HTTPS when both are set
  listen.tls_key = options.tls_key;
  first.listen.push_back(listen);
  first.make_handler = [&shared](net::IoContext&, unsigned shard) {
    return std::make_unique<mock::MockHandler>(shared, shard);
  };
  ShardSpec rest;
  // Declared after the specs they point to, so they are joined before those go.
  std::vector<std::unique_ptr<Shard>> shards;
  try {
    first.listen_tls = server::make_listen_tls(first.listen);
    if (!start_all(shards, first, rest, count)) {
      server::drain_and_join(shards, 0);
      return 1;
    }
  } catch (const std::exception& e) {
    SLUICE_LOG_ERROR("cannot start: %s", e.what());
    server::drain_and_join(shards, 0);
    return 1;
  }
  SLUICE_LOG_INFO("listening on %s:%u (%zu shards)", printable_address(options.address).c_str(),
                  static_cast<unsigned>(shards[0]->ports()[0]), count);

  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    SLUICE_LOG_INFO("%s: draining (up to %u ms)", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                    options.drain_ms);
    server::drain_and_join(shards, options.drain_ms);
    SLUICE_LOG_INFO("stopped");
    return 0;
  }
}
