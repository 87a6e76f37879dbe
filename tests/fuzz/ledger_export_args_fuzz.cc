// `sluice ledger export` arguments straight from a command line (src/cli/export_format.cc):
// never crash, never read out of bounds; a parsed ISO time lies between years 0 and
// 9999 (± a day of offset); a CSV field always reads back as what was written.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/cli/ledger_export.h"

namespace {

// RFC 4180 read of one field as append_csv_field writes it.
std::string unquote(const std::string& f) {
  if (f.empty() || f[0] != '"') return f;
  std::string out;
  for (size_t i = 1; i + 1 < f.size(); ++i) {
    out += f[i];
    if (f[i] == '"') ++i;  // a doubled quote
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  int64_t ms = 0;
  std::string error;
  if (sluice::cli::parse_time_ms(in, ms, error)) {
    bool unix_ms = in.find('-') == std::string_view::npos;
    constexpr int64_t kLow = -62167219200000 - 86400000, kHigh = 253402300799999 + 86400000;
    if (!unix_ms && (ms < kLow || ms > kHigh)) std::abort();
  } else if (error.empty()) {
    std::abort();
  }
  // NUL-separated arguments.
  std::vector<std::string_view> args;
  size_t start = 0;
  for (size_t i = 0; i <= in.size(); ++i) {
    if (i == in.size() || in[i] == '\0') {
      args.push_back(in.substr(start, i - start));
      start = i + 1;
    }
  }
  sluice::cli::ExportOptions o;
  if (sluice::cli::parse_export_args(args, o).empty() && o.from_ms >= o.to_ms) std::abort();
  std::string field;
  sluice::cli::append_csv_field(field, in);
  if (unquote(field) != in) std::abort();
  return 0;
}
