// Incidents on disk: an SQLite database (WAL) under the data directory, one row per incident with
// its times, severity and the whole incident as JSON. Rows are replaced as incidents change.
//
// Thread-safe (one connection behind a mutex; writes are small and rare).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/time.h"

struct sqlite3;

namespace augur::store {

struct IncidentRecord {
  uint64_t id = 0;
  core::TimeNs start_ns = 0;
  core::TimeNs end_ns = 0;  // 0 while open
  core::TimeNs updated_ns = 0;
  std::string severity;
  std::string json;  // the incident as the API shows it
};

struct IncidentQuery {
  core::TimeNs since_ns = 0;  // incidents overlapping [since, until]
  core::TimeNs until_ns = INT64_MAX;
  bool open_only = false;
  size_t limit = 100;
};

class IncidentStore {
 public:
  ~IncidentStore();

  // Opens (creating if needed) the database at `path`; ":memory:" for tests.
  static absl::StatusOr<std::unique_ptr<IncidentStore>> Open(const std::string& path);

  absl::Status Put(const IncidentRecord& record);
  std::optional<IncidentRecord> Get(uint64_t id);
  // Newest first.
  std::vector<IncidentRecord> List(const IncidentQuery& query);
  // The highest id stored (0 if none): new incidents continue after it.
  uint64_t MaxId();

 private:
  explicit IncidentStore(sqlite3* db) : db_(db) {}
  std::mutex mu_;
  sqlite3* db_ ABSL_GUARDED_BY(mu_);
};

}  // namespace augur::store
