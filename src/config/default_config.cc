#include "sluice/config/loader.h"

namespace sluice::config {

// Kept byte for byte equal to configs/sluice.json (a test checks), so that running
// without a config file and running with the shipped one behave the same.
std::string_view default_config_text() {
  static constexpr std::string_view kText =
      R"json(// sluice's default configuration: what `sluice` loads when no --config is given, and
// the same text is built into the binary. Every field is described in docs/CONFIG.md.
{
  // Plain HTTP on loopback. Add "tls": { "cert": FILE, "key": FILE } to serve HTTPS.
  "listen": [{ "address": "127.0.0.1", "port": 8080 }],

  // One shard (a pinned thread with its own io_uring and listener) per CPU.
  "shards": "auto",

  // The bearer key for /admin and /ui is read from this environment variable.
  "admin": { "key_env": "SLUICE_ADMIN_KEY" },

  // One row per request, in SQLite, written in batches.
  "ledger": { "path": "data/sluice.db", "flush_ms": 100 },

  "providers": {
    // The bundled mock provider (tools/mock, `sluice-mock`) speaks all three APIs and
    // wants no API key: /v1 and /openai/v1 go to "mock", /anthropic/v1 to
    // "mock-anthropic", /gemini/v1beta to "mock-gemini".
    "mock": { "kind": "openai", "base_url": "http://127.0.0.1:9000/v1" },
    "mock-anthropic": { "kind": "anthropic", "base_url": "http://127.0.0.1:9000" },
    "mock-gemini": { "kind": "gemini", "base_url": "http://127.0.0.1:9000" }
  },

  // The names clients put in "model", where each goes, and its price in USD per
  // million tokens (used for cost in the ledger and for budgets).
  "models": {
    "gpt-4o-mini": {
      "targets": [{ "provider": "mock", "model": "gpt-4o-mini" }],
      "price": { "input_per_mtok": 0.15, "output_per_mtok": 0.60, "cached_input_per_mtok": 0.075 }
    },
    "gpt-4o": {
      "targets": [{ "provider": "mock", "model": "gpt-4o" }],
      "price": { "input_per_mtok": 2.50, "output_per_mtok": 10.00, "cached_input_per_mtok": 1.25 }
    },
    // Native requests (/anthropic, /gemini) are priced by the alias that targets the
    // provider and model they name.
    "claude-sonnet": {
      "targets": [{ "provider": "mock-anthropic", "model": "claude-sonnet-4-5" }],
      "price": { "input_per_mtok": 3.00, "output_per_mtok": 15.00, "cached_input_per_mtok": 0.30 }
    },
    "gemini-flash": {
      "targets": [{ "provider": "mock-gemini", "model": "gemini-2.5-flash" }],
      "price": { "input_per_mtok": 0.30, "output_per_mtok": 2.50, "cached_input_per_mtok": 0.075 }
    }
  },

  // No limits and no budget: everything goes.
  "projects": {
    "default": {}
  },

  // No virtual keys: clients need none. For development only; see `sluice keygen`.
  // Without "allow_anonymous", a gateway with no keys refuses to serve.
  "allow_anonymous": true,
  "keys": []
}
)json";
  return kText;
}

}  // namespace sluice::config
