// Writes the seed corpora of the OTLP decoder fuzz targets: a few small requests per target that
// between them use every message, field and value type, as protobuf and as OTLP/JSON.
//
//   build/src/ingest/augur_otlp_fuzz_seeds testdata/fuzz
//
// writes testdata/fuzz/otlp_{traces,metrics,logs}_{proto,json}_fuzz/seed_*. Run once; the files
// are checked in (inputs that once crashed a fuzzer are added beside them).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "ingest/otlp_test_payloads.h"

namespace augur::ingest {
namespace {

namespace common = opentelemetry::proto::common::v1;
namespace otlp_trace = opentelemetry::proto::trace::v1;
namespace otlp_metrics = opentelemetry::proto::metrics::v1;

void Write(const std::filesystem::path& dir, const std::string& name, const std::string& bytes) {
  std::filesystem::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary);
  out << bytes;
  std::printf("%s %zu bytes\n", (dir / name).c_str(), bytes.size());
}

common::AnyValue* Attr(google::protobuf::RepeatedPtrField<common::KeyValue>* attrs,
                       std::string key) {
  common::KeyValue* kv = attrs->Add();
  kv->set_key(std::move(key));
  return kv->mutable_value();
}

opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest EveryValueSpan() {
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest request;
  otlp_trace::ResourceSpans* rs = request.add_resource_spans();
  Attr(rs->mutable_resource()->mutable_attributes(), "service.name")->set_string_value("svc");
  Attr(rs->mutable_resource()->mutable_attributes(), "service.version")->set_string_value("1");
  otlp_trace::ScopeSpans* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("scope");
  otlp_trace::Span* span = ss->add_spans();
  span->set_trace_id(
      std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"));
  span->set_span_id(std::string("\x11\x12\x13\x14\x15\x16\x17\x18"));
  span->set_parent_span_id(std::string("\x21\x22\x23\x24\x25\x26\x27\x28"));
  span->set_name("op é");
  span->set_kind(otlp_trace::Span::SPAN_KIND_SERVER);
  span->set_start_time_unix_nano(1000);
  span->set_end_time_unix_nano(2000);
  span->set_flags(1);
  auto* attrs = span->mutable_attributes();
  Attr(attrs, "s")->set_string_value("text");
  Attr(attrs, "b")->set_bool_value(true);
  Attr(attrs, "i")->set_int_value(-1);
  Attr(attrs, "d")->set_double_value(NAN);
  Attr(attrs, "y")->set_bytes_value("\x00\xff");
  common::AnyValue* array = Attr(attrs, "a");
  array->mutable_array_value()->add_values()->set_int_value(1);
  array->mutable_array_value()->add_values()->mutable_array_value()->add_values();
  common::KeyValue* kv = Attr(attrs, "m")->mutable_kvlist_value()->add_values();
  kv->set_key("k");
  kv->mutable_value()->set_string_value("v");
  Attr(attrs, "e");
  otlp_trace::Span::Event* event = span->add_events();
  event->set_name("ev");
  Attr(event->mutable_attributes(), "x")->set_int_value(1);
  otlp_trace::Span::Link* link = span->add_links();
  link->set_trace_id(span->trace_id());
  link->set_span_id(span->parent_span_id());
  span->mutable_status()->set_code(otlp_trace::Status::STATUS_CODE_ERROR);
  span->mutable_status()->set_message("boom");
  // A second span that is rejected (short trace id), for the partial-success paths.
  otlp_trace::Span* bad = ss->add_spans();
  *bad = *span;
  bad->set_trace_id("short");
  bad->clear_events();
  return request;
}

opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest InvalidHistogram() {
  opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest request;
  otlp_metrics::Metric* m = request.add_resource_metrics()->add_scope_metrics()->add_metrics();
  m->set_name("h");
  auto* p = m->mutable_histogram()->add_data_points();
  p->set_time_unix_nano(1);
  p->add_explicit_bounds(2);
  p->add_explicit_bounds(1);
  p->add_bucket_counts(1);
  return request;
}

opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest KvListBody() {
  opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest request;
  auto* record = request.add_resource_logs()->add_scope_logs()->add_log_records();
  common::KeyValue* kv = record->mutable_body()->mutable_kvlist_value()->add_values();
  kv->set_key("msg");
  kv->mutable_value()->mutable_array_value()->add_values()->set_string_value("x");
  record->set_event_name("evt");
  record->set_severity_number(opentelemetry::proto::logs::v1::SEVERITY_NUMBER_WARN);
  return request;
}

void WriteBoth(const std::filesystem::path& root, const std::string& signal,
               const std::string& name, const google::protobuf::Message& request) {
  Write(root / ("otlp_" + signal + "_proto_fuzz"), "seed_" + name + ".bin",
        request.SerializeAsString());
  Write(root / ("otlp_" + signal + "_json_fuzz"), "seed_" + name + ".json", ToOtlpJson(request));
}

}  // namespace
}  // namespace augur::ingest

int main(int argc, char** argv) {
  using namespace augur::ingest;  // NOLINT(google-build-using-namespace): a tiny tool
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <testdata/fuzz>\n", argv[0]);
    return 2;
  }
  const std::filesystem::path root = argv[1];
  WriteBoth(root, "traces", "sample", SampleTraceRequest(2, 3, 1));
  WriteBoth(root, "traces", "every_value", EveryValueSpan());
  Write(root / "otlp_traces_json_fuzz", "seed_snake_case.json",
        ToOtlpJson(SampleTraceRequest(1, 1, 2), /*proto_field_names=*/true));
  WriteBoth(root, "metrics", "every_type", SampleMetricsRequest(1, 1, 1, 1));
  WriteBoth(root, "metrics", "invalid_histogram", InvalidHistogram());
  Write(root / "otlp_metrics_json_fuzz", "seed_snake_case.json",
        ToOtlpJson(SampleMetricsRequest(1, 1, 1, 2), /*proto_field_names=*/true));
  WriteBoth(root, "logs", "sample", SampleLogsRequest(2, 3, 1));
  WriteBoth(root, "logs", "kvlist_body", KvListBody());
  Write(root / "otlp_logs_json_fuzz", "seed_snake_case.json",
        ToOtlpJson(SampleLogsRequest(1, 1, 2), /*proto_field_names=*/true));
  return 0;
}
