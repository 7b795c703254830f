#include "sim/trace_wire_encoder.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "sim/fault.h"
#include "sim/otlp_request_builder.h"
#include "sim/trace_generator.h"

namespace augur::sim {
namespace {

constexpr core::TimeNs kStart = 1'767'787'200LL * core::kNsPerSecond;

// The fast encoder and the message builder agree byte for byte, errors and all span kinds
// included.
TEST(TraceWireEncoderTest, MatchesTheProtobufSerializer) {
  FleetOptions options;
  options.services = 120;
  const Fleet fleet = *Fleet::Build(options);
  const OtlpResources resources(fleet);
  // Errors everywhere in the product catalog, to have status messages in the payload.
  const FaultSchedule faults = *FaultSchedule::Create(
      fleet, {std::make_shared<ErrorBurstFault>("product-catalog", kStart,
                                                kStart + 3600 * core::kNsPerSecond, 0.5)});
  TraceGenerator generator(&fleet, &faults, 1);
  TraceWireEncoder encoder(&resources);
  TraceRequestBuilder builder(&resources);
  int requests = 0, errors = 0;
  for (int i = 0; i < 400; ++i) {
    TelemetryBuffer buffer;
    generator.Generate(kStart + i * core::kNsPerMillisecond, 1.0, buffer);
    for (const SimSpan& span : buffer.spans) {
      errors += span.error;
      encoder.Add(buffer, span);
      builder.Add(buffer, span);
      if (encoder.size() == 300) {
        ASSERT_EQ(builder.size(), 300u);
        ASSERT_EQ(encoder.Finish(), builder.Take().message->SerializeAsString());
        ++requests;
      }
    }
  }
  EXPECT_GT(requests, 10);
  EXPECT_GT(errors, 10);
}

}  // namespace
}  // namespace augur::sim
