#pragma once
// The validated, immutable configuration snapshot. Every shard reads it; nobody
// mutates it after load. Field names mirror the JSON keys of CONTRACT.md.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::config {

// One `listen` entry.
struct Listen {
  std::string address = "127.0.0.1";  // IPv4 or IPv6 literal
  uint16_t port = 8080;
  std::string tls_cert;  // empty: plain HTTP
  std::string tls_key;
  bool operator==(const Listen&) const = default;
};

// Limits that may sit on a provider, project, key or model alias. 0 = none.
struct Limits {
  uint64_t requests_per_minute = 0;
  uint64_t tokens_per_minute = 0;
  uint64_t concurrent_requests = 0;
  // Token-bucket depth: how much may pass at once after a quiet spell. 0 = the
  // per-minute figure (a full minute's worth, as providers count).
  uint64_t burst_requests = 0;
  uint64_t burst_tokens = 0;
  bool operator==(const Limits&) const = default;
};

// Amounts in nano-USD (10⁻⁹ USD), parsed exactly from the config's decimal text.
struct Budget {
  int64_t nusd_per_day = 0;    // `usd_per_day`; 0 = none
  int64_t nusd_per_month = 0;  // `usd_per_month`; 0 = none
  bool operator==(const Budget&) const = default;
};

enum class ProviderKind { openai, anthropic, gemini };

// Deadlines for talking to one provider, milliseconds.
struct Timeouts {
  uint32_t connect_ms = 5000;
  uint32_t tls_handshake_ms = 5000;
  uint32_t first_byte_ms = 60000;
  uint32_t idle_ms = 60000;  // gap between two received chunks
  uint32_t total_ms = 600000;
  bool operator==(const Timeouts&) const = default;
};

// Keep-alive pool settings per upstream origin.
struct Pool {
  uint32_t max_idle_per_shard = 64;  // per-origin cap of idle connections
  uint32_t idle_timeout_ms = 30000;  // idle pooled connection closed after this
  uint32_t max_requests_per_conn = 10000;
  bool operator==(const Pool&) const = default;
};

// Retries of one provider (docs/RESILIENCE.md): full-jitter backoff, provider wait
// hints honoured up to max_wait_ms, and a per-shard budget so retries stay a share of
// the traffic.
struct Retry {
  uint32_t attempts = 2;         // tries per request on this provider, the first included
  uint32_t base_ms = 100;        // backoff ceiling of the first retry
  uint32_t cap_ms = 2000;        // backoff ceiling never exceeds this
  uint32_t max_wait_ms = 10000;  // a retry-after longer than this: no retry, fall back
  double budget_ratio = 0.2;     // retries / requests over the window
  uint32_t budget_min = 3;       // retries always allowed per window (quiet gateways)
  uint32_t budget_window_ms = 10000;
  bool operator==(const Retry&) const = default;
};

// Circuit breaker of one provider account.
struct Breaker {
  uint32_t failures = 5;  // classified failures within the window that open it
  uint32_t window_ms = 10000;
  uint32_t cooldown_ms = 5000;  // open this long, then one probe
  bool operator==(const Breaker&) const = default;
};

// Rates in nano-USD per million tokens (the config's USD per million × 10⁹), parsed
// exactly from its decimal text: any price with up to 9 decimal places is exact.
struct Price {
  int64_t input_nusd_per_mtok = 0;         // `input_per_mtok`
  int64_t output_nusd_per_mtok = 0;        // `output_per_mtok`
  int64_t cached_input_nusd_per_mtok = 0;  // `cached_input_per_mtok`; omitted: the input rate
  bool set = false;  // false: no `price` given (cost recorded as 0, warned at start)
  bool operator==(const Price&) const = default;
};

struct Provider {
  std::string name;  // key in `providers`
  ProviderKind kind = ProviderKind::openai;
  std::string base_url;  // e.g. "http://127.0.0.1:9000/v1"
  // Parsed from base_url.
  std::string scheme;            // "http" or "https"
  std::string host;              // host name or literal address
  uint16_t port = 0;             // default 80/443 by scheme
  std::string base_path;         // path prefix without trailing '/', may be empty
  std::string api_key_env;       // name of an environment variable
  std::string api_key_file;      // file; relative names looked up in $CREDENTIALS_DIRECTORY first
  std::string ca_file;           // extra CA bundle for HTTPS; empty: system store
  double chars_per_token = 4.0;  // input/output estimation when usage is missing
  // Prices a native request (/openai, /anthropic, /gemini) for a model that no alias
  // targets. Unset: such a request is refused for a project or key with a budget.
  Price default_price;
  Limits limits;
  Timeouts timeouts;
  Pool pool;
  Retry retry;
  Breaker breaker;
  bool operator==(const Provider&) const = default;
};

