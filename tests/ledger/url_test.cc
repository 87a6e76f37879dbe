// Where a postgres ledger connects (src/ledger/ledger_url.cc): url, url_env or url_file,
// and a clear error naming the field when the one given leads nowhere.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <stdexcept>
#include <string>

#include "sluice/ledger/ledger_url.h"
#include "temp_dir.h"

namespace sluice::ledger {
namespace {

using testing::TempDir;

config::Ledger postgres() {
  config::Ledger c;
  c.kind = config::LedgerKind::postgres;
  return c;
}

std::string error_of(const config::Ledger& c) {
  try {
    resolve_url(c);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(LedgerUrl, LiteralUrlIsUsedAsWritten) {
  config::Ledger c = postgres();
  c.url = "postgresql://sluice@db:5432/books";
  EXPECT_EQ(resolve_url(c), "postgresql://sluice@db:5432/books");
}

TEST(LedgerUrl, EnvironmentVariableIsReadAndTrimmed) {
  config::Ledger c = postgres();
  c.url_env = "SLUICE_TEST_LEDGER_URL";
  ::setenv("SLUICE_TEST_LEDGER_URL", " postgresql://a@b/c\n", 1);
  EXPECT_EQ(resolve_url(c), "postgresql://a@b/c");
  ::unsetenv("SLUICE_TEST_LEDGER_URL");
}

TEST(LedgerUrl, UnsetEnvironmentVariableNamesTheFieldAndVariable) {
  config::Ledger c = postgres();
  c.url_env = "SLUICE_TEST_LEDGER_URL_UNSET";
  ::unsetenv("SLUICE_TEST_LEDGER_URL_UNSET");
  const std::string e = error_of(c);
  EXPECT_NE(e.find("ledger.url_env"), std::string::npos) << e;
  EXPECT_NE(e.find("SLUICE_TEST_LEDGER_URL_UNSET"), std::string::npos) << e;
  EXPECT_NE(e.find("not set"), std::string::npos) << e;
}

TEST(LedgerUrl, EmptyEnvironmentVariableIsAnError) {
  config::Ledger c = postgres();
  c.url_env = "SLUICE_TEST_LEDGER_URL_EMPTY";
  ::setenv("SLUICE_TEST_LEDGER_URL_EMPTY", "  ", 1);
  EXPECT_NE(error_of(c).find("is empty"), std::string::npos);
  ::unsetenv("SLUICE_TEST_LEDGER_URL_EMPTY");
}

TEST(LedgerUrl, FileHoldsTheUrlOnOneLine) {
  TempDir dir;
  const std::string path = dir.file("url");
  std::ofstream(path) << "postgresql://sluice@10.0.0.5/books\n";
  config::Ledger c = postgres();
  c.url_file = path;
  EXPECT_EQ(resolve_url(c), "postgresql://sluice@10.0.0.5/books");
}

TEST(LedgerUrl, MissingFileNamesTheFieldAndPath) {
  TempDir dir;
  config::Ledger c = postgres();
  c.url_file = dir.file("absent");
  const std::string e = error_of(c);
  EXPECT_NE(e.find("ledger.url_file"), std::string::npos) << e;
  EXPECT_NE(e.find(c.url_file), std::string::npos) << e;
}

TEST(LedgerUrl, EmptyOrMultiLineFileIsAnError) {
  TempDir dir;
  config::Ledger c = postgres();
  c.url_file = dir.file("empty");
  std::ofstream(c.url_file) << "\n\n";
  EXPECT_NE(error_of(c).find("is empty"), std::string::npos);
  c.url_file = dir.file("two");
  std::ofstream(c.url_file) << "postgresql://a/b\npostgresql://c/d\n";
  EXPECT_NE(error_of(c).find("more than one line"), std::string::npos);
}

TEST(LedgerUrl, NoneGivenNamesTheChoices) {
  const std::string e = error_of(postgres());
  EXPECT_NE(e.find("ledger.url"), std::string::npos) << e;
  EXPECT_NE(e.find("url_env"), std::string::npos) << e;
}

}  // namespace
}  // namespace sluice::ledger
