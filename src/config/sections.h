#pragma once
// One reader per part of the config file. Each checks its JSON value, reports every
// problem to Issues, and fills what it could read. Private to src/config.

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "fields.h"
#include "sluice/config/config.h"

namespace sluice::config::detail {

// Names defined in the document, gathered before any section is read so that
// cross references work whatever order the sections come in.
struct Names {
  std::set<std::string, std::less<>> providers;
  std::set<std::string, std::less<>> models;
  std::set<std::string, std::less<>> projects;
};

Names collect_names(const Node& root);

// True for a valid environment variable name; else reports at `node`.
bool check_env_name(Issues& issues, const Node& node, const std::string& pointer,
                    const std::string& name);

void read_limits(Issues& issues, const Node& node, const std::string& pointer, Limits& out);
void read_price(Issues& issues, const Node& node, const std::string& pointer, Price& out);
void read_budget(Issues& issues, const Node& node, const std::string& pointer, Budget& out);

void read_listen(Issues& issues, const Node& node, const std::string& pointer,
                 std::vector<Listen>& out);
void read_shards(Issues& issues, const Node& node, const std::string& pointer, uint32_t& out);
void read_admin(Issues& issues, const Node& node, const std::string& pointer, Admin& out);
void read_ledger(Issues& issues, const Node& node, const std::string& pointer, Ledger& out);
void read_server(Issues& issues, const Node& node, const std::string& pointer, Server& out);
void read_admission(Issues& issues, const Node& node, const std::string& pointer, Admission& out);
void read_cors(Issues& issues, const Node& node, const std::string& pointer, Cors& out);
void read_telemetry(Issues& issues, const Node& node, const std::string& pointer, Telemetry& out);
void read_fleet(Issues& issues, const Node& node, const std::string& pointer, Fleet& out);

void read_providers(Issues& issues, const Node& node, const std::string& pointer,
                    std::vector<Provider>& out);
void read_models(Issues& issues, const Node& node, const std::string& pointer, const Names& names,
                 std::vector<Model>& out);
void read_projects(Issues& issues, const Node& node, const std::string& pointer, const Names& names,
                   std::vector<Project>& out);
void read_keys(Issues& issues, const Node& node, const std::string& pointer, const Names& names,
               std::vector<Key>& out);

}  // namespace sluice::config::detail
