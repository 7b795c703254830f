#include "ingest/otlp_ingester.h"

#include <fmt/format.h>

namespace augur::ingest {

std::string_view SignalName(Signal signal) {
  switch (signal) {
    case Signal::kTraces:
      return "traces";
    case Signal::kMetrics:
      return "metrics";
    case Signal::kLogs:
      return "logs";
  }
  return "";
}

std::string_view SignalItemName(Signal signal) {
  switch (signal) {
    case Signal::kTraces:
      return "spans";
    case Signal::kMetrics:
      return "data points";
    case Signal::kLogs:
      return "log records";
  }
  return "";
}

absl::Status OtlpReceiverConfig::Validate() const {
  if (max_request_bytes < 1024) {
    return absl::InvalidArgumentError("limits.max_request_bytes must be at least 1024");
  }
  if (limits.max_items < 1)
    return absl::InvalidArgumentError("limits.max_items_per_request must be at least 1");
  if (limits.max_attributes_per_item < 1) {
    return absl::InvalidArgumentError("limits.max_attributes_per_item must be at least 1");
  }
  if (limits.max_attribute_value_bytes < 16) {
    return absl::InvalidArgumentError("limits.max_attribute_value_bytes must be at least 16");
  }
  if (retry_after_s < 1) return absl::InvalidArgumentError("receivers.retry_after must be >= 1s");
  return absl::OkStatus();
}

OtlpIngester::OtlpIngester(OtlpReceiverConfig config, bus::Bus* bus, core::SelfMetrics* metrics)
    : config_(config), bus_(bus), metrics_(metrics) {
  for (Signal s : {Signal::kTraces, Signal::kMetrics, Signal::kLogs}) {
    core::OwnedLabels labels = {{"signal", std::string(SignalName(s))}};
    counters_[static_cast<int>(s)] = SignalCounters{
        metrics->GetCounter("augur_ingest_items_received",
                            "Spans, data points and log records decoded from requests.", labels),
        metrics->GetCounter("augur_ingest_items_accepted",
                            "Items enqueued into the pipeline and acknowledged.", labels),
        metrics->GetCounter("augur_ingest_items_rejected",
                            "Items rejected as invalid (partial success).", labels),
        metrics->GetCounter("augur_ingest_items_refused",
                            "Items refused because the pipeline was full; the client retries.",
                            labels),
    };
  }
  static constexpr std::array<std::string_view, kOutcomeCount> kOutcomes = {
      "ok", "partial", "invalid", "refused", "too_large", "unsupported"};
  for (Protocol p : {Protocol::kHttp, Protocol::kGrpc, Protocol::kLoki}) {
    for (Signal s : {Signal::kTraces, Signal::kMetrics, Signal::kLogs}) {
      if (p == Protocol::kLoki && s != Signal::kLogs) continue;
      for (int o = 0; o < kOutcomeCount; ++o) {
        requests_[static_cast<int>(p)][static_cast<int>(s)][o] = metrics->GetCounter(
            "augur_ingest_requests", "Export requests by protocol, signal and outcome.",
            {{"protocol", p == Protocol::kHttp   ? "http"
                          : p == Protocol::kGrpc ? "grpc"
                                                 : "loki"},
             {"signal", std::string(SignalName(s))},
             {"outcome", std::string(kOutcomes[o])}});
      }
    }
  }
  truncated_attributes_ = metrics->GetCounter(
      "augur_ingest_attributes_truncated",
      "Attributes dropped because an item had more than limits.max_attributes_per_item.");
  truncated_values_ = metrics->GetCounter(
      "augur_ingest_values_truncated",
      "Attribute values and log bodies cut to limits.max_attribute_value_bytes.");
}

void OtlpIngester::CountRequest(Protocol protocol, Signal signal, Outcome outcome) {
  requests_[static_cast<int>(protocol)][static_cast<int>(signal)][static_cast<int>(outcome)]->Add();
}

template <typename Batch, typename Decode>
IngestOutcome OtlpIngester::Run(Signal signal, Decode decode, std::string_view bytes,
                                std::shared_ptr<const void> owner, Protocol protocol) {
  IngestOutcome out;
  auto batch = std::make_shared<Batch>();
  DecodeResult result;
  absl::Status decoded = decode(bytes, config_.limits, batch.get(), &result);
  if (!decoded.ok()) {
    CountRequest(protocol, signal,
                 decoded.code() == absl::StatusCode::kResourceExhausted ? Outcome::kTooLarge
                                                                        : Outcome::kInvalid);
    out.status = std::move(decoded);
    return out;
  }
  batch->storage.Retain(std::move(owner));
  SignalCounters& c = counters_[static_cast<int>(signal)];
  c.received->Add(result.accepted + result.rejected);
  if (result.rejected > 0) c.rejected->Add(result.rejected);
  if (result.truncated_attributes > 0) truncated_attributes_->Add(result.truncated_attributes);
  if (result.truncated_values > 0) truncated_values_->Add(result.truncated_values);

  absl::Status published = absl::OkStatus();
  if constexpr (std::is_same_v<Batch, model::SpanBatch>) {
    published = bus_->PublishSpans(std::move(batch));
  } else if constexpr (std::is_same_v<Batch, model::MetricBatch>) {
    published = bus_->PublishMetrics(std::move(batch));
  } else {
    published = bus_->PublishLogs(std::move(batch));
  }
  if (!published.ok()) {
    c.refused->Add(result.accepted);
    CountRequest(protocol, signal, Outcome::kRefused);
    out.status = std::move(published);
    return out;
  }
  c.accepted->Add(result.accepted);
  CountRequest(protocol, signal, result.rejected > 0 ? Outcome::kPartial : Outcome::kOk);
  out.accepted = result.accepted;
  out.rejected = result.rejected;
  if (result.rejected > 0) {
    out.error_message =
        fmt::format("{} of {} {} rejected: {}", result.rejected, result.accepted + result.rejected,
                    SignalItemName(signal), result.first_error);
  }
  return out;
}

IngestOutcome OtlpIngester::Ingest(Signal signal, Encoding encoding, std::string_view bytes,
                                   std::shared_ptr<const void> owner, Protocol protocol) {
  const bool json = encoding == Encoding::kJson;
  switch (signal) {
    case Signal::kTraces:
      return Run<model::SpanBatch>(signal, json ? DecodeTracesJson : DecodeTracesProto, bytes,
                                   std::move(owner), protocol);
    case Signal::kMetrics:
      return Run<model::MetricBatch>(signal, json ? DecodeMetricsJson : DecodeMetricsProto, bytes,
                                     std::move(owner), protocol);
    case Signal::kLogs:
      return Run<model::LogBatch>(signal, json ? DecodeLogsJson : DecodeLogsProto, bytes,
                                  std::move(owner), protocol);
  }
  return IngestOutcome{.status = absl::InternalError("unknown signal")};
}

IngestOutcome OtlpIngester::IngestLogs(LogDecoder decode, std::string_view bytes,
                                       std::shared_ptr<const void> owner, Protocol protocol) {
  return Run<model::LogBatch>(Signal::kLogs, decode, bytes, std::move(owner), protocol);
}

}  // namespace augur::ingest
