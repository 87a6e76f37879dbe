#include "sluice/config/ledger_url.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace sluice::config {
namespace {

Ledger postgres() {
  Ledger l;
  l.kind = LedgerKind::postgres;
  return l;
}

TEST(LedgerUrl, LiteralUrlIsReturnedAsIs) {
  Ledger l = postgres();
  l.url = "postgresql://sluice@db.internal/books";
  std::string err;
  EXPECT_EQ(resolve_ledger_url(l, err), "postgresql://sluice@db.internal/books");
  EXPECT_EQ(err, "");
}

TEST(LedgerUrl, EnvironmentVariableIsReadAndTrimmed) {
  Ledger l = postgres();
  l.url_env = "SLUICE_LEDGER_URL_TEST";
  setenv("SLUICE_LEDGER_URL_TEST", "  postgresql://a:b@h/db\n", 1);
  std::string err;
  EXPECT_EQ(resolve_ledger_url(l, err), "postgresql://a:b@h/db");
  EXPECT_EQ(err, "");
  unsetenv("SLUICE_LEDGER_URL_TEST");
}

TEST(LedgerUrl, UnsetOrEmptyVariableIsAnError) {
  Ledger l = postgres();
  l.url_env = "SLUICE_LEDGER_URL_UNSET_TEST";
  unsetenv("SLUICE_LEDGER_URL_UNSET_TEST");
  std::string err;
  EXPECT_EQ(resolve_ledger_url(l, err), "");
  EXPECT_NE(err.find("SLUICE_LEDGER_URL_UNSET_TEST is not set"), std::string::npos) << err;
  setenv("SLUICE_LEDGER_URL_UNSET_TEST", " \n", 1);
  EXPECT_EQ(resolve_ledger_url(l, err), "");
  EXPECT_NE(err.find("is empty"), std::string::npos) << err;
  unsetenv("SLUICE_LEDGER_URL_UNSET_TEST");
}

TEST(LedgerUrl, FileContentsAreTrimmed) {
  char path[] = "/tmp/sluice-ledger-url-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "postgresql://u:secret@10.0.0.5:5432/ledger\n\n";
  Ledger l = postgres();
  l.url_file = path;
  std::string err;
  EXPECT_EQ(resolve_ledger_url(l, err), "postgresql://u:secret@10.0.0.5:5432/ledger");
  EXPECT_EQ(err, "");
  std::ofstream(path) << "   \n";
  EXPECT_EQ(resolve_ledger_url(l, err), "");
  EXPECT_NE(err.find("is empty"), std::string::npos) << err;
  std::ofstream(path) << "postgresql://a@h/one\npostgresql://a@h/two\n";
  EXPECT_EQ(resolve_ledger_url(l, err), "");
  EXPECT_NE(err.find("more than one line"), std::string::npos) << err;
  unlink(path);
}

TEST(LedgerUrl, MissingFileNamesThePath) {
  Ledger l = postgres();
  l.url_file = "/nonexistent/sluice/url";
  std::string err;
  EXPECT_EQ(resolve_ledger_url(l, err), "");
  EXPECT_NE(err.find("/nonexistent/sluice/url"), std::string::npos) << err;
}

TEST(LedgerUrl, SqliteLedgerHasNoUrl) {
  Ledger l;
  l.url = "postgresql://x/y";
  std::string err;
  EXPECT_EQ(resolve_ledger_url(l, err), "");
  EXPECT_NE(err, "");
}

}  // namespace
}  // namespace sluice::config
