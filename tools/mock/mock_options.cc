#include "mock_options.h"

#include <charconv>
#include <cmath>
#include <string_view>

namespace sluice::mock {
namespace {

bool parse_uint(std::string_view s, uint64_t max, uint64_t& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && out <= max;
}

bool parse_double(std::string_view s, double max, double& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(out) && out >= 0 &&
         out <= max;
}

uint64_t ms_to_ns(double ms) { return static_cast<uint64_t>(std::llround(ms * 1e6)); }

}  // namespace

std::string usage_text() {
  return R"(usage: sluice-mock [options]

A fast mock LLM provider speaking the OpenAI, Anthropic and Gemini wire formats, with
set token timing, failure injection and account rate limits. See docs/MOCK.md.

  --address A          listen address (default 127.0.0.1)
  --port P             listen port (default 9000; 0 picks a free one, logged as
                       "listening on ADDR:PORT")
  --threads N          shards (default: one per CPU)
  --ttft-ms MS         time to first token (default 0)        header x-mock-ttft-ms
  --itl-ms MS          delay between tokens (default 0: all at once)  x-mock-itl-ms
  --tps N              tokens per second (sets --itl-ms to 1000/N)    x-mock-tps
  --output-tokens N    tokens per answer (default 16)         header x-mock-output-tokens
  --fault SPEC         inject SPEC into every request         header x-mock-fault
                         status=CODE[,retry_after=S][,retry_after_ms=MS][,code=C]
                         hang | refuse | drop_after=N | stall_after=N | drip[,drip_ms=MS]
  --fault-schedule S   "N:SPEC;N-M:SPEC": request N (from 1) of the process gets SPEC
  --fault-rate P       inject --fault into a share P (0..1) of requests, chosen by a
                       fixed pseudo-random sequence (default 1)
  --rpm N              requests per minute for the whole process (429 past it)
  --tpm N              tokens per minute, prompt estimate plus output (429 past it)
  --drain-ms MS        on SIGTERM, time left to open responses (default 1000)
  --help, --version
)";
}

ParseOutcome parse_options(int argc, char** argv, MockOptions& out, std::string& message) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      message = usage_text();
      return ParseOutcome::exit_ok;
    }
    if (arg == "--version") {
      message = "sluice-mock " SLUICE_VERSION "\n";
      return ParseOutcome::exit_ok;
    }
    std::string_view value;
    size_t eq = arg.find('=');
    std::string_view name = arg.substr(0, eq);
    if (eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      message = "option " + std::string(name) + " needs a value (see --help)";
      return ParseOutcome::exit_error;
    }
    auto bad = [&](std::string_view what) {
      message = "option " + std::string(name) + ": '" + std::string(value) + "' is not " +
                std::string(what);
      return ParseOutcome::exit_error;
    };
    uint64_t n = 0;
    double d = 0;
    Defaults& def = out.defaults;
    if (name == "--address") {
      out.address = std::string(value);
    } else if (name == "--port") {
      if (!parse_uint(value, 65535, n)) return bad("a port number (0..65535)");
      out.port = static_cast<uint16_t>(n);
    } else if (name == "--threads") {
      if (!parse_uint(value, 1024, n) || n == 0) return bad("a thread count (1..1024)");
      out.threads = static_cast<unsigned>(n);
    } else if (name == "--ttft-ms") {
      if (!parse_double(value, 3.6e6, d)) return bad("a duration in ms (0..3600000)");
      def.ttft_ns = ms_to_ns(d);
    } else if (name == "--itl-ms") {
      if (!parse_double(value, 3.6e6, d)) return bad("a duration in ms (0..3600000)");
      def.itl_ns = ms_to_ns(d);
    } else if (name == "--tps") {
      if (!parse_double(value, 1e9, d) || d <= 0) return bad("a positive rate");
      def.itl_ns = static_cast<uint64_t>(std::llround(1e9 / d));
    } else if (name == "--output-tokens") {
      if (!parse_uint(value, kMaxOutputTokens, n) || n == 0) return bad("a count (1..1000000)");
      def.output_tokens = static_cast<uint32_t>(n);
    } else if (name == "--fault") {
      std::string error;
      if (!parse_fault(value, def.fault, error)) {
        message = "option --fault: " + error;
        return ParseOutcome::exit_error;
      }
    } else if (name == "--fault-schedule") {
      std::string error;
      if (!parse_fault_schedule(value, def.fault_schedule, error)) {
        message = "option --fault-schedule: " + error;
        return ParseOutcome::exit_error;
      }
    } else if (name == "--fault-rate") {
      if (!parse_double(value, 1.0, d)) return bad("a share between 0 and 1");
      def.fault_rate = d;
    } else if (name == "--rpm") {
      if (!parse_uint(value, UINT32_MAX, n)) return bad("a count");
      out.rpm = n;
    } else if (name == "--tpm") {
      if (!parse_uint(value, UINT64_MAX / 2, n)) return bad("a count");
      out.tpm = n;
    } else if (name == "--drain-ms") {
      if (!parse_uint(value, 3'600'000, n)) return bad("a duration in ms");
      out.drain_ms = static_cast<uint32_t>(n);
    } else if (name == "--tls-cert") {
      out.tls_cert = std::string(value);
    } else if (name == "--tls-key") {
      out.tls_key = std::string(value);
    } else {
      message = "unknown option " + std::string(name) + " (see --help)";
      return ParseOutcome::exit_error;
    }
  }
  if (out.tls_cert.empty() != out.tls_key.empty()) {
    message = "--tls-cert and --tls-key go together (a PEM certificate chain and its key)";
    return ParseOutcome::exit_error;
  }
  return ParseOutcome::run;
}

}  // namespace sluice::mock
