#pragma once
// POST /admin/keys: the JSON body, read and checked (no config lookups here; the
// caller checks that the project and aliases exist).
//   {"id": "support-bot", "project": "customer-support", "models": ["gpt-4o-mini"]}
// `id` is optional (keygen's default id is used); `models` is optional (all models).

#include <string>
#include <string_view>
#include <vector>

namespace sluice::admin {

struct KeyRequest {
  std::string id;  // empty: chosen at creation
  std::string project;
  std::vector<std::string> models;
};

// Empty on success; otherwise the message for a 400.
std::string parse_key_request(std::string_view body, KeyRequest& out);

// Whether `id` is acceptable as a key id: 1 to 128 bytes of [A-Za-z0-9._-], so it can
// sit in a URL path (DELETE /admin/keys/<id>) without escaping.
bool valid_key_id(std::string_view id);

}  // namespace sluice::admin
