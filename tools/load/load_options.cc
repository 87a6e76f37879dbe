#include "load_options.h"

#include <charconv>
#include <cmath>
#include <string_view>

namespace sluice::load {
namespace {

bool parse_uint(std::string_view s, uint64_t max, uint64_t& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && out <= max;
}

bool parse_double(std::string_view s, double& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(out) && out >= 0;
}

// Options that take no value.
bool is_flag(std::string_view name) {
  return name == "--stream" || name == "--tls" || name == "--progress" || name == "--no-progress" ||
         name == "--fail-on-error";
}

}  // namespace

const char* api_name(ApiKind api) {
  switch (api) {
    case ApiKind::openai_chat:
      return "openai-chat";
    case ApiKind::openai_responses:
      return "openai-responses";
    case ApiKind::anthropic:
      return "anthropic";
    case ApiKind::gemini:
      return "gemini";
  }
  return "?";
}

bool parse_api(const std::string& text, ApiKind& out) {
  std::string t = text;
  for (char& c : t) {
    if (c == '_') c = '-';
  }
  if (t == "openai-chat" || t == "openai" || t == "chat") {
    out = ApiKind::openai_chat;
  } else if (t == "openai-responses" || t == "responses") {
    out = ApiKind::openai_responses;
  } else if (t == "anthropic") {
    out = ApiKind::anthropic;
  } else if (t == "gemini") {
    out = ApiKind::gemini;
  } else {
    return false;
  }
  return true;
}

const char* default_model(ApiKind api) {
  switch (api) {
    case ApiKind::openai_chat:
    case ApiKind::openai_responses:
      return "gpt-4o-mini";
    case ApiKind::anthropic:
      return "claude-3-5-haiku-latest";
    case ApiKind::gemini:
      return "gemini-2.0-flash";
  }
  return "";
}

bool parse_duration(const std::string& text, double& seconds) {
  std::string_view s = text;
  double scale = 1;
  if (s.size() > 2 && s.substr(s.size() - 2) == "ms") {
    scale = 1e-3;
    s.remove_suffix(2);
  } else if (!s.empty() && (s.back() == 's' || s.back() == 'm' || s.back() == 'h')) {
    scale = s.back() == 's' ? 1 : s.back() == 'm' ? 60 : 3600;
    s.remove_suffix(1);
  }
  double v = 0;
  if (!parse_double(s, v)) return false;
  seconds = v * scale;
  return true;
}

bool parse_header_line(const std::string& text, HeaderLine& out) {
  size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string name = text.substr(0, colon);
  if (name.find_first_of(" \t\r\n") != std::string::npos) return false;
  size_t v = text.find_first_not_of(" \t", colon + 1);
  std::string value = v == std::string::npos ? "" : text.substr(v);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
  if (value.find_first_of("\r\n") != std::string::npos) return false;
  out.name = std::move(name);
  out.value = std::move(value);
  return true;
}

std::string usage_text() {
  return R"(usage: sluice-load --url URL [options]

An io_uring HTTP/1.1 load generator for LLM APIs: closed or open loop (coordinated-
omission corrected), keep-alive connections, TTFT and inter-chunk gaps for streams,
latency percentiles, a JSON report and an SVG plot. See docs/LOAD.md.

Target and request:
  --url URL            base URL, http://host:port[/prefix] or https://... (required)
  --api API            openai-chat (default), openai-responses, anthropic, gemini
  --stream             ask for a streamed (SSE) answer
  --model M            model name (default: one per API)
  --key K              credential, sent as the API's SDK sends it (Authorization:
                       Bearer / x-api-key / x-goog-api-key)
  --max-tokens N       output token cap in the body (default 256)
  --prompt-bytes N     size of the prompt text (default 64)
  --path P             request path after the URL's prefix (default: the API's own)
  --header 'K: V'      extra request header (repeatable)
  --scenario FILE      JSON weighted mix of requests (see docs/LOAD.md); the options
                       above are the defaults of its entries
  --tls                use TLS even though the URL says http://
  --ca-file F          PEM CA bundle to trust (default: the system's)

Load:
  --connections N      keep-alive connections over all threads (default 64)
  --threads N          threads, each with its own io_uring (default: CPUs available)
  --rate R             open loop: R requests/s in total on a constant schedule;
                       latency counts from each request's intended send time
                       (without --rate: closed loop, each connection sends its next
                       request when the previous response ends)
  --duration T         how long to measure (default 10s; units ms, s, m, h)
  --requests N         measure exactly N requests instead of a duration
  --warmup T           run T before measuring (not counted)
  --timeout T          per-request limit, send to last byte (default 60s)
  --connect-timeout T  (default 5s)
  --drain T            after --duration, time left to requests in flight (default 5s)

Output:
  --json FILE          every figure as JSON
  --plot FILE.svg      latency percentiles and throughput over time
  --progress           live progress line even when stderr is not a terminal
  --no-progress        no live progress line
  --fail-on-error      exit 1 when any request failed (non-2xx or transport error)
  --help, --version

Exit status: 0 when the run completed (whatever the target answered), 1 when it
could not run (or --fail-on-error saw errors), 2 on bad options.
)";
}

