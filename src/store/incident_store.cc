#include "store/incident_store.h"

#include <sqlite3.h>

#include <fmt/format.h>

namespace augur::store {
namespace {

absl::Status Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error != nullptr ? error : "unknown error";
    sqlite3_free(error);
    return absl::InternalError(fmt::format("sqlite: {}", message));
  }
  return absl::OkStatus();
}

// A prepared statement that finalizes itself.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Statement() { sqlite3_finalize(stmt_); }
  sqlite3_stmt* get() { return stmt_; }
  bool ok() const { return stmt_ != nullptr; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

IncidentRecord Row(sqlite3_stmt* s) {
  IncidentRecord r;
  r.id = static_cast<uint64_t>(sqlite3_column_int64(s, 0));
  r.start_ns = sqlite3_column_int64(s, 1);
  r.end_ns = sqlite3_column_int64(s, 2);
  r.updated_ns = sqlite3_column_int64(s, 3);
  r.severity = reinterpret_cast<const char*>(sqlite3_column_text(s, 4));
  r.json.assign(static_cast<const char*>(sqlite3_column_blob(s, 5)),
                static_cast<size_t>(sqlite3_column_bytes(s, 5)));
  return r;
}

}  // namespace

IncidentStore::~IncidentStore() {
  std::lock_guard lock(mu_);
  sqlite3_close(db_);
}

absl::StatusOr<std::unique_ptr<IncidentStore>> IncidentStore::Open(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::UnavailableError(
        fmt::format("cannot open incident store '{}': {}", path, message));
  }
  sqlite3_busy_timeout(db, 5000);
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                          "CREATE TABLE IF NOT EXISTS incidents ("
                          " id INTEGER PRIMARY KEY, start_ns INTEGER NOT NULL,"
                          " end_ns INTEGER NOT NULL, updated_ns INTEGER NOT NULL,"
                          " severity TEXT NOT NULL, json BLOB NOT NULL)",
                          "CREATE INDEX IF NOT EXISTS incidents_start ON incidents(start_ns)"}) {
    if (absl::Status s = Exec(db, sql); !s.ok()) {
      sqlite3_close(db);
      return absl::UnavailableError(
          fmt::format("incident store '{}': {}", path, std::string(s.message())));
    }
  }
  return std::unique_ptr<IncidentStore>(new IncidentStore(db));
}

absl::Status IncidentStore::Put(const IncidentRecord& r) {
  std::lock_guard lock(mu_);
  Statement s(db_,
              "INSERT OR REPLACE INTO incidents (id, start_ns, end_ns, updated_ns, severity, json)"
              " VALUES (?, ?, ?, ?, ?, ?)");
  if (!s.ok()) return absl::InternalError(fmt::format("sqlite: {}", sqlite3_errmsg(db_)));
  sqlite3_bind_int64(s.get(), 1, static_cast<sqlite3_int64>(r.id));
  sqlite3_bind_int64(s.get(), 2, r.start_ns);
  sqlite3_bind_int64(s.get(), 3, r.end_ns);
  sqlite3_bind_int64(s.get(), 4, r.updated_ns);
  sqlite3_bind_text(s.get(), 5, r.severity.data(), static_cast<int>(r.severity.size()),
                    SQLITE_TRANSIENT);
  sqlite3_bind_blob(s.get(), 6, r.json.data(), static_cast<int>(r.json.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(s.get()) != SQLITE_DONE) {
    return absl::InternalError(fmt::format("sqlite: {}", sqlite3_errmsg(db_)));
  }
  return absl::OkStatus();
}

std::optional<IncidentRecord> IncidentStore::Get(uint64_t id) {
  std::lock_guard lock(mu_);
  Statement s(
      db_, "SELECT id, start_ns, end_ns, updated_ns, severity, json FROM incidents WHERE id = ?");
  if (!s.ok()) return std::nullopt;
  sqlite3_bind_int64(s.get(), 1, static_cast<sqlite3_int64>(id));
  if (sqlite3_step(s.get()) != SQLITE_ROW) return std::nullopt;
  return Row(s.get());
}

std::vector<IncidentRecord> IncidentStore::List(const IncidentQuery& q) {
  std::lock_guard lock(mu_);
  Statement s(db_,
              "SELECT id, start_ns, end_ns, updated_ns, severity, json FROM incidents"
              " WHERE start_ns <= ? AND (end_ns = 0 OR end_ns >= ?) AND (? = 0 OR end_ns = 0)"
              " ORDER BY (end_ns = 0) DESC, start_ns DESC, id DESC LIMIT ?");
  std::vector<IncidentRecord> out;
  if (!s.ok()) return out;
  sqlite3_bind_int64(s.get(), 1, q.until_ns);
  sqlite3_bind_int64(s.get(), 2, q.since_ns);
  sqlite3_bind_int(s.get(), 3, q.open_only ? 1 : 0);
  sqlite3_bind_int64(s.get(), 4, static_cast<sqlite3_int64>(q.limit));
  while (sqlite3_step(s.get()) == SQLITE_ROW) out.push_back(Row(s.get()));
  return out;
}

uint64_t IncidentStore::MaxId() {
  std::lock_guard lock(mu_);
  Statement s(db_, "SELECT COALESCE(MAX(id), 0) FROM incidents");
  if (!s.ok() || sqlite3_step(s.get()) != SQLITE_ROW) return 0;
  return static_cast<uint64_t>(sqlite3_column_int64(s.get(), 0));
}

}  // namespace augur::store
