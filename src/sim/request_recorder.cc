#include "sim/request_recorder.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include "sim/otlp_json.h"
#include "sim/text.h"

namespace augur::sim {

absl::StatusOr<std::unique_ptr<RequestRecorder>> RequestRecorder::Open(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) {
    return absl::FailedPreconditionError(
        Cat("record: cannot create ", path, ": ", std::strerror(errno)));
  }
  std::setvbuf(file, nullptr, _IOFBF, 1 << 20);
  return std::unique_ptr<RequestRecorder>(new RequestRecorder(path, file));
}

RequestRecorder::~RequestRecorder() {
  if (file_ != nullptr) std::fclose(file_);
}

absl::Status RequestRecorder::Write(const google::protobuf::Message& request) {
  if (file_ == nullptr) return absl::FailedPreconditionError(Cat("record: ", path_, " is closed"));
  absl::StatusOr<std::string> json = ToOtlpJson(request);
  if (!json.ok()) return json.status();
  json->push_back('\n');
  if (std::fwrite(json->data(), 1, json->size(), file_) != json->size()) {
    return absl::DataLossError(Cat("record: writing ", path_, ": ", std::strerror(errno)));
  }
  ++lines_;
  return absl::OkStatus();
}

absl::Status RequestRecorder::Close() {
  if (file_ == nullptr) return absl::OkStatus();
  const bool ok = std::fflush(file_) == 0;
  const int error = errno;
  std::fclose(file_);
  file_ = nullptr;
  if (!ok) return absl::DataLossError(Cat("record: writing ", path_, ": ", std::strerror(error)));
  return absl::OkStatus();
}

}  // namespace augur::sim