ParseOutcome parse_options(int argc, char** argv, LoadOptions& out, std::string& message) {
  bool have_duration = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      message = usage_text();
      return ParseOutcome::exit_ok;
    }
    if (arg == "--version") {
      message = "sluice-load " SLUICE_VERSION "\n";
      return ParseOutcome::exit_ok;
    }
    if (arg.substr(0, 2) != "--" && arg != "-H") {
      message = "unexpected argument '" + std::string(arg) + "' (see --help)";
      return ParseOutcome::exit_error;
    }
    size_t eq = arg.find('=');
    std::string name(arg.substr(0, eq));
    if (is_flag(name)) {
      if (eq != std::string_view::npos) {
        message = "option " + name + " takes no value";
        return ParseOutcome::exit_error;
      }
      if (name == "--stream") out.stream = true;
      if (name == "--tls") out.tls = true;
      if (name == "--progress") out.progress = ProgressMode::on;
      if (name == "--no-progress") out.progress = ProgressMode::off;
      if (name == "--fail-on-error") out.fail_on_error = true;
      continue;
    }
    std::string value;
    if (eq != std::string_view::npos) {
      value = std::string(arg.substr(eq + 1));
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      message = "option " + name + " needs a value (see --help)";
      return ParseOutcome::exit_error;
    }
    auto bad = [&](const std::string& what) {
      message = "option " + name + ": '" + value + "' is not " + what;
      return ParseOutcome::exit_error;
    };
    uint64_t n = 0;
    double d = 0;
    if (name == "--url") {
      out.url = value;
    } else if (name == "--api") {
      if (!parse_api(value, out.api))
        return bad("an API (openai-chat, openai-responses, anthropic, gemini)");
    } else if (name == "--model") {
      out.model = value;
    } else if (name == "--key") {
      out.key = value;
    } else if (name == "--max-tokens") {
      if (!parse_uint(value, UINT32_MAX, n) || n == 0) return bad("a positive whole number");
      out.max_tokens = static_cast<uint32_t>(n);
    } else if (name == "--prompt-bytes") {
      if (!parse_uint(value, 64u << 20, n)) return bad("a byte count up to 64 MiB");
      out.prompt_bytes = static_cast<uint32_t>(n);
    } else if (name == "--path") {
      if (value.empty() || value[0] != '/') return bad("a path starting with '/'");
      out.path = value;
    } else if (name == "--header" || name == "-H") {
      HeaderLine h;
      if (!parse_header_line(value, h)) return bad("a header line 'Name: value'");
      out.headers.push_back(std::move(h));
    } else if (name == "--scenario") {
      out.scenario_file = value;
    } else if (name == "--ca-file") {
      out.ca_file = value;
    } else if (name == "--connections") {
      if (!parse_uint(value, 1'000'000, n) || n == 0) return bad("a count between 1 and 1000000");
      out.connections = static_cast<unsigned>(n);
    } else if (name == "--threads") {
      if (!parse_uint(value, 1024, n) || n == 0) return bad("a count between 1 and 1024");
      out.threads = static_cast<unsigned>(n);
    } else if (name == "--rate") {
      if (!parse_double(value, d) || d <= 0 || d > 1e8) return bad("a rate in requests/s (> 0)");
      out.rate = d;
    } else if (name == "--duration") {
      if (!parse_duration(value, d) || d <= 0) return bad("a positive duration (10s, 500ms, 2m)");
      out.duration_s = d;
      have_duration = true;
    } else if (name == "--requests") {
      if (!parse_uint(value, UINT64_MAX / 2, n) || n == 0) return bad("a positive count");
      out.requests = n;
    } else if (name == "--warmup") {
      if (!parse_duration(value, d)) return bad("a duration (5s, 500ms)");
      out.warmup_s = d;
    } else if (name == "--timeout") {
      if (!parse_duration(value, d) || d <= 0) return bad("a positive duration");
      out.timeout_s = d;
    } else if (name == "--connect-timeout") {
      if (!parse_duration(value, d) || d <= 0) return bad("a positive duration");
      out.connect_timeout_s = d;
    } else if (name == "--drain") {
      if (!parse_duration(value, d)) return bad("a duration");
      out.drain_s = d;
    } else if (name == "--json") {
      out.json_file = value;
    } else if (name == "--plot") {
      out.plot_file = value;
    } else {
      message = "unknown option " + name + " (see --help)";
      return ParseOutcome::exit_error;
    }
  }
  if (out.url.empty()) {
    message = "--url is required (e.g. --url http://127.0.0.1:9000)";
    return ParseOutcome::exit_error;
  }
  if (have_duration && out.requests > 0) {
    message = "--duration and --requests exclude each other: give one";
    return ParseOutcome::exit_error;
  }
  if (!have_duration && out.requests == 0) out.duration_s = 10;
  return ParseOutcome::run;
}

}  // namespace sluice::load
