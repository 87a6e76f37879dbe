// Argument reading for the admin subcommands. A table of which options each subcommand
// takes keeps the rules in one place; the messages name the subcommand and the option.

#include "sluice/cli/args.h"

#include <algorithm>

#include "sluice/cli/admin_client.h"

namespace sluice::cli {
namespace {

constexpr std::string_view kKeysHelp =
    "usage:\n"
    "  sluice keys create --project NAME [--id ID] [--models ALIAS,...]\n"
    "                                  create a run-time key; its secret is printed once\n"
    "  sluice keys list                every key in force (never a secret)\n"
    "  sluice keys revoke ID           refuse the key from now on\n"
    "options:\n"
    "  --url URL         the gateway's admin API (default: from the config's admin.listen,\n"
    "                    else its first listen address)\n"
    "  --config FILE     the config to read the address and admin.key_env from\n"
    "  --format FORMAT   table (default on a terminal), json (default otherwise);\n"
    "                    csv for `keys list`\n"
    "The admin key is read from the variable named by admin.key_env (SLUICE_ADMIN_KEY).\n";

constexpr std::string_view kUsageHelp =
    "usage:\n"
    "  sluice usage [--from T] [--to T] [--group-by COLUMN,...]\n"
    "               [--project P] [--model M] [--key K] [--provider N]\n"
    "                                  requests, tokens and cost from the ledger\n"
    "  T: Unix milliseconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)\n"
    "  COLUMN: project, model, key, provider, day, hour, minute, outcome, error_class\n"
    "options:\n"
    "  --url URL         the gateway's admin API (default: from the config)\n"
    "  --config FILE     the config to read the address and admin.key_env from\n"
    "  --format FORMAT   table (default on a terminal), json (default otherwise) or csv\n";

constexpr std::string_view kLimitsHelp =
    "usage:\n"
    "  sluice limits                   every live limit, budget and queue\n"
    "options:\n"
    "  --url URL, --config FILE, --format table|json\n";

constexpr std::string_view kBreakersHelp =
    "usage:\n"
    "  sluice breakers                 each provider's circuit breaker\n"
    "options:\n"
    "  --url URL, --config FILE, --format table|json\n";

struct OptionSpec {
  std::string_view name;
  std::string Invocation::*text = nullptr;               // a value kept as given
  std::vector<std::string> Invocation::*list = nullptr;  // a comma-separated list
};

const std::vector<OptionSpec>& common_options() {
  static const std::vector<OptionSpec> specs = {
      {"--url", &Invocation::url},
      {"--config", &Invocation::config_path},
  };
  return specs;
}

std::vector<OptionSpec> options_of(Action action) {
  switch (action) {
    case Action::keys_create:
      return {{"--project", &Invocation::project},
              {"--id", &Invocation::id},
              {"--models", nullptr, &Invocation::models}};
    case Action::usage:
      return {{"--from", &Invocation::from},
              {"--to", &Invocation::to},
              {"--group-by", nullptr, &Invocation::group_by},
              {"--project", &Invocation::project},
              {"--model", &Invocation::model},
              {"--key", &Invocation::key},
              {"--provider", &Invocation::provider}};
    default:
      return {};
  }
}

bool parse_format(std::string_view text, Format& out) {
  if (text == "table")
    out = Format::table;
  else if (text == "json")
    out = Format::json;
  else if (text == "csv")
    out = Format::csv;
  else
    return false;
  return true;
}

ParsedCommand fail(std::string message) {
  ParsedCommand p;
  p.error = std::move(message);
  return p;
}

}  // namespace

bool is_admin_command(std::string_view word) {
  return word == "keys" || word == "usage" || word == "limits" || word == "breakers";
}

std::string_view command_help(std::string_view topic) {
  if (topic == "keys") return kKeysHelp;
  if (topic == "usage") return kUsageHelp;
  if (topic == "limits") return kLimitsHelp;
  if (topic == "breakers") return kBreakersHelp;
  return {};
}

bool split_list(std::string_view text, std::vector<std::string>& out) {
  out.clear();
  for (;;) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) return false;
    out.emplace_back(item);
    if (comma == std::string_view::npos) return true;
    text.remove_prefix(comma + 1);
  }
}

