#pragma once
// The operator's subcommands, read from argv: which report or key operation, and its
// options. Nothing here touches the network or the config; `sluice keys|usage|limits|
// breakers ...` is parsed into an Invocation, and a bad one comes back with a message.
//
//   sluice keys create --project P [--id ID] [--models a,b]
//   sluice keys list
//   sluice keys revoke ID
//   sluice usage [--from T] [--to T] [--group-by a,b] [--project P] [--model M]
//                [--key K] [--provider N]
//   sluice limits
//   sluice breakers
// Every one also takes --url URL, --config FILE, --format table|json (csv for `usage`
// and `keys list`) and --help. Options are `--name value` or `--name=value`.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::cli {

enum class Action : unsigned char {
  help,  // print `help_topic`'s usage and succeed
  keys_create,
  keys_list,
  keys_revoke,
  usage,
  limits,
  breakers,
};

enum class Format : unsigned char {
  automatic,  // a table on a terminal, JSON otherwise
  table,
  json,
  csv,
};

struct Invocation {
  Action action = Action::help;
  std::string help_topic;   // the subcommand whose usage --help prints ("keys", "usage", ...)
  std::string config_path;  // --config; empty: the binary's default
  std::string url;          // --url; empty: from the config
  Format format = Format::automatic;
  std::string id;                   // keys create --id, keys revoke ID
  std::string project;              // keys create --project; usage --project (a filter)
  std::vector<std::string> models;  // keys create --models
  std::string from, to;             // usage: Unix ms, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ
  std::vector<std::string> group_by;
  std::string model, key, provider;  // usage filters
};

struct ParsedCommand {
  Invocation invocation;
  std::string error;  // non-empty: a usage error (exit 2) with this message
};

// Whether `word` (argv[1]) names one of these subcommands.
bool is_admin_command(std::string_view word);

// `args` are the words after the program name, starting with the subcommand.
ParsedCommand parse_command(std::span<const std::string_view> args);

// The usage text of a subcommand ("keys", "usage", "limits", "breakers").
std::string_view command_help(std::string_view topic);

// "a,b" as {"a", "b"}; an empty element is an error (false).
bool split_list(std::string_view text, std::vector<std::string>& out);

}  // namespace sluice::cli
