#pragma once
// Helpers shared by the config tests: load a text and look at its errors as the
// operator sees them.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/config/loader.h"

namespace sluice::config::config_test {

// Every error of `text` loaded as "t.json", formatted FILE:LINE:COLUMN: /pointer: message.
inline std::vector<std::string> errors_of(std::string_view text) {
  std::vector<std::string> out;
  for (const ConfigError& e : load_text(text, "t.json").errors) out.push_back(e.to_string());
  return out;
}

// The config of a text that must load cleanly; fails the test otherwise.
inline Config loaded(std::string_view text) {
  LoadResult r = load_text(text, "t.json");
  for (const ConfigError& e : r.errors) ADD_FAILURE() << e.to_string();
  return r.config.value_or(Config{});
}

inline std::string source_dir() {
  const char* dir = std::getenv("SLUICE_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

}  // namespace sluice::config::config_test
