// What a failed SQLite call means for an operator (src/ledger/sqlite_sink.cc): the cause
// that /metrics counts and the log names, from the extended result code.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "../../src/ledger/sqlite_rows.h"

namespace sluice::ledger {
namespace {

TEST(FailureCause, FullDiskIsDiskFull) {
  EXPECT_EQ(sqlite::cause_of(SQLITE_FULL), FailureCause::disk_full);
}

TEST(FailureCause, ReadOnlyFilesAndFoldersAreReadOnly) {
  EXPECT_EQ(sqlite::cause_of(SQLITE_READONLY), FailureCause::read_only);
  EXPECT_EQ(sqlite::cause_of(SQLITE_READONLY_DBMOVED), FailureCause::read_only);
  EXPECT_EQ(sqlite::cause_of(SQLITE_CANTOPEN), FailureCause::read_only);
  EXPECT_EQ(sqlite::cause_of(SQLITE_PERM), FailureCause::read_only);
}

TEST(FailureCause, BusyAndLockedAreLocked) {
  EXPECT_EQ(sqlite::cause_of(SQLITE_BUSY), FailureCause::locked);
  EXPECT_EQ(sqlite::cause_of(SQLITE_BUSY_SNAPSHOT), FailureCause::locked);
  EXPECT_EQ(sqlite::cause_of(SQLITE_LOCKED), FailureCause::locked);
}

TEST(FailureCause, IoErrorsOfAnyKindAreIo) {
  EXPECT_EQ(sqlite::cause_of(SQLITE_IOERR), FailureCause::io);
  EXPECT_EQ(sqlite::cause_of(SQLITE_IOERR_WRITE), FailureCause::io);
  EXPECT_EQ(sqlite::cause_of(SQLITE_IOERR_FSYNC), FailureCause::io);
}

TEST(FailureCause, AnythingElseIsOther) {
  EXPECT_EQ(sqlite::cause_of(SQLITE_CORRUPT), FailureCause::other);
  EXPECT_EQ(sqlite::cause_of(SQLITE_CONSTRAINT), FailureCause::other);
}

TEST(FailureCause, EveryCauseHasTheNameMetricsUse) {
  const char* names[] = {"connect", "write", "disk_full", "read_only", "locked", "io", "other"};
  for (size_t i = 0; i < kFailureCauses; ++i)
    EXPECT_STREQ(cause_name(static_cast<FailureCause>(i)), names[i]);
}

}  // namespace
}  // namespace sluice::ledger
