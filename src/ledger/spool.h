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

  uint64_t backlog() const { return backlog_; }  // rows waiting, not yet in PostgreSQL
  // Appends a batch in one transaction.
  SinkResult append(const std::vector<Record>& rows, const std::vector<std::string>& ids);
  // The oldest `limit` rows not yet sent; `last` is the position of the last one read
  // (for remove_through()).
  SinkResult oldest(size_t limit, std::vector<Record>& rows, std::vector<std::string>& ids,
                    int64_t& last);
  // The rows up to and including position `last` reached PostgreSQL: they are no longer
  // waiting, whatever the result. They are deleted from the file now, or (when the
  // delete fails, e.g. on a full disk, which a delete needs room on too) by a later
  // tidy(); until then they stay in the file but are never read again.
  SinkResult remove_through(int64_t last, size_t rows);
  // Retries a delete that failed; true when nothing sent is left in the file.
  bool tidy();

 private:
  SinkResult fail(int rc);
  // Deletes the rows through sent_through_; SQLite's result code.
  int delete_sent();

  std::string path_;
  sqlite::Db db_;
  sqlite::Stmt insert_;
  sqlite::Stmt select_;
  sqlite::Stmt delete_;
  uint64_t backlog_ = 0;
  int64_t sent_through_ = 0;  // rows up to this position are in PostgreSQL
  bool undeleted_ = false;    // ... and some of them are still in the file
};

}  // namespace sluice::ledger
