// libFuzzer target: DecodeLokiPushProto on arbitrary bytes (a logproto.PushRequest (after snappy)),
// checking the batch it produces like the OTLP log targets do. Seeds:
// testdata/fuzz/loki_push_proto_fuzz/. Run all targets with scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>

#include "ingest/loki_push_decoder.h"
#include "ingest/otlp_fuzz_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace augur::ingest;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (const DecodeLimits& limits : {DecodeLimits(), fuzz::SmallLimits()}) {
    augur::model::LogBatch batch;
    DecodeResult result;
    absl::Status status = DecodeLokiPushProto(bytes, limits, &batch, &result);
    if (status.ok()) {
      fuzz::CheckLogs(batch, result, limits);
    } else {
      // Malformed (InvalidArgument) or more entries than allowed (ResourceExhausted).
      fuzz::Check(status.code() == absl::StatusCode::kInvalidArgument ||
                  status.code() == absl::StatusCode::kResourceExhausted);
      fuzz::Check(!status.message().empty());
    }
  }
  return 0;
}
