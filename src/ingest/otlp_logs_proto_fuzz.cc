// libFuzzer target: DecodeLogsProto on arbitrary bytes (OTLP protobuf), checking the batch it
// produces. Seeds: testdata/fuzz/otlp_logs_proto_fuzz/. Run all targets with scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>

#include "ingest/otlp_decoder.h"
#include "ingest/otlp_fuzz_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  augur::ingest::fuzz::DecodeAndCheck<augur::model::LogBatch>(
      data, size, augur::ingest::DecodeLogsProto, augur::ingest::fuzz::CheckLogs);
  return 0;
}
