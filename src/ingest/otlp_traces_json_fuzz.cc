// libFuzzer target: DecodeTracesJson on arbitrary bytes (OTLP/JSON), checking the batch it
// produces. Seeds: testdata/fuzz/otlp_traces_json_fuzz/. Run all targets with scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>

#include "ingest/otlp_decoder.h"
#include "ingest/otlp_fuzz_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  augur::ingest::fuzz::DecodeAndCheck<augur::model::SpanBatch>(
      data, size, augur::ingest::DecodeTracesJson, augur::ingest::fuzz::CheckSpans);
  return 0;
}
