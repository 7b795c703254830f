// Durable files under Augur's data directory (./augur-data by default): model checkpoints and
// small state such as mutes. Writes are atomic (temporary file, fsync, rename), so a crash leaves
// the previous version intact; asynchronous writes run on the store's own thread, so no shard or
// network thread waits for the disk.
//
// Thread-safe.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace augur::store {

class CheckpointStore {
 public:
  explicit CheckpointStore(std::string dir);
  ~CheckpointStore();  // writes what is queued, then stops
  CheckpointStore(const CheckpointStore&) = delete;
  CheckpointStore& operator=(const CheckpointStore&) = delete;

  // Creates the directory (and parents). Fails with the path and the reason.
  absl::Status Open();

  // Replaces file `name` (a relative path, '/' allowed) with `bytes` now.
  absl::Status Write(const std::string& name, std::string_view bytes);
  // Queues the same for the writer thread; a queued older version of `name` is dropped.
  void WriteAsync(std::string name, std::string bytes);
  // Waits until every queued write is on disk.
  void Flush();

  // NotFound when absent.
  absl::StatusOr<std::string> Read(const std::string& name) const;
  // Names of the files under `prefix` (a relative directory), sorted.
  std::vector<std::string> List(const std::string& prefix) const;
  // Deletes a file; absent is fine.
  void Remove(const std::string& name);

  const std::string& dir() const { return dir_; }

 private:
  void Run();

  const std::string dir_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::string> queued_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread writer_;
};

}  // namespace augur::store
