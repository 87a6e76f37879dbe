// KeyStore on a real SQLite file: rows survive reopening, revocation sticks, an id or
// digest is never stored twice.

#include "sluice/admin/key_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace sluice::admin {
namespace {

class KeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sluice-keystore-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/ledger.db";
  }
  void TearDown() override {
    for (const char* suffix : {"", "-wal", "-shm"}) unlink((path_ + suffix).c_str());
    rmdir(dir_.c_str());
  }
  static StoredKey key(const std::string& id, char digit) {
    return {id, "team", std::string(64, digit), {"a", "b"}, 1000, 0};
  }
  std::string dir_, path_;
};

TEST_F(KeyStoreTest, RowsSurviveReopening) {
  {
    SqliteKeyStore store(path_);
    std::string err;
    ASSERT_EQ(store.insert(key("one", '1'), err), StoreResult::ok) << err;
    ASSERT_EQ(store.insert(key("two", '2'), err), StoreResult::ok) << err;
  }
  SqliteKeyStore store(path_);
  auto rows = store.load();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, "one");
  EXPECT_EQ(rows[0].project, "team");
  EXPECT_EQ(rows[0].sha256_hex, std::string(64, '1'));
  EXPECT_EQ(rows[0].models, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(rows[0].created_ms, 1000);
  EXPECT_EQ(rows[0].revoked_ms, 0);
}

TEST_F(KeyStoreTest, RevocationSticksAndHappensOnce) {
  std::string err;
  {
    SqliteKeyStore store(path_);
    ASSERT_EQ(store.insert(key("one", '1'), err), StoreResult::ok);
    ASSERT_EQ(store.revoke("one", 2000, err), StoreResult::ok) << err;
    EXPECT_EQ(store.revoke("one", 3000, err), StoreResult::refused);
    EXPECT_EQ(store.revoke("none", 3000, err), StoreResult::refused);
  }
  SqliteKeyStore store(path_);
  auto rows = store.load();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].revoked_ms, 2000);
}

TEST_F(KeyStoreTest, IdAndDigestAreUnique) {
  SqliteKeyStore store(path_);
  std::string err;
  ASSERT_EQ(store.insert(key("one", '1'), err), StoreResult::ok);
  EXPECT_EQ(store.insert(key("one", '2'), err), StoreResult::refused);
  EXPECT_FALSE(err.empty());
  EXPECT_EQ(store.insert(key("other", '1'), err), StoreResult::refused);
  EXPECT_EQ(store.load().size(), 1u);
}

TEST_F(KeyStoreTest, UnopenablePathThrowsNamingIt) {
  try {
    SqliteKeyStore store("/proc/no/such/dir/ledger.db");
    FAIL() << "opened";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/proc/no/such/dir/ledger.db"), std::string::npos);
  }
}

}  // namespace
}  // namespace sluice::admin
