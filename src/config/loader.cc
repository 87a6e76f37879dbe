#include "sluice/config/loader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "json_tree.h"
#include "sections.h"

namespace sluice::config {

namespace {

using detail::Fields;
using detail::Issues;
using detail::Node;

void read_document(Issues& issues, const Node& root, Config& config) {
  Fields f(issues, root, "");
  if (!f.is_object()) return;
  detail::Names names = detail::collect_names(root);
  if (const Node* n = f.get("listen")) {
    detail::read_listen(issues, *n, f.pointer_of("listen"), config.listen);
  } else {
    config.listen.push_back(Listen{});
  }
  if (const Node* n = f.get("shards")) detail::read_shards(issues, *n, "/shards", config.shards);
  if (const Node* n = f.get("admin")) {
    detail::read_admin(issues, *n, "/admin", config.admin);
    // SO_REUSEPORT would let both bind one port and split its connections between them.
    const Node* listen = nullptr;
    for (const detail::Member& m : n->members)
      if (m.key == "listen") listen = &m.value;
    for (size_t i = 0; listen && i < config.admin.listen.size() && i < listen->items.size(); ++i) {
      const Listen& a = config.admin.listen[i];
      for (const Listen& l : config.listen)
        if (a.port != 0 && a.port == l.port && a.address == l.address)
          issues.add(listen->items[i].offset, "/admin/listen/" + std::to_string(i),
                     "the admin listener must not share an address and port with `listen`");
    }
  }
  f.boolean("allow_anonymous", config.allow_anonymous);
  if (const Node* n = f.get("ledger")) detail::read_ledger(issues, *n, "/ledger", config.ledger);
  if (const Node* n = f.get("server")) detail::read_server(issues, *n, "/server", config.server);
  if (const Node* n = f.get("cors")) detail::read_cors(issues, *n, "/cors", config.cors);
  if (const Node* n = f.get("admission"))
    detail::read_admission(issues, *n, "/admission", config.admission);
  if (const Node* n = f.get("telemetry"))
    detail::read_telemetry(issues, *n, "/telemetry", config.telemetry);
  if (const Node* n = f.get("fleet")) detail::read_fleet(issues, *n, "/fleet", config.fleet);
  if (const Node* n = f.require("providers")) {
    detail::read_providers(issues, *n, "/providers", config.providers);
  }
  if (const Node* n = f.get("models")) {
    detail::read_models(issues, *n, "/models", names, config.models);
  }
  if (const Node* n = f.require("projects")) {
    detail::read_projects(issues, *n, "/projects", names, config.projects);
  }
  if (const Node* n = f.get("keys")) detail::read_keys(issues, *n, "/keys", names, config.keys);
  for (const Project& p : config.projects)
    if (p.capture_content.value_or(false)) config.telemetry.otlp.some_project_captures = true;
}

// Byte offsets to 1-based line and column.
class LineIndex {
 public:
  explicit LineIndex(std::string_view text) {
    starts_.push_back(0);
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') starts_.push_back(i + 1);
    }
  }
  void locate(size_t offset, int& line, int& column) const {
    auto after = std::upper_bound(starts_.begin(), starts_.end(), offset);
    size_t index = static_cast<size_t>(after - starts_.begin()) - 1;
    line = static_cast<int>(index + 1);
    column = static_cast<int>(offset - starts_[index] + 1);
  }

 private:
  std::vector<size_t> starts_;
};

}  // namespace

std::string ConfigError::to_string() const {
  std::string s = file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
  // The document itself has the empty pointer; "FILE:1:1: : message" would read as a typo.
  if (!pointer.empty()) s += pointer + ": ";
  return s + message;
}

namespace {
LoadResult load(std::string_view text, const std::string& name, bool check_files) {
  detail::JsonDocument doc = detail::parse_json(text);
  Issues issues;
  issues.check_files = check_files;
  issues.list() = std::move(doc.errors);
  Config config;
  config.source = name;
  if (doc.complete) read_document(issues, doc.root, config);

  std::vector<detail::JsonError>& found = issues.list();
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.offset < b.offset; });
  LoadResult result;
  LineIndex lines(text);
  for (detail::JsonError& e : found) {
    ConfigError error;
    error.file = name;
    lines.locate(std::min(e.offset, text.size()), error.line, error.column);
    error.pointer = std::move(e.pointer);
    error.message = std::move(e.message);
    result.errors.push_back(std::move(error));
  }
  if (result.errors.empty()) result.config = std::move(config);
  return result;
}
}  // namespace

LoadResult load_text(std::string_view text, const std::string& name) {
  return load(text, name, false);
}

LoadResult load_file(const std::string& path) {
  std::string text;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  int error = fd < 0 ? errno : 0;
  while (fd >= 0) {
    char buf[65536];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) error = errno;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  if (fd >= 0) ::close(fd);
  if (error != 0) {
    LoadResult result;
    result.errors.push_back({path, 0, 0, "", std::string("cannot read: ") + std::strerror(error)});
    return result;
  }
  return load(text, path, true);
}

}  // namespace sluice::config
