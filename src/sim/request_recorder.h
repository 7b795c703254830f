// Records Export requests to a file as OTLP/JSON, one request per line in the order written (the
// OTLP JSON mapping: resourceSpans / resourceMetrics / resourceLogs, hex ids, lowerCamelCase
// names, integer enums): what `augur simulate --record` writes and `augur replay` reads.
//
// Not thread-safe: one writer.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include <google/protobuf/message.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace augur::sim {

class RequestRecorder {
 public:
  // Creates (or truncates) `path`.
  static absl::StatusOr<std::unique_ptr<RequestRecorder>> Open(const std::string& path);
  ~RequestRecorder();  // closes, ignoring errors
  RequestRecorder(const RequestRecorder&) = delete;
  RequestRecorder& operator=(const RequestRecorder&) = delete;

  // Appends `request` (an Export*ServiceRequest) as one line.
  absl::Status Write(const google::protobuf::Message& request);
  // Flushes and closes; later writes fail.
  absl::Status Close();

  uint64_t lines() const { return lines_; }
  const std::string& path() const { return path_; }

 private:
  RequestRecorder(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}

  std::string path_;
  std::FILE* file_;
  uint64_t lines_ = 0;
};

}  // namespace augur::sim