ParsedCommand parse_command(std::span<const std::string_view> args) {
  if (args.empty() || !is_admin_command(args[0])) return fail("unknown subcommand");
  ParsedCommand out;
  Invocation& inv = out.invocation;
  const std::string_view topic = args[0];
  inv.help_topic = topic;
  std::string name(topic);  // for messages: "keys create", "usage"
  size_t next = 1;
  if (topic == "keys") {
    if (args.size() < 2) return fail("keys needs a subcommand: create, list or revoke");
    const std::string_view sub = args[1];
    if (sub == "--help" || sub == "-h") {
      inv.action = Action::help;
      return out;
    }
    if (sub == "create")
      inv.action = Action::keys_create;
    else if (sub == "list")
      inv.action = Action::keys_list;
    else if (sub == "revoke")
      inv.action = Action::keys_revoke;
    else
      return fail("keys: unknown subcommand \"" + std::string(sub) + "\" (create, list or revoke)");
    name += " " + std::string(sub);
    next = 2;
  } else if (topic == "usage") {
    inv.action = Action::usage;
  } else if (topic == "limits") {
    inv.action = Action::limits;
  } else {
    inv.action = Action::breakers;
  }

  std::vector<OptionSpec> specs = options_of(inv.action);
  specs.insert(specs.end(), common_options().begin(), common_options().end());
  std::vector<std::string_view> positional;
  std::vector<std::string_view> seen;
  for (size_t i = next; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      inv.action = Action::help;
      return out;
    }
    if (a.substr(0, 2) != "--" || a == "--") {
      if (a.size() > 1 && a[0] == '-') return fail(name + ": unknown option " + std::string(a));
      positional.push_back(a);
      continue;
    }
    const size_t eq = a.find('=');
    const std::string_view opt = a.substr(0, eq);
    auto spec = std::find_if(specs.begin(), specs.end(),
                             [&](const OptionSpec& s) { return s.name == opt; });
    if (spec == specs.end() && opt != "--format")
      return fail(name + ": unknown option " + std::string(opt));
    std::string_view value;
    if (eq != std::string_view::npos) {
      value = a.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return fail(name + ": " + std::string(opt) + " needs a value");
    }
    if (std::find(seen.begin(), seen.end(), opt) != seen.end())
      return fail(name + ": " + std::string(opt) + " given twice");
    seen.push_back(opt);
    if (opt == "--format") {
      if (!parse_format(value, inv.format))
        return fail(name + ": --format is table, json or csv, not \"" + std::string(value) + "\"");
      continue;
    }
    if (value.empty()) return fail(name + ": " + std::string(opt) + " needs a value");
    if (spec->list) {
      if (!split_list(value, inv.*(spec->list)))
        return fail(name + ": " + std::string(opt) + " has an empty item in \"" +
                    std::string(value) + "\"");
    } else {
      inv.*(spec->text) = value;
    }
  }

  if (inv.action == Action::keys_revoke) {
    if (positional.size() != 1) return fail("keys revoke needs exactly one key ID");
    inv.id = positional[0];
  } else if (!positional.empty()) {
    return fail(name + ": unexpected argument " + std::string(positional[0]));
  }
  if (inv.action == Action::keys_create && inv.project.empty())
    return fail("keys create needs --project NAME");
  if (inv.format == Format::csv && inv.action != Action::usage && inv.action != Action::keys_list)
    return fail(name + ": --format csv is for `usage` and `keys list`; use table or json");
  if (!inv.url.empty()) {
    AdminUrl url;
    if (std::string err = parse_admin_url(inv.url, url); !err.empty())
      return fail(name + ": --url " + inv.url + ": " + err);
  }
  return out;
}

}  // namespace sluice::cli
