// Key extraction on arbitrary headers and queries. Beyond "no crash": the key found is
// non-empty exactly when a source is named, it points into the headers, the query or
// the scratch buffer, the precedence of docs/SECURITY.md holds (a header credential
// always wins over the query), and the query forwarded upstream names no "key"
// parameter in any spelling a provider would decode to "key".

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/auth/extract_key.h"

namespace {

using namespace sluice;

void check(bool ok) {
  if (!ok) std::abort();
}

bool inside(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // First line: the query; every further line "name:value" a header.
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  const std::string_view query = in.substr(0, nl);
  std::vector<http::Header> headers;
  std::string_view rest = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
  while (!rest.empty()) {
    size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    headers.push_back({line.substr(0, colon), line.substr(colon + 1)});
  }

  std::string scratch;
  auth::PresentedKey k = auth::extract_key(headers, query, scratch);
  check(k.key.empty() == (k.source == auth::KeySource::none));
  switch (k.source) {
    case auth::KeySource::none:
      break;
    case auth::KeySource::query:
      check(inside(k.key, query) || inside(k.key, scratch));
      break;
    default:
      check(inside(k.key, in));
      check(k.key.front() != ' ' && k.key.back() != ' ');
      break;
  }

  // Whatever was found, the forwarded query carries no key parameter.
  std::string forwarded = auth::query_without_key(query);
  bool found = true;
  auth::query_param(forwarded, "key", &found);
  check(!found);
  check(forwarded.size() <= query.size());
  // Forwarding is idempotent.
  check(auth::query_without_key(forwarded) == forwarded);
  return 0;
}
