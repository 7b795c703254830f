#include "sim/telemetry_buffer.h"

#include <algorithm>
#include <cstring>

namespace augur::sim {

std::string_view TelemetryBuffer::Store(std::string_view s) {
  if (s.empty()) return {};
  while (chunk_ < chunks_.size() && used_ + s.size() > chunk_sizes_[chunk_]) {
    ++chunk_;
    used_ = 0;
  }
  if (chunk_ == chunks_.size()) {
    const size_t size = std::max(kChunkBytes, s.size());
    chunks_.push_back(std::make_unique<char[]>(size));
    chunk_sizes_.push_back(size);
    used_ = 0;
  }
  char* dst = chunks_[chunk_].get() + used_;
  std::memcpy(dst, s.data(), s.size());
  used_ += s.size();
  return {dst, s.size()};
}

void TelemetryBuffer::Clear() {
  spans.clear();
  logs.clear();
  attributes.clear();
  chunk_ = 0;
  used_ = 0;
}

size_t TelemetryBuffer::MemoryBytes() const {
  size_t bytes = spans.capacity() * sizeof(SimSpan) + logs.capacity() * sizeof(SimLogRecord) +
                 attributes.capacity() * sizeof(SimAttribute);
  for (size_t s : chunk_sizes_) bytes += s;
  return bytes;
}

}  // namespace augur::sim
