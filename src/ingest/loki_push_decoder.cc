#include "ingest/loki_push_decoder.h"

#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>

#include <fmt/format.h>
#include <simdjson.h>

#include "core/utf8.h"
#include "ingest/decode_common.h"
#include "ingest/proto_wire.h"

namespace augur::ingest {
namespace {

using internal::FieldSet;
using internal::MakeTag;
using internal::WireCursor;
using internal::WireReader;

// Labels that name the service, in order of precedence.
constexpr std::array<std::string_view, 4> kServiceLabels = {"service_name", "service", "app",
                                                            "job"};
// Loki's own words (validation.MissingLabelsErrorMsg): a stream without labels is refused.
constexpr std::string_view kMissingLabels = "at least one label pair is required per stream";
// Labels and metadata that carry the level.
constexpr std::array<std::string_view, 3> kLevelLabels = {"level", "severity", "detected_level"};

bool IsLevelLabel(std::string_view name) {
  for (std::string_view l : kLevelLabels) {
    if (name == l) return true;
  }
  return false;
}

bool IsLabelNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsLabelNameChar(char c) { return IsLabelNameStart(c) || (c >= '0' && c <= '9'); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Builds the batch: one resource per stream, one record per entry. Shared by both decoders.
class Builder {
 public:
  Builder(const DecodeLimits& limits, model::LogBatch* batch, DecodeResult* result)
      : limits_(limits), batch_(batch), result_(result) {}

  // Starts a stream with `labels` (owned copies are kept in the batch).
  void BeginStream(const std::vector<std::pair<std::string, std::string>>& labels) {
    model::Resource& r = batch_->resources.emplace_back();
    r.attributes.begin = static_cast<uint32_t>(batch_->attributes.size());
    stream_level_ = {};
    std::array<std::string_view, kServiceLabels.size()> service{};
    for (const auto& [name, value] : labels) {
      if (r.attributes.count >= limits_.max_attributes_per_item) {
        ++result_->truncated_attributes;
        continue;
      }
      std::string_view key = Own(name);
      std::string_view val = OwnValue(value);
      batch_->attributes.push_back(model::KeyValue{key, StringValue(val)});
      ++r.attributes.count;
      for (size_t i = 0; i < kServiceLabels.size(); ++i) {
        if (key == kServiceLabels[i] && service[i].empty()) service[i] = val;
      }
      if (stream_level_.empty() && IsLevelLabel(key)) stream_level_ = val;
    }
    for (std::string_view s : service) {
      if (!s.empty()) {
        r.service_name = s;
        break;
      }
    }
  }

  // Adds an entry of the current stream. `metadata` are (name, value) pairs as sent.
  absl::Status AddEntry(core::TimeNs t, std::string_view line,
                        std::span<const std::pair<std::string_view, std::string_view>> metadata) {
    if (batch_->records.size() >= limits_.max_items) {
      return absl::ResourceExhaustedError(fmt::format(
          "push has more than {} entries (limits.max_items_per_request)", limits_.max_items));
    }
    model::LogRecord& rec = batch_->records.emplace_back();
    rec.resource_index = static_cast<uint32_t>(batch_->resources.size() - 1);
    rec.time_ns = t;
    rec.body = StringValue(OwnLine(line));
    rec.attributes.begin = static_cast<uint32_t>(batch_->attributes.size());
    std::string_view level = stream_level_;
    bool metadata_level = false;
    for (const auto& [name, value] : metadata) {
      if (rec.attributes.count >= limits_.max_attributes_per_item) {
        ++result_->truncated_attributes;
        continue;
      }
      std::string_view key = OwnView(name);
      std::string_view val = OwnValue(value);
      batch_->attributes.push_back(model::KeyValue{key, StringValue(val)});
      ++rec.attributes.count;
      if (!metadata_level && IsLevelLabel(key)) {
        level = val;
        metadata_level = true;
      }
      if (key == "trace_id" || key == "traceID" || key == "traceId") {
        if (!model::IdFromHex(val, &rec.trace_id)) rec.trace_id = {};
      } else if (key == "span_id" || key == "spanID" || key == "spanId") {
        if (!model::IdFromHex(val, &rec.span_id)) rec.span_id = {};
      }
    }
    if (!level.empty()) {
      rec.severity_text = level;
      rec.severity_number = model::SeverityNumberOf(model::SeverityFromText(level));
    }
    ++result_->accepted;
    return absl::OkStatus();
  }

 private:
  static model::AnyValue StringValue(std::string_view s) {
    model::AnyValue v;
    v.type = model::ValueType::kString;
    v.str = s;
    return v;
  }
  // An owned copy, valid UTF-8.
  std::string_view Own(std::string_view s) {
    if (core::IsValidUtf8(s)) return batch_->storage.Copy(s);
    return batch_->storage.Adopt(core::SanitizeUtf8(s));
  }
  // A view that lives as long as the batch: `s` itself when it is valid UTF-8 (it points into the
  // request, which the batch retains), else a sanitised copy.
  std::string_view OwnView(std::string_view s) {
    if (internal::IsValidUtf8Fast(s)) return s;
    return batch_->storage.Adopt(core::SanitizeUtf8(s));
  }
  std::string_view OwnValue(std::string_view s) {
    return internal::LimitString(OwnView(s), limits_.max_attribute_value_bytes, result_);
  }
  std::string_view OwnValue(const std::string& s) {
    return internal::LimitString(Own(s), limits_.max_attribute_value_bytes, result_);
  }
  std::string_view OwnLine(std::string_view line) {
    // Cut before sanitising, so a 1 MB line costs a bounded copy at most.
    const size_t cap = static_cast<size_t>(limits_.max_attribute_value_bytes) + 4;
    if (line.size() > cap) line = line.substr(0, cap);
    return OwnValue(line);
  }

  const DecodeLimits& limits_;
  model::LogBatch* batch_;
  DecodeResult* result_;
  std::string_view stream_level_;
};

// Parses a Timestamp message into nanoseconds since the epoch.
bool ParseTimestamp(WireReader* reader, WireCursor c, core::TimeNs* out, std::string* error) {
  uint64_t seconds = 0, nanos = 0;
  while (!c.Done()) {
    uint64_t tag;
    const uint8_t* tag_at = c.p;
    if (!reader->ReadTag(&c, &tag)) return false;
    switch (tag) {
      case MakeTag(1, internal::kVarint):
        if (!reader->ReadVarint(&c, &seconds)) return reader->Unwind("seconds");
        break;
      case MakeTag(2, internal::kVarint):
        if (!reader->ReadVarint(&c, &nanos)) return reader->Unwind("nanos");
        break;
      default:
        if (!reader->SkipField(&c, tag, FieldSet({1, 2}), tag_at)) return false;
    }
  }
  const auto s = static_cast<int64_t>(seconds);
  const auto n = static_cast<int64_t>(static_cast<int32_t>(static_cast<uint32_t>(nanos)));
  constexpr int64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / core::kNsPerSecond - 1;
  if (s < 0 || s > kMaxSeconds || n < 0 || n >= core::kNsPerSecond) {
    *error = fmt::format("timestamp {}s {}ns is out of range", s, n);
    return true;
  }
  *out = s * core::kNsPerSecond + n;
  return true;
}

class ProtoDecoder {
 public:
  ProtoDecoder(std::string_view bytes, const DecodeLimits& limits, model::LogBatch* batch,
               DecodeResult* result)
      : reader_(bytes), builder_(limits, batch, result) {}

  absl::Status Decode() {
    WireCursor c = reader_.Whole();
    int64_t stream = 0;
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at = c.p;
      if (!reader_.ReadTag(&c, &tag)) return reader_.Error();
      if (tag == MakeTag(1, internal::kLen)) {
        WireCursor field;
        if (!reader_.ReadLen(&c, &field)) {
          reader_.Unwind("streams", stream);
          return reader_.Error();
        }
        absl::Status s = Stream(field, stream);
        if (!s.ok()) return s;
        ++stream;
      } else if (!reader_.SkipField(&c, tag, FieldSet({1}), tag_at)) {
        return reader_.Error();
      }
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Stream(WireCursor c, int64_t index) {
    std::string_view labels;
    entries_.clear();
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at = c.p;
      if (!reader_.ReadTag(&c, &tag)) return Fail(index);
      WireCursor field;
      switch (tag) {
        case MakeTag(1, internal::kLen):
          if (!reader_.ReadLen(&c, &labels)) {
            reader_.Unwind("labels");
            return Fail(index);
          }
          break;
        case MakeTag(2, internal::kLen):
          if (!reader_.ReadLen(&c, &field)) {
            reader_.Unwind("entries", static_cast<int64_t>(entries_.size()));
            return Fail(index);
          }
          entries_.push_back(field);
          break;
        case MakeTag(3, internal::kVarint): {
          uint64_t hash;
          if (!reader_.ReadVarint(&c, &hash)) {
            reader_.Unwind("hash");
            return Fail(index);
          }
          break;
        }
        default:
          if (!reader_.SkipField(&c, tag, FieldSet({1, 2, 3}), tag_at)) return Fail(index);
      }
    }
    std::vector<std::pair<std::string, std::string>> parsed;
    std::string sanitized;
    std::string_view text = labels;
    if (!core::IsValidUtf8(text)) {
      sanitized = core::SanitizeUtf8(text);
      text = sanitized;
    }
    if (text.find_first_not_of(" \t\n") == std::string_view::npos) {
      return absl::InvalidArgumentError(
          fmt::format("streams[{}].labels: missing; {}", index, kMissingLabels));
    }
    if (absl::Status s = ParseLokiLabels(text, &parsed); !s.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("streams[{}].labels: {}", index, std::string(s.message())));
    }
    if (parsed.empty()) {
      return absl::InvalidArgumentError(fmt::format("streams[{}].labels: '{}' has no labels; {}",
                                                    index, core::TruncateUtf8(text, 200),
                                                    kMissingLabels));
    }
    builder_.BeginStream(parsed);
    for (size_t e = 0; e < entries_.size(); ++e) {
      absl::Status s = Entry(entries_[e], index, static_cast<int64_t>(e));
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status Entry(WireCursor c, int64_t stream, int64_t index) {
    core::TimeNs t = 0;
    std::string_view line;
    std::string time_error;
    metadata_.clear();
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at = c.p;
      if (!reader_.ReadTag(&c, &tag)) return FailEntry(stream, index);
      WireCursor field;
      switch (tag) {
        case MakeTag(1, internal::kLen):
          if (!reader_.ReadLen(&c, &field) || !ParseTimestamp(&reader_, field, &t, &time_error)) {
            reader_.Unwind("timestamp");
            return FailEntry(stream, index);
          }
          break;
        case MakeTag(2, internal::kLen):
          if (!reader_.ReadLen(&c, &line)) {
            reader_.Unwind("line");
            return FailEntry(stream, index);
          }
          break;
        case MakeTag(3, internal::kLen): {
          if (!reader_.ReadLen(&c, &field) || !LabelPair(field)) {
            reader_.Unwind("structuredMetadata", static_cast<int64_t>(metadata_.size()));
            return FailEntry(stream, index);
          }
          break;
        }
        default:
          if (!reader_.SkipField(&c, tag, FieldSet({1, 2, 3}), tag_at)) {
            return FailEntry(stream, index);
          }
      }
    }
    if (!time_error.empty()) {
      return absl::InvalidArgumentError(
          fmt::format("streams[{}].entries[{}].timestamp: {}", stream, index, time_error));
    }
    return builder_.AddEntry(t, line, metadata_);
  }

  bool LabelPair(WireCursor c) {
    std::string_view name, value;
    while (!c.Done()) {
      uint64_t tag;
      const uint8_t* tag_at = c.p;
      if (!reader_.ReadTag(&c, &tag)) return false;
      switch (tag) {
        case MakeTag(1, internal::kLen):
          if (!reader_.ReadLen(&c, &name)) return reader_.Unwind("name");
          break;
        case MakeTag(2, internal::kLen):
          if (!reader_.ReadLen(&c, &value)) return reader_.Unwind("value");
          break;
        default:
          if (!reader_.SkipField(&c, tag, FieldSet({1, 2}), tag_at)) return false;
      }
    }
    metadata_.emplace_back(name, value);
    return true;
  }

  absl::Status Fail(int64_t stream) {
    reader_.Unwind("streams", stream);
    return reader_.Error();
  }
  absl::Status FailEntry(int64_t stream, int64_t entry) {
    reader_.Unwind("entries", entry);
    return Fail(stream);
  }

  WireReader reader_;
  Builder builder_;
  std::vector<WireCursor> entries_;
  std::vector<std::pair<std::string_view, std::string_view>> metadata_;
};

// A Unix nanosecond integer as Loki's JSON carries it: a string of digits (a number is accepted
// too).
bool ParseNanos(simdjson::dom::element e, core::TimeNs* out) {
  if (e.is_uint64()) {
    uint64_t v = e.get_uint64().value_unsafe();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    *out = static_cast<core::TimeNs>(v);
    return true;
  }
  if (e.is_int64()) {
    int64_t v = e.get_int64().value_unsafe();
    if (v < 0) return false;
    *out = v;
    return true;
  }
  std::string_view s;
  if (e.get_string().get(s) != simdjson::SUCCESS || s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
  *out = static_cast<core::TimeNs>(v);
  return true;
}

std::string_view JsonType(simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::ARRAY:
      return "an array";
    case simdjson::dom::element_type::OBJECT:
      return "an object";
    case simdjson::dom::element_type::STRING:
      return "a string";
    case simdjson::dom::element_type::NULL_VALUE:
      return "null";
    case simdjson::dom::element_type::BOOL:
      return "a boolean";
    default:
      return "a number";
  }
}

absl::Status JsonStreams(simdjson::dom::element root, Builder* builder) {
  using simdjson::dom::array;
  using simdjson::dom::element;
  using simdjson::dom::object;
  object top;
  if (root.get_object().get(top) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        fmt::format("expected an object with \"streams\", got {}", JsonType(root)));
  }
  element streams_el;
  if (top["streams"].get(streams_el) != simdjson::SUCCESS || streams_el.is_null()) {
    return absl::OkStatus();  // nothing to push
  }
  array streams;
  if (streams_el.get_array().get(streams) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        fmt::format("streams: expected an array, got {}", JsonType(streams_el)));
  }
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::pair<std::string_view, std::string_view>> metadata;
  size_t si = 0;
  for (element stream_el : streams) {
    object stream;
    if (stream_el.get_object().get(stream) != simdjson::SUCCESS) {
      return absl::InvalidArgumentError(
          fmt::format("streams[{}]: expected an object, got {}", si, JsonType(stream_el)));
    }
    labels.clear();
    element labels_el;
    if (stream["stream"].get(labels_el) != simdjson::SUCCESS || labels_el.is_null()) {
      return absl::InvalidArgumentError(
          fmt::format("streams[{}].stream: missing; {}", si, kMissingLabels));
    }
    object labels_obj;
    if (labels_el.get_object().get(labels_obj) != simdjson::SUCCESS) {
      return absl::InvalidArgumentError(fmt::format(
          "streams[{}].stream: expected an object of labels, got {}", si, JsonType(labels_el)));
    }
    for (auto [key, value] : labels_obj) {
      std::string_view v;
      if (value.get_string().get(v) != simdjson::SUCCESS) {
        return absl::InvalidArgumentError(
            fmt::format("streams[{}].stream.{}: expected a string, got {}", si,
                        std::string_view(key), JsonType(value)));
      }
      labels.emplace_back(std::string(key), std::string(v));
    }
    if (labels.empty()) {
      return absl::InvalidArgumentError(
          fmt::format("streams[{}].stream: no labels; {}", si, kMissingLabels));
    }
    builder->BeginStream(labels);
    element values_el;
    if (stream["values"].get(values_el) != simdjson::SUCCESS || values_el.is_null()) {
      ++si;
      continue;
    }
    array values;
    if (values_el.get_array().get(values) != simdjson::SUCCESS) {
      return absl::InvalidArgumentError(
          fmt::format("streams[{}].values: expected an array, got {}", si, JsonType(values_el)));
    }
    size_t vi = 0;
    for (element entry_el : values) {
      array entry;
      if (entry_el.get_array().get(entry) != simdjson::SUCCESS || entry.size() < 2 ||
          entry.size() > 3) {
        return absl::InvalidArgumentError(fmt::format(
            "streams[{}].values[{}]: expected [\"<unix ns>\", \"line\"] or [\"<unix ns>\", "
            "\"line\", {{metadata}}]",
            si, vi));
      }
      core::TimeNs t = 0;
      if (!ParseNanos(entry.at(0).value_unsafe(), &t)) {
        return absl::InvalidArgumentError(fmt::format(
            "streams[{}].values[{}][0]: the timestamp must be a string of Unix nanoseconds, "
            "got {}",
            si, vi, simdjson::minify(entry.at(0).value_unsafe())));
      }
      std::string_view line;
      if (entry.at(1).get_string().get(line) != simdjson::SUCCESS) {
        return absl::InvalidArgumentError(
            fmt::format("streams[{}].values[{}][1]: the line must be a string, got {}", si, vi,
                        JsonType(entry.at(1).value_unsafe())));
      }
      metadata.clear();
      if (entry.size() == 3) {
        object meta;
        if (entry.at(2).get_object().get(meta) != simdjson::SUCCESS) {
          return absl::InvalidArgumentError(fmt::format(
              "streams[{}].values[{}][2]: structured metadata must be an object", si, vi));
        }
        for (auto [key, value] : meta) {
          std::string_view v;
          if (value.get_string().get(v) != simdjson::SUCCESS) {
            return absl::InvalidArgumentError(
                fmt::format("streams[{}].values[{}][2].{}: expected a string, got {}", si, vi,
                            std::string_view(key), JsonType(value)));
          }
          metadata.emplace_back(std::string_view(key), v);
        }
      }
      if (absl::Status s = builder->AddEntry(t, line, metadata); !s.ok()) return s;
      ++vi;
    }
    ++si;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseLokiLabels(std::string_view text,
                             std::vector<std::pair<std::string, std::string>>* labels) {
  labels->clear();
  size_t i = 0;
  auto fail = [&](std::string_view what) {
    return absl::InvalidArgumentError(
        fmt::format("{} at offset {} in '{}' (expected {{name=\"value\", ...}})", what, i,
                    core::TruncateUtf8(text, 200)));
  };
  auto skip_space = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n')) ++i;
  };
  skip_space();
  if (i >= text.size() || text[i] != '{') return fail("missing '{'");
  ++i;
  skip_space();
  if (i < text.size() && text[i] == '}') {
    ++i;
    skip_space();
    return i == text.size() ? absl::OkStatus() : fail("unexpected text after '}'");
  }
  while (true) {
    skip_space();
    const size_t name_start = i;
    if (i >= text.size() || !IsLabelNameStart(text[i])) return fail("expected a label name");
    while (i < text.size() && IsLabelNameChar(text[i])) ++i;
    std::string name(text.substr(name_start, i - name_start));
    skip_space();
    if (i >= text.size() || text[i] != '=') return fail("expected '=' after the label name");
    ++i;
    if (i < text.size() && (text[i] == '~' || text[i] == '=')) {
      return fail("only '=' matchers may name a stream");
    }
    skip_space();
    if (i >= text.size() || text[i] != '"') return fail("expected a quoted label value");
    ++i;
    std::string value;
    while (true) {
      if (i >= text.size()) return fail("unterminated label value");
      const char c = text[i];
      if (c == '"') {
        ++i;
        break;
      }
      if (c != '\\') {
        value.push_back(c);
        ++i;
        continue;
      }
      if (i + 1 >= text.size()) return fail("unterminated escape");
      const char e = text[i + 1];
      i += 2;
      switch (e) {
        case '"':
        case '\\':
        case '\'':
          value.push_back(e);
          break;
        case 'n':
          value.push_back('\n');
          break;
        case 't':
          value.push_back('\t');
          break;
        case 'r':
          value.push_back('\r');
          break;
        case 'u': {
          if (i + 4 > text.size()) return fail("truncated \\u escape");
          uint32_t cp = 0;
          for (int k = 0; k < 4; ++k) {
            int h = HexValue(text[i + k]);
            if (h < 0) return fail("bad \\u escape");
            cp = cp << 4 | static_cast<uint32_t>(h);
          }
          i += 4;
          if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
          core::AppendUtf8(cp, &value);
          break;
        }
        default:
          i -= 1;
          return fail("unknown escape");
      }
    }
    labels->emplace_back(std::move(name), std::move(value));
    skip_space();
    if (i < text.size() && text[i] == ',') {
      ++i;
      continue;
    }
    if (i < text.size() && text[i] == '}') {
      ++i;
      skip_space();
      return i == text.size() ? absl::OkStatus() : fail("unexpected text after '}'");
    }
    return fail("expected ',' or '}'");
  }
}

absl::Status DecodeLokiPushProto(std::string_view bytes, const DecodeLimits& limits,
                                 model::LogBatch* batch, DecodeResult* result) {
  *result = DecodeResult();
  ProtoDecoder decoder(bytes, limits, batch, result);
  return decoder.Decode();
}

absl::Status DecodeLokiPushJson(std::string_view json, const DecodeLimits& limits,
                                model::LogBatch* batch, DecodeResult* result) {
  *result = DecodeResult();
  if (json.find_first_not_of(" \t\r\n") == std::string_view::npos) return absl::OkStatus();
  auto parser = std::make_shared<simdjson::dom::parser>();
  simdjson::dom::element root;
  simdjson::error_code error = parser->parse(json.data(), json.size()).get(root);
  if (error != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        fmt::format("invalid JSON: {}", simdjson::error_message(error)));
  }
  batch->storage.Retain(parser);
  Builder builder(limits, batch, result);
  return JsonStreams(root, &builder);
}

}  // namespace augur::ingest