struct Target {
  std::string provider;  // key of `providers`
  std::string model;     // upstream model name
  uint32_t weight = 1;
  bool operator==(const Target&) const = default;
};

struct Model {
  std::string alias;  // key in `models`
  std::vector<Target> targets;
  std::vector<std::string> fallbacks;  // other aliases, in order
  Price price;
  Limits limits;
  // Translation (docs/TRANSLATION.md), when the client's format is not the target's:
  uint32_t default_max_tokens =
      4096;                         // max_tokens for an Anthropic target when the client gave none
  bool refuse_unsupported = false;  // unsupported_params "refuse": a 400, not a dropped parameter
  bool operator==(const Model&) const = default;
};

struct Queue {
  uint32_t max_wait_ms = 0;  // 0: no queueing, refuse at once
  uint32_t max_length = 1000;
  bool operator==(const Queue&) const = default;
};

struct Project {
  std::string name;
  uint32_t weight = 1;
  uint32_t priority = 0;  // lower is served first
  Limits limits;
  Budget budget;
  Queue queue;
  std::map<std::string, Limits> model_limits;  // project x model alias
  std::optional<bool> capture_content;         // telemetry.otlp.capture_content for this project
  bool operator==(const Project&) const = default;
};

struct Key {
  std::string id;
  std::string project;
  std::string sha256_hex;           // lowercase hex of SHA-256(key); from `sha256` or hashed `key`
  bool plaintext = false;           // came from `key` (development only, warned at start)
  std::vector<std::string> models;  // allowed aliases; empty = all
  Limits limits;
  Budget budget;
  bool operator==(const Key&) const = default;
};

struct Admin {
  std::string key_env = "SLUICE_ADMIN_KEY";
  // Listeners of their own for /admin, /ui, /metrics and /readyz (address defaults to
  // 127.0.0.1). When set, the public listeners answer those routes with 404.
  std::vector<Listen> listen;
  bool metrics_auth = false;  // /metrics wants the admin key too
  bool operator==(const Admin&) const = default;
};

enum class LedgerKind : uint8_t { sqlite, postgres };
// What requests get while the ledger cannot write (docs/LEDGER.md).
enum class OnLedgerFailure : uint8_t { keep_serving, refuse };  // "continue" | "refuse"

struct Ledger {
  LedgerKind kind = LedgerKind::sqlite;
  std::string path = "data/sluice.db";  // sqlite: the database file
  // postgres: the connection URL, given literally (without a password), or named by
  // url_env / url_file (exactly one of the three); resolved at start.
  std::string url;
  std::string url_env;
  std::string url_file;
  // postgres: rows wait here (SQLite) while PostgreSQL cannot be reached.
  std::string spool = "data/ledger-spool.db";
  OnLedgerFailure on_failure = OnLedgerFailure::keep_serving;
  uint32_t retention_days = 0;  // rows older than this are deleted; 0: kept forever
  uint32_t flush_ms = 100;
  uint32_t queue_capacity = 8192;  // per shard (a Record is ~288 bytes)
  bool operator==(const Ledger&) const = default;
};

// How admission runs (docs/LIMITS.md).
struct Admission {
  uint32_t tick_ms = 5;  // per-shard tick: returns idle leases, publishes demand, serves queues
  uint32_t default_max_output_tokens = 1024;  // reserved when a request names no max
  bool operator==(const Admission&) const = default;
};

struct Cors {
  std::vector<std::string> allowed_origins;  // "*" allowed
  bool operator==(const Cors&) const = default;
};

struct Server {
  uint32_t drain_ms = 30000;           // SIGTERM: how long in-flight work may finish
  uint32_t header_timeout_ms = 10000;  // whole request head must arrive within this
  uint32_t keepalive_timeout_ms = 75000;
  uint32_t max_header_bytes = 16384;   // 431 beyond
  uint32_t max_uri_bytes = 8192;       // 414 beyond
  uint64_t max_body_bytes = 16 << 20;  // 413 beyond
  uint32_t max_connections = 0;        // per process, shared evenly by the shards; 0: none
  // Request bodies buffered per shard; a body past it is answered 503. Never below
  // max_body_bytes (a default one grows to it).
  uint64_t max_buffered_body_bytes = uint64_t{256} << 20;
  std::string access_log;  // empty: stderr; "off": none
  // Host header values served ("api.example.com", "10.0.0.5:8080"); a name without a
  // port matches any port. Empty: any host. Guards against DNS rebinding.
  std::vector<std::string> allowed_hosts;
  // In the message of every provider_degraded error, so a client can spot it through
  // any SDK's exception text.
  std::string degraded_marker = "[SLUICE_PROVIDER_DEGRADED]";
  bool operator==(const Server&) const = default;
};

