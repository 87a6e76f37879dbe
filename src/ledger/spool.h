#pragma once
// The postgres ledger's local spool: a SQLite file where batches wait, in order and with
// their row ids, while PostgreSQL cannot be reached. Writer thread only. Private to
// src/ledger.

#include <cstdint>
#include <string>
#include <vector>

#include "sink.h"
#include "sqlite_db.h"

namespace sluice::ledger {

class Spool {
 public:
  // Opens or creates the file (and its folder) with its table. Throws on failure.
  explicit Spool(const std::string& path);

  uint64_t backlog() const { return backlog_; }  // rows waiting
  // Appends a batch in one transaction.
  SinkResult append(const std::vector<Record>& rows, const std::vector<std::string>& ids);
  // The oldest `limit` rows; `last` is the position of the last one read (for remove()).
  SinkResult oldest(size_t limit, std::vector<Record>& rows, std::vector<std::string>& ids,
                    int64_t& last);
  // Removes the rows up to and including position `last` (they reached PostgreSQL).
  SinkResult remove_through(int64_t last, size_t rows);

 private:
  SinkResult fail(int rc);

  std::string path_;
  sqlite::Db db_;
  sqlite::Stmt insert_;
  sqlite::Stmt select_;
  sqlite::Stmt delete_;
  uint64_t backlog_ = 0;
};

}  // namespace sluice::ledger
