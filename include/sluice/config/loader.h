#pragma once
// Reads the JSON config file (comments allowed) into a validated Config.
// Every problem is reported with its place: FILE:LINE:COLUMN: /json/pointer: message.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/config/config.h"

namespace sluice::config {

struct ConfigError {
  std::string file;
  int line = 0;         // 1-based
  int column = 0;       // 1-based, in bytes
  std::string pointer;  // RFC 6901 JSON pointer, "" for the document
  std::string message;
  // "FILE:LINE:COLUMN: /json/pointer: message"
  std::string to_string() const;
};

struct LoadResult {
  std::optional<Config> config;     // set only when errors is empty
  std::vector<ConfigError> errors;  // every error found, in document order
};

// Parses and validates `text`; `name` is used as FILE in errors and as Config::source.
// Touches no file the config names.
LoadResult load_text(std::string_view text, const std::string& name);
// Reads `path` and validates it as load_text does, and also the files it names: each
// provider's ca_file must be readable PEM certificates. An unreadable config file is one
// error at 0:0.
LoadResult load_file(const std::string& path);

// The embedded default: one shard-per-CPU listener on 127.0.0.1:8080, the bundled
// sluice-mock on 127.0.0.1:9000 as an `openai` provider, a `gpt-4o-mini` alias,
// a SQLite ledger under data/, and no keys required.
std::string_view default_config_text();

}  // namespace sluice::config
