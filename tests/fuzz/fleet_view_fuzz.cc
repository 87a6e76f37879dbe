// The fleet view of /admin/limits (src/fleet/fleet_view.cc) on arbitrary hash fields:
// Redis may hold anything another process (or an operator) wrote there. The output must
// always be one valid JSON object, whatever the bytes, numbers or separators.
#include <rapidjson/document.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/fleet/fleet_view.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // Field, value, field, value, ... separated by 0x1f.
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    const size_t end = input.find('\x1f', start);
    parts.push_back(
        input.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  std::vector<sluice::fleet::HashField> hash;
  for (size_t i = 0; i + 1 < parts.size(); i += 2) hash.emplace_back(parts[i], parts[i + 1]);
  std::string out;
  sluice::fleet::append_limit_view(out, parts[0], hash, 1'796'626'923'110'000);
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(out.data(), out.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc["leases"].IsArray()) std::abort();
  return 0;
}
