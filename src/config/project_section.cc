// `projects`: who shares the provider accounts, with what weight, limits and budget.
#include "sections.h"

namespace sluice::config::detail {

namespace {

void read_queue(Issues& issues, const Node& node, const std::string& pointer, Queue& out) {
  Fields f(issues, node, pointer);
  f.u32("max_wait_ms", out.max_wait_ms, 0);
  f.u32("max_length", out.max_length, 0);
}

void read_model_limits(Issues& issues, const Node& node, const std::string& pointer,
                       const Names& names, std::map<std::string, Limits>& out) {
  if (!read_object(issues, node, pointer)) return;
  for (const Member& m : node.members) {
    std::string p = child_pointer(pointer, m.key);
    if (!names.models.contains(m.key)) {
      issues.add(m.key_offset, p, "unknown model alias " + quote(m.key));
      continue;
    }
    read_limits(issues, m.value, p, out[m.key]);
  }
}

void read_project(Issues& issues, const Node& node, const std::string& pointer, const Names& names,
                  Project& out) {
  Fields f(issues, node, pointer);
  f.u32("weight", out.weight, 1);
  f.u32("priority", out.priority, 0);
  if (const Node* n = f.get("limits")) read_limits(issues, *n, f.pointer_of("limits"), out.limits);
  if (const Node* n = f.get("budget")) read_budget(issues, *n, f.pointer_of("budget"), out.budget);
  if (const Node* n = f.get("queue")) read_queue(issues, *n, f.pointer_of("queue"), out.queue);
  if (const Node* n = f.get("model_limits")) {
    read_model_limits(issues, *n, f.pointer_of("model_limits"), names, out.model_limits);
  }
  if (const Node* n = f.get("telemetry")) {
    Fields t(issues, *n, f.pointer_of("telemetry"));
    bool capture = false;
    if (t.boolean("capture_content", capture)) out.capture_content = capture;
  }
}

}  // namespace

void read_projects(Issues& issues, const Node& node, const std::string& pointer, const Names& names,
                   std::vector<Project>& out) {
  if (!read_object(issues, node, pointer)) return;
  if (node.members.empty()) {
    issues.add(node.offset, pointer, "must have at least one project");
    return;
  }
  for (const Member& m : node.members) {
    std::string p = child_pointer(pointer, m.key);
    if (m.key.empty()) {
      issues.add(m.key_offset, p, "project name must not be empty");
      continue;
    }
    Project project;
    project.name = m.key;
    read_project(issues, m.value, p, names, project);
    out.push_back(std::move(project));
  }
}

}  // namespace sluice::config::detail
