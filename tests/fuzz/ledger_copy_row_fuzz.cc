// The postgres ledger's COPY line encoder (src/ledger/pg_sql.cc) on arbitrary field text:
// a client chooses its request id, so any bytes may arrive. Every line must stay one line
// of exactly 24 fields and valid UTF-8 without NUL, or one row would break a whole batch.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "../../src/ledger/pg_sql.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // Fields separated by 0x1f: row_id, request_id, model, error_class, upstream_request_id,
  // instance.
  std::string_view fields[6];
  size_t start = 0;
  for (int i = 0; i < 6; ++i) {
    const size_t end = input.find('\x1f', start);
    fields[i] =
        input.substr(start, end == std::string_view::npos ? input.size() - start : end - start);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  sluice::ledger::Record r;
  r.request_id = fields[1];
  r.model = fields[2];
  r.error_class = fields[3];
  r.upstream_request_id = fields[4];
  r.instance = fields[5];
  r.ttft_ms = size % 2 ? -1 : static_cast<int32_t>(size);
  std::string line;
  sluice::ledger::pg::append_copy_row(line, fields[0], r);
  size_t tabs = 0, newlines = 0;
  for (char c : line) {
    if (c == '\t') ++tabs;
    if (c == '\n') ++newlines;
    if (c == '\0' || c == '\r') std::abort();
  }
  if (tabs != 23 || newlines != 1 || line.back() != '\n') std::abort();
  if (sluice::ledger::pg::clean_text(line) != line) std::abort();  // valid UTF-8
  return 0;
}
