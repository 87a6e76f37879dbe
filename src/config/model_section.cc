// `models`: the aliases clients name in `model`, where each goes, and what it costs.
#include "sections.h"

namespace sluice::config::detail {

namespace {

void read_target(Issues& issues, const Node& node, const std::string& pointer, const Names& names,
                 Target& out) {
  Fields f(issues, node, pointer);
  if (f.required_string("provider", out.provider) && !names.providers.contains(out.provider)) {
    issues.add(f.get("provider")->offset, f.pointer_of("provider"),
               "unknown provider " + quote(out.provider));
  }
  f.required_string("model", out.model);
  f.u32("weight", out.weight, 1);
}

void read_targets(Issues& issues, const Node& node, const std::string& pointer, const Names& names,
                  std::vector<Target>& out) {
  if (!read_array(issues, node, pointer)) return;
  if (node.items.empty()) {
    issues.add(node.offset, pointer, "must have at least one target");
    return;
  }
  for (size_t i = 0; i < node.items.size(); ++i) {
    Target target;
    read_target(issues, node.items[i], child_pointer(pointer, i), names, target);
    out.push_back(std::move(target));
  }
}

void read_fallbacks(Issues& issues, const Node& node, const std::string& pointer,
                    const std::string& alias, const Names& names, std::vector<std::string>& out) {
  if (!read_string_list(issues, node, pointer, out)) return;
  std::set<std::string_view> seen;
  for (size_t i = 0; i < out.size(); ++i) {
    const Node& item = node.items[i];
    std::string p = child_pointer(pointer, i);
    if (out[i] == alias) {
      issues.add(item.offset, p, "a model cannot fall back to itself");
    } else if (!names.models.contains(out[i])) {
      issues.add(item.offset, p, "unknown model alias " + quote(out[i]));
    } else if (!seen.insert(out[i]).second) {
      issues.add(item.offset, p, "duplicate fallback " + quote(out[i]));
    }
  }
}

void read_model(Issues& issues, const Node& node, const std::string& pointer, const Names& names,
                Model& out) {
  Fields f(issues, node, pointer);
  if (const Node* n = f.require("targets")) {
    read_targets(issues, *n, f.pointer_of("targets"), names, out.targets);
  }
  if (const Node* n = f.get("fallbacks")) {
    read_fallbacks(issues, *n, f.pointer_of("fallbacks"), out.alias, names, out.fallbacks);
  }
  if (const Node* n = f.get("price")) read_price(issues, *n, f.pointer_of("price"), out.price);
  if (const Node* n = f.get("limits")) read_limits(issues, *n, f.pointer_of("limits"), out.limits);
  f.u32("default_max_tokens", out.default_max_tokens, 1, 1u << 24);
  std::string unsupported;
  if (f.string("unsupported_params", unsupported)) {
    if (unsupported == "refuse") {
      out.refuse_unsupported = true;
    } else if (unsupported != "drop") {
      issues.add(f.get("unsupported_params")->offset, f.pointer_of("unsupported_params"),
                 "must be \"drop\" or \"refuse\"");
    }
  }
}

}  // namespace

void read_price(Issues& issues, const Node& node, const std::string& pointer, Price& out) {
  Fields f(issues, node, pointer);
  if (!f.is_object()) return;
  out.set = true;
  if (f.require("input_per_mtok") != nullptr) f.nano("input_per_mtok", out.input_nusd_per_mtok);
  if (f.require("output_per_mtok") != nullptr) f.nano("output_per_mtok", out.output_nusd_per_mtok);
  // Without a cache discount a cached token costs what any input token costs.
  out.cached_input_nusd_per_mtok = out.input_nusd_per_mtok;
  f.nano("cached_input_per_mtok", out.cached_input_nusd_per_mtok);
}

void read_models(Issues& issues, const Node& node, const std::string& pointer, const Names& names,
                 std::vector<Model>& out) {
  if (!read_object(issues, node, pointer)) return;
  for (const Member& m : node.members) {
    std::string p = child_pointer(pointer, m.key);
    if (m.key.empty()) {
      issues.add(m.key_offset, p, "model alias must not be empty");
      continue;
    }
    Model model;
    model.alias = m.key;
    read_model(issues, m.value, p, names, model);
    out.push_back(std::move(model));
  }
}

}  // namespace sluice::config::detail
