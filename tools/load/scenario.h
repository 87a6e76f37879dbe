#pragma once
// What to send: one entry built from the command line, or a weighted mix read from a
// --scenario JSON file (docs/LOAD.md):
//
//   { "entries": [
//       { "weight": 3, "project": "production", "api": "openai-chat", "stream": true,
//         "model": "gpt-4o", "key": "sk-prod", "headers": { "x-team": "support" },
//         "body": { "temperature": 0.2 } },
//       { "weight": 1, "project": "experiments", "key": "sk-exp" } ] }
//
// Fields an entry leaves out take the command line's values (--api, --stream, ...). Every
// entry is reported on its own under its project label (entries may share one).

#include <cstdint>
#include <string>
#include <vector>

#include "load_options.h"

namespace sluice::load {

struct ScenarioEntry {
  double weight = 1;    // share of requests, relative to the other entries' weights
  std::string project;  // reporting label
  ApiKind api = ApiKind::openai_chat;
  bool stream = false;
  std::string model;
  std::string key;
  std::string path;  // "" for the API's own endpoint; "{model}" is replaced by the model
  uint32_t max_tokens = 256;
  uint32_t prompt_bytes = 64;
  std::vector<HeaderLine> headers;  // after the command line's --header lines
  std::string body;                 // a JSON object merged into the API's default body; "" for none
};

struct Scenario {
  std::vector<ScenarioEntry> entries;
  std::vector<std::string> projects;  // distinct labels, in order of first use
  std::vector<uint32_t> project_of;   // entry index -> index into projects
};

// The single entry the command line describes (project label "default").
Scenario scenario_from_options(const LoadOptions& options);

// Reads a scenario file; entries default to `options`. False with "FILE: /json/pointer:
// what is wrong" in `error`.
bool load_scenario(const std::string& file, const LoadOptions& options, Scenario& out,
                   std::string& error);

// Parses scenario JSON text (what load_scenario reads from the file).
bool parse_scenario(const std::string& json, const LoadOptions& options, Scenario& out,
                    std::string& error);

}  // namespace sluice::load
