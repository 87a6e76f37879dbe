// POST /admin/keys bodies on arbitrary bytes. Beyond "no crash": an accepted body has a
// project, an id that is empty or valid, and no alias twice; a refused one says why.

#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "sluice/admin/key_request.h"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  sluice::admin::KeyRequest r;
  std::string err = sluice::admin::parse_key_request(body, r);
  if (!err.empty()) return 0;
  check(!r.project.empty());
  check(r.id.empty() || sluice::admin::valid_key_id(r.id));
  std::set<std::string> seen(r.models.begin(), r.models.end());
  check(seen.size() == r.models.size());
  return 0;
}
