// Specification of how `sluice keys|usage|limits|breakers` read their arguments.

#include "sluice/cli/args.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string_view>
#include <vector>

namespace sluice::cli {
namespace {

ParsedCommand parse(std::initializer_list<std::string_view> words) {
  std::vector<std::string_view> args(words);
  return parse_command(args);
}

TEST(CliArgs, KeysCreateReadsProjectIdAndModels) {
  ParsedCommand p =
      parse({"keys", "create", "--project", "team", "--id=bot", "--models", "gpt-4o-mini, claude"});
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.invocation.action, Action::keys_create);
  EXPECT_EQ(p.invocation.project, "team");
  EXPECT_EQ(p.invocation.id, "bot");
  EXPECT_EQ(p.invocation.models, (std::vector<std::string>{"gpt-4o-mini", "claude"}));
}

TEST(CliArgs, KeysCreateWithoutProjectIsAnError) {
  ParsedCommand p = parse({"keys", "create", "--id", "bot"});
  EXPECT_EQ(p.error, "keys create needs --project NAME");
}

TEST(CliArgs, KeysRevokeTakesExactlyOneId) {
  ParsedCommand p = parse({"keys", "revoke", "bot"});
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.invocation.action, Action::keys_revoke);
  EXPECT_EQ(p.invocation.id, "bot");
  EXPECT_NE(parse({"keys", "revoke"}).error, "");
  EXPECT_NE(parse({"keys", "revoke", "a", "b"}).error, "");
}

TEST(CliArgs, KeysNeedsAKnownSubcommand) {
  EXPECT_EQ(parse({"keys"}).error, "keys needs a subcommand: create, list or revoke");
  EXPECT_EQ(parse({"keys", "rotate"}).error,
            "keys: unknown subcommand \"rotate\" (create, list or revoke)");
}

TEST(CliArgs, UsageReadsRangeGroupingAndFilters) {
  ParsedCommand p = parse({"usage", "--from", "2026-12-01", "--to=1765000000000", "--group-by",
                           "project,model", "--model", "gpt-4o", "--format", "csv"});
  ASSERT_EQ(p.error, "");
  const Invocation& inv = p.invocation;
  EXPECT_EQ(inv.action, Action::usage);
  EXPECT_EQ(inv.from, "2026-12-01");
  EXPECT_EQ(inv.to, "1765000000000");
  EXPECT_EQ(inv.group_by, (std::vector<std::string>{"project", "model"}));
  EXPECT_EQ(inv.model, "gpt-4o");
  EXPECT_EQ(inv.format, Format::csv);
}

TEST(CliArgs, CommonOptionsGoWithEverySubcommand) {
  for (auto cmd : {"limits", "breakers", "usage"}) {
    ParsedCommand p =
        parse({cmd, "--url", "http://127.0.0.1:9090", "--config", "/etc/sluice/sluice.json"});
    ASSERT_EQ(p.error, "") << cmd;
    EXPECT_EQ(p.invocation.url, "http://127.0.0.1:9090");
    EXPECT_EQ(p.invocation.config_path, "/etc/sluice/sluice.json");
    EXPECT_EQ(p.invocation.format, Format::automatic);
  }
}

TEST(CliArgs, OptionsOfAnotherSubcommandAreRefused) {
  EXPECT_EQ(parse({"limits", "--project", "x"}).error, "limits: unknown option --project");
  EXPECT_EQ(parse({"keys", "list", "--models", "a"}).error, "keys list: unknown option --models");
  EXPECT_EQ(parse({"breakers", "-x"}).error, "breakers: unknown option -x");
  EXPECT_EQ(parse({"limits", "extra"}).error, "limits: unexpected argument extra");
  EXPECT_EQ(parse({"usage", "--bogus"}).error, "usage: unknown option --bogus");
}

TEST(CliArgs, BadValuesAreNamed) {
  EXPECT_EQ(parse({"usage", "--from"}).error, "usage: --from needs a value");
  EXPECT_EQ(parse({"usage", "--from="}).error, "usage: --from needs a value");
  EXPECT_EQ(parse({"usage", "--format", "xml"}).error,
            "usage: --format is table, json or csv, not \"xml\"");
  EXPECT_EQ(parse({"usage", "--group-by", "project,,model"}).error,
            "usage: --group-by has an empty item in \"project,,model\"");
  EXPECT_EQ(parse({"usage", "--to", "1", "--to", "2"}).error, "usage: --to given twice");
}

TEST(CliArgs, CsvIsForUsageAndKeyListsOnly) {
  EXPECT_EQ(parse({"keys", "list", "--format", "csv"}).error, "");
  EXPECT_EQ(parse({"limits", "--format", "csv"}).error,
            "limits: --format csv is for `usage` and `keys list`; use table or json");
  EXPECT_EQ(parse({"limits", "--format", "json"}).invocation.format, Format::json);
}

TEST(CliArgs, UrlIsCheckedUpFront) {
  EXPECT_NE(parse({"limits", "--url", "https://gw:8443"}).error.find("https is not supported"),
            std::string::npos);
  EXPECT_NE(parse({"limits", "--url", "127.0.0.1:8080"}).error.find("must start with http://"),
            std::string::npos);
}

TEST(CliArgs, HelpWinsAnywhere) {
  EXPECT_EQ(parse({"keys", "--help"}).invocation.action, Action::help);
  EXPECT_EQ(parse({"keys", "create", "-h"}).invocation.action, Action::help);
  ParsedCommand p = parse({"usage", "--bogus", "x", "--help"});
  // An unknown option before --help is still reported: the line is wrong either way.
  EXPECT_NE(p.error, "");
  EXPECT_EQ(parse({"usage", "--help"}).invocation.help_topic, "usage");
  EXPECT_NE(command_help("usage").find("--group-by"), std::string_view::npos);
}

TEST(CliArgs, OnlyTheFourWordsAreAdminCommands) {
  for (auto w : {"keys", "usage", "limits", "breakers"}) EXPECT_TRUE(is_admin_command(w));
  for (auto w : {"keygen", "--config", "ledger", "key", ""}) EXPECT_FALSE(is_admin_command(w));
}

TEST(CliArgs, SplitListTrimsSpacesAndRefusesEmptyItems) {
  std::vector<std::string> out;
  EXPECT_TRUE(split_list(" a , b ", out));
  EXPECT_EQ(out, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(split_list("a,", out));
  EXPECT_FALSE(split_list("", out));
}

}  // namespace
}  // namespace sluice::cli
