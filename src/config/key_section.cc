// `keys`: the virtual keys clients present, each bound to a project. Only hashes are
// kept; a plaintext `key` is hashed here and flagged for a warning at start.
#include <map>

#include "sections.h"
#include "sluice/config/key_hash.h"

namespace sluice::config::detail {

namespace {

// Where a key's id and secret sit, for the duplicate checks across keys.
struct KeyPlaces {
  const Node* id = nullptr;
  const Node* secret = nullptr;
  std::string secret_pointer;
};

bool is_sha256_hex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return false;
  }
  return true;
}

void read_secret(Issues& issues, Fields& f, Key& out, KeyPlaces& places) {
  const Member* hashed = f.member("sha256");
  const Member* plain = f.member("key");
  if (hashed != nullptr && plain != nullptr) {
    const Member* later = hashed->key_offset > plain->key_offset ? hashed : plain;
    issues.add(later->key_offset, f.pointer_of(later->key),
               "set only one of \"sha256\" and \"key\"");
    return;
  }
  if (hashed == nullptr && plain == nullptr) {
    if (f.is_object()) {
      issues.add(f.node().offset, f.pointer(),
                 "missing required field \"sha256\" (or \"key\" for a plaintext development key)");
    }
    return;
  }
  const Member* m = hashed != nullptr ? hashed : plain;
  std::string p = f.pointer_of(m->key);
  std::string value;
  if (!read_string(issues, m->value, p, value)) return;
  if (m == plain) {
    out.sha256_hex = sha256_hex(value);
    out.plaintext = true;
  } else if (is_sha256_hex(value)) {
    for (char& c : value) c = static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    out.sha256_hex = std::move(value);
  } else {
    issues.add(m->value.offset, p, "expected 64 hexadecimal characters (the SHA-256 of the key)");
    return;
  }
  places.secret = &m->value;
  places.secret_pointer = std::move(p);
}

void read_allowed_models(Issues& issues, const Node& node, const std::string& pointer,
                         const Names& names, std::vector<std::string>& out) {
  if (!read_string_list(issues, node, pointer, out)) return;
  std::set<std::string_view> seen;
  for (size_t i = 0; i < out.size(); ++i) {
    if (!names.models.contains(out[i])) {
      issues.add(node.items[i].offset, child_pointer(pointer, i),
                 "unknown model alias " + quote(out[i]));
    } else if (!seen.insert(out[i]).second) {
      issues.add(node.items[i].offset, child_pointer(pointer, i),
                 "duplicate model alias " + quote(out[i]));
    }
  }
}

KeyPlaces read_key(Issues& issues, const Node& node, const std::string& pointer, const Names& names,
                   Key& out) {
  KeyPlaces places;
  Fields f(issues, node, pointer);
  if (f.required_string("id", out.id)) places.id = f.get("id");
  if (f.required_string("project", out.project) && !names.projects.contains(out.project)) {
    issues.add(f.get("project")->offset, f.pointer_of("project"),
               "unknown project " + quote(out.project));
  }
  read_secret(issues, f, out, places);
  if (const Node* n = f.get("models")) {
    read_allowed_models(issues, *n, f.pointer_of("models"), names, out.models);
  }
  if (const Node* n = f.get("limits")) read_limits(issues, *n, f.pointer_of("limits"), out.limits);
  if (const Node* n = f.get("budget")) read_budget(issues, *n, f.pointer_of("budget"), out.budget);
  return places;
}

}  // namespace

void read_keys(Issues& issues, const Node& node, const std::string& pointer, const Names& names,
               std::vector<Key>& out) {
  if (!read_array(issues, node, pointer)) return;
  std::map<std::string, std::string> ids;     // id -> its pointer
  std::map<std::string, std::string> hashes;  // sha256 -> id of the key holding it
  for (size_t i = 0; i < node.items.size(); ++i) {
    std::string p = child_pointer(pointer, i);
    Key key;
    KeyPlaces places = read_key(issues, node.items[i], p, names, key);
    if (places.id != nullptr && !ids.emplace(key.id, p).second) {
      issues.add(places.id->offset, child_pointer(p, "id"),
                 "duplicate key id " + quote(key.id) + " (first at " + ids[key.id] + ")");
    }
    // One secret must map to one key, or authentication could not tell them apart.
    if (places.secret != nullptr && !hashes.emplace(key.sha256_hex, key.id).second) {
      issues.add(places.secret->offset, places.secret_pointer,
                 "same key as key " + quote(hashes[key.sha256_hex]));
    }
    out.push_back(std::move(key));
  }
}

}  // namespace sluice::config::detail
