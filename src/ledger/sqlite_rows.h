#pragma once
// Records to and from SQLite statements, shared by the SQLite ledger and the spool.
// Private to src/ledger.

#include <sqlite3.h>

#include "sink.h"
#include "sluice/ledger/record.h"

namespace sluice::ledger::sqlite {

// Binds the 23 columns of `r` in Record field order to parameters first..first+22.
// The record must outlive the statement's step (SQLITE_STATIC).
void bind_record(sqlite3_stmt* stmt, const Record& r, int first);
// Reads the 23 columns from result column `first` on.
Record read_record(sqlite3_stmt* stmt, int first);
// What a failed SQLite call's extended result code means for an operator.
FailureCause cause_of(int rc);

}  // namespace sluice::ledger::sqlite
