#include "store/checkpoint_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace augur::store {

namespace fs = std::filesystem;

CheckpointStore::CheckpointStore(std::string dir)
    : dir_(std::move(dir)), writer_([this] { Run(); }) {}

CheckpointStore::~CheckpointStore() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  writer_.join();
}

absl::Status CheckpointStore::Open() {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) {
    return absl::UnavailableError(
        fmt::format("cannot create data directory '{}': {}", dir_, ec.message()));
  }
  return absl::OkStatus();
}

absl::Status CheckpointStore::Write(const std::string& name, std::string_view bytes) {
  const fs::path path = fs::path(dir_) / name;
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  const std::string tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::UnavailableError(fmt::format("cannot write '{}': {}", tmp, std::strerror(errno)));
  }
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return absl::UnavailableError(fmt::format("cannot write '{}': {}", tmp, std::strerror(err)));
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return absl::UnavailableError(fmt::format("cannot sync '{}': {}", tmp, std::strerror(errno)));
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    return absl::UnavailableError(
        fmt::format("cannot replace '{}': {}", path.string(), ec.message()));
  }
  return absl::OkStatus();
}

void CheckpointStore::WriteAsync(std::string name, std::string bytes) {
  {
    std::lock_guard lock(mu_);
    queued_[std::move(name)] = std::move(bytes);
  }
  cv_.notify_all();
}

void CheckpointStore::Flush() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return queued_.empty() && !writing_; });
}

void CheckpointStore::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || !queued_.empty(); });
    if (queued_.empty() && stop_) return;
    auto node = queued_.extract(queued_.begin());
    writing_ = true;
    lock.unlock();
    if (absl::Status s = Write(node.key(), node.mapped()); !s.ok()) {
      spdlog::error("{}", std::string(s.message()));
    }
    lock.lock();
    writing_ = false;
    cv_.notify_all();
  }
}

absl::StatusOr<std::string> CheckpointStore::Read(const std::string& name) const {
  const fs::path path = fs::path(dir_) / name;
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(fmt::format("no file '{}'", path.string()));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> CheckpointStore::List(const std::string& prefix) const {
  std::vector<std::string> out;
  std::error_code ec;
  const fs::path base = fs::path(dir_) / prefix;
  for (const auto& entry : fs::directory_iterator(base, ec)) {
    if (!entry.is_regular_file()) continue;
    std::string name = entry.path().filename().string();
    if (name.ends_with(".tmp")) continue;
    out.push_back((fs::path(prefix) / name).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void CheckpointStore::Remove(const std::string& name) {
  std::error_code ec;
  fs::remove(fs::path(dir_) / name, ec);
}

}  // namespace augur::store
