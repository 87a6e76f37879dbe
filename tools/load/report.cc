#include "report.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <cstdio>

#include "units.h"

namespace sluice::load {
namespace {

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

struct Quantile {
  const char* json;
  const char* human;
  double q;
};
constexpr Quantile kQuantiles[] = {{"p50", "p50", 0.5},
                                   {"p90", "p90", 0.9},
                                   {"p99", "p99", 0.99},
                                   {"p99_9", "p99.9", 0.999},
                                   {"p99_99", "p99.99", 0.9999}};

double per_s(uint64_t n, double seconds) {
  return seconds > 0 ? static_cast<double>(n) / seconds : 0;
}

void write_histogram(Writer& w, const char* key, const Histogram& h, double scale) {
  w.Key(key);
  w.StartObject();
  w.Key("count");
  w.Uint64(h.count());
  w.Key("min");
  w.Double(static_cast<double>(h.min()) / scale);
  w.Key("mean");
  w.Double(h.mean() / scale);
  w.Key("stddev");
  w.Double(h.stddev() / scale);
  for (const Quantile& q : kQuantiles) {
    w.Key(q.json);
    w.Double(static_cast<double>(h.percentile(q.q)) / scale);
  }
  w.Key("max");
  w.Double(static_cast<double>(h.max()) / scale);
  w.EndObject();
}

void write_block(Writer& w, const ProjectStats& p, double elapsed) {
  w.StartObject();
  w.Key("requests");
  w.StartObject();
  w.Key("sent");
  w.Uint64(p.sent);
  w.Key("completed");
  w.Uint64(p.responses);
  w.Key("ok");
  w.Uint64(p.ok);
  w.Key("errors");
  w.Uint64(p.errors());
  w.Key("http_errors");
  w.Uint64(p.http_errors());
  w.Key("transport_errors");
  w.Uint64(p.transport_errors());
  w.EndObject();
  w.Key("requests_per_s");
  w.Double(per_s(p.responses, elapsed));
  w.Key("ok_per_s");
  w.Double(per_s(p.ok, elapsed));
  w.Key("status");
  w.StartObject();
  for (size_t code = 0; code < p.status.size(); ++code) {
    if (p.status[code] == 0) continue;
    w.Key(std::to_string(code).c_str());
    w.Uint64(p.status[code]);
  }
  w.EndObject();
  w.Key("error_classes");
  w.StartObject();
  for (const auto& [name, n] : p.error_classes) {
    w.Key(name.c_str());
    w.Uint64(n);
  }
  w.EndObject();
  w.Key("transport_errors");
  w.StartObject();
  for (size_t i = 0; i < kTransportErrorCount; ++i) {
    w.Key(transport_error_name(static_cast<TransportError>(i)));
    w.Uint64(p.transport[i]);
  }
  w.EndObject();
  w.Key("bytes");
  w.StartObject();
  w.Key("in");
  w.Uint64(p.bytes_in);
  w.Key("out");
  w.Uint64(p.bytes_out);
  w.Key("in_per_s");
  w.Double(per_s(p.bytes_in, elapsed));
  w.Key("out_per_s");
  w.Double(per_s(p.bytes_out, elapsed));
  w.EndObject();
  w.Key("tokens");
  w.StartObject();
  w.Key("input");
  w.Uint64(p.input_tokens);
  w.Key("output");
  w.Uint64(p.output_tokens);
  w.Key("output_per_s");
  w.Double(per_s(p.output_tokens, elapsed));
  w.Key("usage_reported");
  w.Uint64(p.usage_reported);
  w.EndObject();
  w.Key("streams");
  w.StartObject();
  w.Key("count");
  w.Uint64(p.streams);
  w.Key("content_events");
  w.Uint64(p.stream_events);
  w.Key("ended_in_error");
  w.Uint64(p.stream_errors);
  w.EndObject();
  write_histogram(w, "latency_us", p.latency, 1);
  write_histogram(w, "ttft_us", p.ttft, 1);
  write_histogram(w, "inter_chunk_us", p.inter_chunk, 1);
  write_histogram(w, "stream_tokens_per_s", p.stream_tokens_per_s, 1000);
  w.EndObject();
}

std::string percentiles_line(const Histogram& h, double scale, bool durations) {
  auto fmt = [&](double v) {
    if (durations) return format_us(v);
    return format_rate(v / scale);
  };
  std::string out;
  for (const Quantile& q : kQuantiles) {
    out += std::string(q.human) + " " + fmt(static_cast<double>(h.percentile(q.q))) + "  ";
  }
  out += "max " + fmt(static_cast<double>(h.max()));
  out += "  (mean " + fmt(h.mean()) + ", n=" + std::to_string(h.count()) + ")";
  return out;
}

std::string status_line(const ProjectStats& p) {
  std::string out;
  for (size_t code = 0; code < p.status.size(); ++code) {
    if (p.status[code] == 0) continue;
    if (!out.empty()) out += ", ";
    out += std::to_string(code) + ": " + std::to_string(p.status[code]);
  }
  return out.empty() ? "none" : out;
}

std::string describe_entries(const Scenario& s) {
  std::string out;
  for (const ScenarioEntry& e : s.entries) {
    if (!out.empty()) out += "; ";
    if (s.entries.size() > 1) out += e.project + " ";
    out += api_name(e.api);
    out += e.stream ? " stream" : "";
    if (s.entries.size() > 1) {
      char w[32];
      snprintf(w, sizeof w, " x%g", e.weight);
      out += w;
    }
  }
  return out;
}

}  // namespace

bool has_errors(const RunReport& r) { return r.total.errors() > 0; }

std::string human_summary(const RunReport& r) {
  const ProjectStats& t = r.total;
  const LoadOptions& o = *r.options;
  char buf[512];
  std::string out;
  if (r.open_loop) {
    snprintf(buf, sizeof buf, "open loop at %s req/s, ", format_rate(o.rate).c_str());
  } else {
    snprintf(buf, sizeof buf, "closed loop, ");
  }
  out += "sluice-load " SLUICE_VERSION ": " + std::string(buf) + std::to_string(r.connections) +
         " connections on " + std::to_string(r.threads) + " threads, " +
         format_us(r.elapsed_s * 1e6) + " measured" + (r.interrupted ? " (interrupted)" : "") +
         "\n";
  out += "  target       " + o.url + "  " + describe_entries(*r.scenario) + "\n\n";
  snprintf(
      buf, sizeof buf, "%llu completed, %s req/s; %llu ok, %llu errors (%llu HTTP, %llu transport)",
      static_cast<unsigned long long>(t.responses),
      format_rate(per_s(t.responses, r.elapsed_s)).c_str(), static_cast<unsigned long long>(t.ok),
      static_cast<unsigned long long>(t.errors()), static_cast<unsigned long long>(t.http_errors()),
      static_cast<unsigned long long>(t.transport_errors()));
  out += "  requests     " + std::string(buf) + "\n";
  out += "  status       " + status_line(t) + "\n";
  if (!t.error_classes.empty()) {
    std::string classes;
    for (const auto& [name, n] : t.error_classes)
      classes += (classes.empty() ? "" : ", ") + name + ": " + std::to_string(n);
    out += "  sluice       x-sluice-error-class " + classes + "\n";
  }
  if (t.transport_errors() > 0) {
    std::string kinds;
    for (size_t i = 0; i < kTransportErrorCount; ++i) {
      if (t.transport[i] == 0) continue;
      kinds += (kinds.empty() ? "" : ", ") +
               std::string(transport_error_name(static_cast<TransportError>(i))) + ": " +
               std::to_string(t.transport[i]);
    }
    out += "  transport    " + kinds + "\n";
    if (!r.merged.tls_failure.empty())
      out += "  tls          first failure: " + r.merged.tls_failure + "\n";
  }
  out += "  latency      " + percentiles_line(t.latency, 1, true) + "\n";
  if (t.streams > 0) {
    out += "  ttft         " + percentiles_line(t.ttft, 1, true) + "\n";
    out += "  inter-chunk  " + percentiles_line(t.inter_chunk, 1, true) + "\n";
    if (t.stream_tokens_per_s.count() > 0)
      out += "  tok/s/stream " + percentiles_line(t.stream_tokens_per_s, 1000, false) + "\n";
  }
  snprintf(buf, sizeof buf, "in %llu, out %llu (%s/s)%s",
           static_cast<unsigned long long>(t.input_tokens),
           static_cast<unsigned long long>(t.output_tokens),
           format_rate(per_s(t.output_tokens, r.elapsed_s)).c_str(),
           t.usage_reported < t.ok ? " (some without reported usage)" : "");
  out += "  tokens       " + std::string(buf) + "\n";
  out += "  bytes        in " + format_bytes(static_cast<double>(t.bytes_in)) + " (" +
         format_bytes(per_s(t.bytes_in, r.elapsed_s)) + "/s), out " +
         format_bytes(static_cast<double>(t.bytes_out)) + " (" +
         format_bytes(per_s(t.bytes_out, r.elapsed_s)) + "/s)\n";

  if (r.merged.projects.size() > 1) {
    out += "\n  by project\n";
    snprintf(buf, sizeof buf, "    %-20s %7s %10s %10s %8s %10s %10s %10s\n", "project", "share",
             "completed", "req/s", "errors", "p50", "p99", "ttft p50");
    out += buf;
    for (size_t i = 0; i < r.merged.projects.size(); ++i) {
      const ProjectStats& p = r.merged.projects[i];
      double share = t.sent ? 100.0 * static_cast<double>(p.sent) / static_cast<double>(t.sent) : 0;
      snprintf(
          buf, sizeof buf, "    %-20s %6.1f%% %10llu %10s %8llu %10s %10s %10s\n",
          r.scenario->projects[i].c_str(), share, static_cast<unsigned long long>(p.responses),
          format_rate(per_s(p.responses, r.elapsed_s)).c_str(),
          static_cast<unsigned long long>(p.errors()),
          format_us(static_cast<double>(p.latency.percentile(0.5))).c_str(),
          format_us(static_cast<double>(p.latency.percentile(0.99))).c_str(),
          p.ttft.count() ? format_us(static_cast<double>(p.ttft.percentile(0.5))).c_str() : "-");
      out += buf;
    }
  }

  const RunStats& m = r.merged;
  if (m.waited > 0) {
    out += "\n  note: " + std::to_string(m.waited) +
           " requests found no free connection when due (most waiting at once: " +
           std::to_string(m.max_backlog) +
           "); their latency counts the wait. Raise --connections if the target can take more.\n";
  }
  if (m.unsent > 0) {
    out += "  note: " + std::to_string(m.unsent) +
           " requests were due before the end but never sent (no free connection).\n";
  }
  if (m.unfinished > 0) {
    out += "  note: " + std::to_string(m.unfinished) +
           " requests were still in flight when the drain time ran out (not counted).\n";
  }
  return out;
}

std::string json_report(const RunReport& r) {
  const LoadOptions& o = *r.options;
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("tool");
  w.String("sluice-load");
  w.Key("version");
  w.String(SLUICE_VERSION);
  w.Key("config");
  w.StartObject();
  w.Key("url");
  w.String(o.url.c_str());
  w.Key("mode");
  w.String(r.open_loop ? "open" : "closed");
  w.Key("rate");
  w.Double(o.rate);
  w.Key("connections");
  w.Uint(r.connections);
  w.Key("threads");
  w.Uint(r.threads);
  w.Key("duration_s");
  w.Double(o.requests ? 0 : o.duration_s);
  w.Key("requests");
  w.Uint64(o.requests);
  w.Key("warmup_s");
  w.Double(o.warmup_s);
  w.Key("timeout_s");
  w.Double(o.timeout_s);
  w.Key("entries");
  w.StartArray();
  for (const ScenarioEntry& e : r.scenario->entries) {
    w.StartObject();
    w.Key("project");
    w.String(e.project.c_str());
    w.Key("weight");
    w.Double(e.weight);
    w.Key("api");
    w.String(api_name(e.api));
    w.Key("stream");
    w.Bool(e.stream);
    w.Key("model");
    w.String(e.model.empty() ? default_model(e.api) : e.model.c_str());
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.Key("interrupted");
  w.Bool(r.interrupted);
  w.Key("elapsed_s");
  w.Double(r.elapsed_s);
  w.Key("totals");
  write_block(w, r.total, r.elapsed_s);
  w.Key("projects");
  w.StartObject();
  for (size_t i = 0; i < r.merged.projects.size(); ++i) {
    w.Key(r.scenario->projects[i].c_str());
    write_block(w, r.merged.projects[i], r.elapsed_s);
  }
  w.EndObject();
  w.Key("open_loop");
  w.StartObject();
  w.Key("waited");
  w.Uint64(r.merged.waited);
  w.Key("max_backlog");
  w.Uint64(r.merged.max_backlog);
  w.Key("unsent");
  w.Uint64(r.merged.unsent);
  w.EndObject();
  w.Key("unfinished");
  w.Uint64(r.merged.unfinished);
  w.Key("tls_failure");
  w.String(r.merged.tls_failure.c_str());
  w.Key("connections_opened");
  w.Uint64(r.merged.connects);
  w.Key("timeline");
  w.StartArray();
  for (size_t i = 0; i < r.timeline.totals.size(); ++i) {
    const Second& s = r.timeline.totals[i];
    const Histogram& h = r.timeline.latency[i];
    w.StartObject();
    w.Key("second");
    w.Uint64(i);
    w.Key("requests");
    w.Uint64(s.responses);
    w.Key("errors");
    w.Uint64(s.errors);
    w.Key("bytes_in");
    w.Uint64(s.bytes_in);
    w.Key("output_tokens");
    w.Uint64(s.output_tokens);
    w.Key("latency_p50_us");
    w.Uint64(h.percentile(0.5));
    w.Key("latency_p99_us");
    w.Uint64(h.percentile(0.99));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize()) + "\n";
}

}  // namespace sluice::load
