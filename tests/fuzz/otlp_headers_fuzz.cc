// The export-headers parser (OTEL_EXPORTER_OTLP_HEADERS form) on arbitrary text. Beyond
// "no crash": what it accepts is safe to put in a request head (token keys, values
// without CR, LF or NUL), and writing the list back with every value byte
// percent-encoded parses again to the same list.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sluice/telemetry/otlp_headers.h"

namespace {

using namespace sluice::telemetry;

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  HeaderList list;
  std::string error;
  if (!parse_otlp_headers(text, list, error)) {
    check(!error.empty());
    return 0;
  }
  std::string again;
  for (const auto& [key, value] : list) {
    check(!key.empty());
    for (char c : key) check(c > 0x20 && c < 0x7f && c != '=' && c != ',');
    for (char c : value) check(c != '\r' && c != '\n' && c != '\0');
    if (!again.empty()) again += ',';
    again += key;
    again += '=';
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (unsigned char c : value) {
      again += '%';
      again += kHex[c >> 4];
      again += kHex[c & 15];
    }
  }
  HeaderList back;
  check(parse_otlp_headers(again, back, error));
  check(back == list);
  check(header_lines(list).size() >= list.size() * 4);
  return 0;
}
