#include "export/loki_push_encoder.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/utf8.h"

namespace augur::exporter {
namespace {

// Protobuf wire format (https://protobuf.dev/programming-guides/encoding/).
void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutTag(uint32_t field, uint32_t wire_type, std::string* out) {
  PutVarint(uint64_t{field} << 3 | wire_type, out);
}

void PutBytes(uint32_t field, std::string_view bytes, std::string* out) {
  PutTag(field, 2, out);
  PutVarint(bytes.size(), out);
  out->append(bytes);
}

// A string field, omitted when empty (proto3 default). Protobuf strings must be UTF-8
// (libprotobuf refuses to parse a message whose strings are not); the pipeline's records are, but
// a byte that is not becomes U+FFFD here rather than making the whole push invalid.
void PutString(uint32_t field, std::string_view s, std::string* out) {
  if (s.empty()) return;
  if (core::IsValidUtf8(s)) {
    PutBytes(field, s, out);
  } else {
    PutBytes(field, core::SanitizeUtf8(s), out);
  }
}

void PutLabelPair(std::string_view name, std::string_view value, std::string* out) {
  std::string pair;
  PutString(1, name, &pair);
  PutString(2, value, &pair);
  PutBytes(3, pair, out);
}

std::string Entry(const model::MinedLogRecord& r) {
  std::string entry;
  const core::TimeNs t = std::max<core::TimeNs>(0, r.time_ns);
  const uint64_t seconds = static_cast<uint64_t>(t / core::kNsPerSecond);
  const uint64_t nanos = static_cast<uint64_t>(t % core::kNsPerSecond);
  std::string timestamp;
  if (seconds != 0) {
    PutTag(1, 0, &timestamp);
    PutVarint(seconds, &timestamp);
  }
  if (nanos != 0) {
    PutTag(2, 0, &timestamp);
    PutVarint(nanos, &timestamp);
  }
  PutBytes(1, timestamp, &entry);  // a set message field is written even when empty
  PutString(2, r.body, &entry);
  if (!model::IsZeroId(r.trace_id)) PutLabelPair("trace_id", model::IdToHex(r.trace_id), &entry);
  if (!model::IsZeroId(r.span_id)) PutLabelPair("span_id", model::IdToHex(r.span_id), &entry);
  return entry;
}

// A stream: the records of one (service, severity, template).
struct StreamKey {
  std::string_view service;
  model::Severity severity;
  uint32_t template_id;
  bool operator==(const StreamKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const StreamKey& k) {
    return H::combine(std::move(h), k.service, k.severity, k.template_id);
  }
};

}  // namespace

std::string LokiLabelString(std::span<const std::pair<std::string_view, std::string_view>> labels) {
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ", ";
    first = false;
    out += name;
    out += "=\"";
    for (char c : value) {
      if (c == '\\' || c == '"') {
        out += '\\';
        out += c;
      } else if (c == '\n') {
        out += "\\n";
      } else {
        out += c;
      }
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::string EncodeLokiPush(std::span<const model::MinedLogRecord* const> records) {
  struct Stream {
    const model::MinedLogRecord* first;
    std::vector<const model::MinedLogRecord*> entries;
  };
  absl::flat_hash_map<StreamKey, size_t> index;
  std::vector<Stream> streams;
  for (const model::MinedLogRecord* r : records) {
    auto [it, added] =
        index.try_emplace(StreamKey{r->service, r->severity, r->template_id}, streams.size());
    if (added) streams.push_back(Stream{r, {}});
    streams[it->second].entries.push_back(r);
  }
  std::string out;
  std::string stream_bytes;
  for (Stream& s : streams) {
    std::stable_sort(s.entries.begin(), s.entries.end(),
                     [](const auto* a, const auto* b) { return a->time_ns < b->time_ns; });
    const std::string template_id = std::to_string(s.first->template_id);
    const std::pair<std::string_view, std::string_view> labels[] = {
        {"service_name", s.first->service},
        {"severity", model::SeverityName(s.first->severity)},
        {"template", template_id}};
    stream_bytes.clear();
    PutString(1, LokiLabelString(labels), &stream_bytes);
    for (const model::MinedLogRecord* r : s.entries) PutBytes(2, Entry(*r), &stream_bytes);
    PutBytes(1, stream_bytes, &out);
  }
  return out;
}

}  // namespace augur::exporter
