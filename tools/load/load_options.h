#pragma once
// sluice-load's command line.

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::load {

// The request shapes sluice-load can send; each is sent the way its official SDK sends it.
enum class ApiKind : uint8_t { openai_chat, openai_responses, anthropic, gemini };

// "openai-chat", "openai-responses", "anthropic", "gemini".
const char* api_name(ApiKind api);
// Parses an --api value; also takes the underscore spellings. False when unknown.
bool parse_api(const std::string& text, ApiKind& out);

struct HeaderLine {
  std::string name;
  std::string value;
};

enum class ProgressMode : uint8_t { automatic, on, off };

struct LoadOptions {
  // Target.
  std::string url;   // base URL: http[s]://host[:port][/prefix]
  bool tls = false;  // --tls: speak TLS even though the URL says http
  std::string ca_file;

  // The request (defaults for every scenario entry).
  ApiKind api = ApiKind::openai_chat;
  bool stream = false;
  std::string model;  // empty: a per-API default (see default_model)
  std::string key;    // empty: no credential header
  uint32_t max_tokens = 256;
  uint32_t prompt_bytes = 64;
  std::string path;  // empty: the API's own endpoint path
  std::vector<HeaderLine> headers;
  std::string scenario_file;

  // Load shape.
  unsigned threads = 0;  // 0: one per CPU of the affinity mask
  unsigned connections = 64;
  double rate = 0;  // requests/s over all threads; 0: closed loop
  double duration_s = 0;
  uint64_t requests = 0;  // 0: run for duration_s instead
  double warmup_s = 0;
  double timeout_s = 60;  // per request, from send to the end of the response
  double connect_timeout_s = 5;
  double drain_s = 5;  // after --duration, time left to requests still in flight

  // Output.
  std::string json_file;
  std::string plot_file;
  ProgressMode progress = ProgressMode::automatic;
  bool fail_on_error = false;
};

enum class ParseOutcome { run, exit_ok, exit_error };

// Fills `out` from argv. `message` gets the help or version text (exit_ok) or what was
// wrong (exit_error).
ParseOutcome parse_options(int argc, char** argv, LoadOptions& out, std::string& message);

std::string usage_text();

// Parses "10", "10s", "250ms", "2m", "1h" into seconds. False when malformed or negative.
bool parse_duration(const std::string& text, double& seconds);

// Splits "Name: value" (the curl -H form). False when there is no ':' or no name.
bool parse_header_line(const std::string& text, HeaderLine& out);

const char* default_model(ApiKind api);

}  // namespace sluice::load
