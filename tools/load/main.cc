// sluice-load: parses the options, builds every request once, starts one worker thread
// (one io_uring) per CPU, shows progress while they run, then merges their figures into
// the summary, the --json report and the --plot SVG.

#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "load_options.h"
#include "progress.h"
#include "report.h"
#include "request_template.h"
#include "run_plan.h"
#include "scenario.h"
#include "sluice/core/clock.h"
#include "sluice/tls/tls_client.h"
#include "svg_plot.h"
#include "target.h"
#include "worker.h"

namespace {

using namespace sluice::load;

// Lets the threads connect before the traffic starts.
constexpr uint64_t kStartDelayNs = 100'000'000;

unsigned available_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  int n = CPU_COUNT(&set);
  return n > 0 ? static_cast<unsigned>(n) : 1;
}

// Every connection is a descriptor; the usual soft limit (1024) is far below what a load
// run may open, so raise it to the hard limit as load tools do.
void raise_descriptor_limit(unsigned connections) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  rlim_t want = static_cast<rlim_t>(connections) + 64;
  if (lim.rlim_cur >= want) return;
  lim.rlim_cur = lim.rlim_max == RLIM_INFINITY || lim.rlim_max > want ? want : lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < want) {
    fprintf(stderr,
            "sluice-load: warning: %u connections need %llu descriptors but the hard limit is "
            "%llu (ulimit -n); connects past it fail\n",
            connections, static_cast<unsigned long long>(want),
            static_cast<unsigned long long>(lim.rlim_max));
  }
}

int bad_usage(const std::string& message) {
  fprintf(stderr, "sluice-load: %s\n", message.c_str());
  return 2;
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    fprintf(stderr, "sluice-load: cannot write %s\n", path.c_str());
    return false;
  }
  return true;
}

void merge_snapshots(std::vector<std::unique_ptr<Worker>>& workers, Snapshot& merged) {
  merged.responses = merged.errors = merged.in_flight = 0;
  merged.latency.clear();
  Snapshot one;
  for (auto& w : workers) {
    w->snapshot(one);
    merged.responses += one.responses;
    merged.errors += one.errors;
    merged.in_flight += one.in_flight;
    merged.latency.merge(one.latency);
  }
}

}  // namespace

int main(int argc, char** argv) {
  LoadOptions options;
  std::string message;
  switch (parse_options(argc, argv, options, message)) {
    case ParseOutcome::exit_ok:
      fputs(message.c_str(), stdout);
      return 0;
    case ParseOutcome::exit_error:
      return bad_usage(message);
    case ParseOutcome::run:
      break;
  }

  Target target;
  if (!parse_url(options.url, target, message)) return bad_usage(message);
  if (options.tls) target.tls = true;
  if (!resolve(target, message)) return bad_usage(message);

  Scenario scenario;
  if (options.scenario_file.empty()) {
    scenario = scenario_from_options(options);
  } else if (!load_scenario(options.scenario_file, options, scenario, message)) {
    return bad_usage("scenario " + message);
  }
  std::vector<RequestTemplate> templates(scenario.entries.size());
  for (size_t i = 0; i < scenario.entries.size(); ++i) {
    if (!build_request(scenario.entries[i], scenario.project_of[i], target, options.headers,
                       templates[i], message)) {
      return bad_usage(scenario.entries.size() > 1 ? "entry " + std::to_string(i) + ": " + message
                                                   : message);
    }
  }

  std::unique_ptr<sluice::tls::TlsClientContext> tls;
  if (target.tls) {
    try {
      tls = std::make_unique<sluice::tls::TlsClientContext>(
          sluice::tls::TlsClientConfig{options.ca_file});
    } catch (const std::exception& e) {
      return bad_usage(std::string("TLS: ") + e.what());
    }
  }

  raise_descriptor_limit(options.connections);
  unsigned threads = options.threads ? options.threads : available_cpus();
  std::vector<WorkerPlan> plans =
      plan_workers(threads, options.connections, options.rate, options.requests);

  // Signals go to this thread only (sigtimedwait below); workers never see them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  RunShared shared;
  shared.templates = &templates;
  for (const ScenarioEntry& e : scenario.entries) shared.weights.push_back(e.weight);
  shared.project_count = scenario.projects.size();
  shared.target = &target;
  shared.tls = tls.get();
  shared.open_loop = options.rate > 0;
  shared.count_requests = options.requests > 0;
  shared.start_ns = sluice::core::mono_ns() + kStartDelayNs;
  shared.measure_ns = shared.start_ns + static_cast<uint64_t>(options.warmup_s * 1e9);
  if (!shared.count_requests)
    shared.end_ns = shared.measure_ns + static_cast<uint64_t>(options.duration_s * 1e9);
  shared.timeout_ns = static_cast<uint64_t>(options.timeout_s * 1e9);
  shared.connect_timeout_ns = static_cast<uint64_t>(options.connect_timeout_s * 1e9);
  shared.drain_ns = static_cast<uint64_t>(options.drain_s * 1e9);
  shared.tickets.store(static_cast<int64_t>(options.requests));

  std::vector<std::unique_ptr<Worker>> workers;
  for (const WorkerPlan& p : plans) workers.push_back(std::make_unique<Worker>(shared, p));
  for (auto& w : workers) w->start();

  bool terminal = isatty(STDERR_FILENO) == 1;
  Progress progress(options.progress == ProgressMode::on ||
                        (options.progress == ProgressMode::automatic && terminal),
                    terminal);
  bool interrupted = false;
  Snapshot merged;
  uint64_t last_sample = 0;
  while (shared.finished_workers.load(std::memory_order_acquire) < workers.size()) {
    timespec wait{0, 50'000'000};
    int sig = sigtimedwait(&signals, nullptr, &wait);
    if (sig == SIGINT || sig == SIGTERM) {
      if (interrupted) _exit(130);  // a second ^C: the user does not want the summary
      interrupted = true;
      shared.stop.store(true, std::memory_order_relaxed);
    }
    uint64_t now = sluice::core::mono_ns();
    if (now - last_sample >= 250'000'000) {
      last_sample = now;
      merge_snapshots(workers, merged);
      double elapsed = (static_cast<double>(now) - static_cast<double>(shared.measure_ns)) / 1e9;
      progress.update(now, elapsed, merged);
    }
  }
  for (auto& w : workers) w->join();
  progress.finish();

  for (auto& w : workers) {
    if (!w->error().empty()) {
      fprintf(stderr, "sluice-load: a worker failed: %s\n", w->error().c_str());
      return 1;
    }
  }

  RunReport report;
  report.options = &options;
  report.scenario = &scenario;
  report.threads = static_cast<unsigned>(plans.size());
  report.connections = options.connections;
  report.open_loop = shared.open_loop;
  report.interrupted = interrupted;
  report.merged.projects.resize(scenario.projects.size());
  for (auto& w : workers) {
    report.merged.merge(w->stats());
    Timeline::merge_into(report.timeline, w->stats().timeline);
  }
  report.total = report.merged.total();
  if (report.merged.last_end_ns > shared.measure_ns)
    report.elapsed_s = static_cast<double>(report.merged.last_end_ns - shared.measure_ns) / 1e9;

  fputs(human_summary(report).c_str(), stdout);
  fflush(stdout);
  bool written = true;
  if (!options.json_file.empty()) written &= write_file(options.json_file, json_report(report));
  if (!options.plot_file.empty()) written &= write_file(options.plot_file, svg_plot(report));
  if (!written) return 1;
  if (options.fail_on_error && has_errors(report)) return 1;
  return 0;
}
