// load_text on arbitrary bytes: never crashes, and every error it reports is well
// formed and points inside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sluice/config/loader.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  sluice::config::LoadResult r = sluice::config::load_text(text, "fuzz.json");
  check(r.config.has_value() == r.errors.empty());
  size_t lines = 1;
  for (char c : text) lines += c == '\n' ? 1 : 0;
  int previous_line = 0;
  for (const sluice::config::ConfigError& e : r.errors) {
    check(e.file == "fuzz.json");
    check(e.line >= 1 && static_cast<size_t>(e.line) <= lines);
    check(e.column >= 1 && static_cast<size_t>(e.column) <= size + 1);
    check(e.line >= previous_line);  // document order
    previous_line = e.line;
    check(e.pointer.empty() || e.pointer[0] == '/');
    check(!e.message.empty());
    check(e.message.find('\n') == std::string::npos);
    check(e.to_string().find(e.message) != std::string::npos);
  }
  if (r.config) {
    check(!r.config->listen.empty() && !r.config->providers.empty());
    check(!r.config->projects.empty());
    for (const auto& key : r.config->keys) check(key.sha256_hex.size() == 64);
  }
  return 0;
}
