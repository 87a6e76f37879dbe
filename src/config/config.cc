#include "sluice/config/config.h"

#include <algorithm>

namespace sluice::config {

namespace {

// Configs hold a handful of entries, so a linear scan is enough and the snapshot
// stays plain vectors in file order. A hot path that looks up per request should
// index the snapshot once when it swaps it in.
template <typename T, typename Name>
const T* find_named(const std::vector<T>& list, Name name_of, std::string_view wanted) {
  auto it = std::find_if(list.begin(), list.end(),
                         [&](const T& item) { return name_of(item) == wanted; });
  return it == list.end() ? nullptr : &*it;
}

}  // namespace

const Provider* Config::provider(std::string_view name) const {
  return find_named(
      providers, [](const Provider& p) -> const std::string& { return p.name; }, name);
}

const Model* Config::model(std::string_view alias) const {
  return find_named(
      models, [](const Model& m) -> const std::string& { return m.alias; }, alias);
}

const Project* Config::project(std::string_view name) const {
  return find_named(
      projects, [](const Project& p) -> const std::string& { return p.name; }, name);
}

const Key* Config::key(std::string_view id) const {
  return find_named(
      keys, [](const Key& k) -> const std::string& { return k.id; }, id);
}

}  // namespace sluice::config