// OTLP/HTTP trace export (docs/TELEMETRY.md). Empty endpoint: off.
struct Otlp {
  std::string endpoint;  // "http://127.0.0.1:4318"; spans go to <endpoint>/v1/traces
  std::string host;      // parsed from endpoint
  uint16_t port = 0;
  std::string base_path;  // "" or "/prefix"
  bool tls = false;       // https://: verified against the system store and ca_file
  std::string ca_file;    // PEM CAs trusted besides the system store (https only)
  // Headers sent with every export, in OTEL_EXPORTER_OTLP_HEADERS form (key=value,...):
  // read from this environment variable or file (systemd credential) at start; the
  // values are secrets and never kept in the config.
  std::string headers_env;
  std::string headers_file;
  uint64_t max_queue_bytes = 64ull << 20;  // all shards' queued span bytes; beyond: dropped
  uint32_t max_retries = 5;                // tries after the first for a failed batch
  uint32_t batch_ms = 1000;                // how often the exporter sends what the shards queued
  uint32_t max_queue = 2048;   // spans per shard waiting for export; beyond: dropped, counted
  uint32_t timeout_ms = 5000;  // per POST
  std::string service_name = "sluice";
  // Prompts and completions in spans (gen_ai.input.messages, ...); a project may say
  // otherwise (Project::capture_content).
  bool capture_content = false;
  uint32_t max_content_bytes = 64 * 1024;  // per attribute; longer text is cut and marked
  bool some_project_captures = false;      // derived: a project sets capture_content true
  bool operator==(const Otlp&) const = default;
};

struct Telemetry {
  Otlp otlp;
  bool operator==(const Telemetry&) const = default;
};

// Sharing every limit with the other instances of a fleet through Redis
// (docs/FLEET.md). Absent (`enabled` false): each process enforces its limits alone.
enum class OnRedisDown : uint8_t { local_share, refuse };

struct Fleet {
  bool enabled = false;
  // Where Redis listens: "redis://HOST[:PORT][/DB]" or "unix:///PATH[?db=N]", parsed
  // into the fields below. The password is never in the file.
  std::string redis;
  std::string host;           // tcp: host name or address; empty for a unix socket
  uint16_t port = 6379;       // tcp
  std::string unix_path;      // unix socket
  uint32_t db = 0;            // SELECT
  std::string password_env;   // AUTH password from this environment variable, or
  std::string password_file;  // from this file (first line)
  std::string instance;       // this process in the fleet; empty: "<hostname>-<pid>"
  uint32_t lease_ms = 1000;   // a lease lives this long unless renewed
  OnRedisDown on_redis_down = OnRedisDown::local_share;
  bool operator==(const Fleet&) const = default;
};

// Parses `fleet.redis` into `out`'s host/port/unix_path/db; false with `why` when bad.
bool parse_redis_url(std::string_view url, Fleet& out, std::string& why);

struct Config {
  std::string source;  // file the snapshot came from ("<embedded>" for the default)
  std::vector<Listen> listen;
  uint32_t shards = 0;  // 0 = "auto": one per CPU of the affinity mask
  // Serve data routes without a virtual key (project "default"). Without it, a gateway
  // with no keys at all refuses to start.
  bool allow_anonymous = false;
  Admin admin;
  Ledger ledger;
  Server server;
  Cors cors;
  Admission admission;
  Telemetry telemetry;
  Fleet fleet;
  std::vector<Provider> providers;  // in file order
  std::vector<Model> models;        // in file order
  std::vector<Project> projects;    // in file order
  std::vector<Key> keys;            // in file order

  const Provider* provider(std::string_view name) const;
  const Model* model(std::string_view alias) const;
  const Project* project(std::string_view name) const;
  const Key* key(std::string_view id) const;

  // Field by field; lets a reload tell whether anything changed.
  bool operator==(const Config&) const = default;
};

}  // namespace sluice::config
