#include "detect/series_table.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "absl/functional/function_ref.h"
#include "model/metric_names.h"

namespace augur::detect {
namespace {

constexpr std::string_view kOverflowOperation = "overflow_operation";
constexpr core::TimeNs kNever = INT64_MIN;
// The points of a gauge that decide whether it counts things (IngestedSeries::counting).
constexpr uint32_t kCountingPoints = 60;
// A quiet path has too few requests in one window to judge its error ratio or latency by
// (detection.min_requests): the windows before it not judged yet join it, up to this many in all
// (a minute of 10 s windows; the recent windows still hold them), so its latency is judged every
// few windows instead of never.
constexpr int kPooledWindows = 6;

// Adds to `w` (the window starting at `start`) the windows before it not judged yet while it has
// fewer than `min_requests`; `window_at(t, w)` adds the window starting at t. `judged_until`, the
// last window whose requests were judged, moves to `start` when these are.
void Pool(core::TimeNs start, core::TimeNs window_ns, uint64_t min_requests,
          core::TimeNs* judged_until, absl::FunctionRef<void(core::TimeNs, WindowStats*)> window_at,
          WindowStats* w) {
  for (int k = 1; k < kPooledWindows && w->count < min_requests; ++k) {
    const core::TimeNs t = start - k * window_ns;
    if (t <= *judged_until) break;
    window_at(t, w);
  }
  if (w->count >= min_requests) *judged_until = start;
}

std::vector<uint64_t> ZeroBuckets(size_t bounds) { return std::vector<uint64_t>(bounds + 1, 0); }

void AddBuckets(std::vector<uint64_t>* to, const model::BucketCounts& from) {
  for (size_t i = 0; i < to->size(); ++i) (*to)[i] += from[i];
}

bool IsRequestKind(model::SpanKind kind) {
  return kind == model::SpanKind::kServer || kind == model::SpanKind::kConsumer;
}

// Operation keys: the span name and kind, looked up without building a string.
struct OpKeyView {
  std::string_view name;
  model::SpanKind kind;
};
struct OpKey {
  std::string name;
  model::SpanKind kind;
};
struct OpKeyHash {
  using is_transparent = void;
  size_t operator()(const OpKeyView& k) const {
    return absl::HashOf(k.name, static_cast<uint8_t>(k.kind));
  }
  size_t operator()(const OpKey& k) const { return (*this)(OpKeyView{k.name, k.kind}); }
};
struct OpKeyEq {
  using is_transparent = void;
  static OpKeyView View(const OpKey& k) { return {k.name, k.kind}; }
  static OpKeyView View(const OpKeyView& k) { return k; }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return View(a).name == View(b).name && View(a).kind == View(b).kind;
  }
};

}  // namespace

struct SeriesTable::Operation {
  struct Cumulative {
    uint64_t count = 0;
    double sum_ms = 0;
    std::vector<uint64_t> buckets;
  };
  Operation(std::string name, model::SpanKind k, core::TimeNs window_ns, size_t bounds)
      : span_name(std::move(name)), kind(k), recent(window_ns, bounds + 1) {}

  std::string span_name;
  model::SpanKind kind;
  std::array<std::unique_ptr<Cumulative>, model::kStatusCodeCount> by_status;
  RecentWindows recent;
  core::TimeNs last_seen = kNever;
  core::TimeNs judged_until = kNever;       // Pooled: the last window whose requests were judged
  std::array<SeriesModels::Slot, 3> slots;  // rate, error_ratio, p95_latency_ms
};

struct SeriesTable::Edge {
  Edge(std::string c, std::string type, core::TimeNs window_ns, size_t bounds)
      : client(std::move(c)),
        connection_type(std::move(type)),
        client_buckets(ZeroBuckets(bounds)),
        server_buckets(ZeroBuckets(bounds)),
        recent(window_ns, bounds + 1) {}

  std::string client;
  std::string connection_type;
  uint64_t requests = 0;
  uint64_t failed = 0;
  uint64_t client_count = 0;
  double client_sum_s = 0;
  std::vector<uint64_t> client_buckets;
  uint64_t server_count = 0;
  double server_sum_s = 0;
  std::vector<uint64_t> server_buckets;
  RecentWindows recent;  // latency in seconds: client-side, or server-side when that is all
  core::TimeNs last_seen = kNever;
  core::TimeNs judged_until = kNever;       // Pooled
  std::array<SeriesModels::Slot, 3> slots;  // rate, error_ratio, p95_latency_ms
};

struct SeriesTable::IngestedSeries {
  std::string family;
  core::MetricKind kind = core::MetricKind::kGauge;
  std::string help;
  core::OwnedLabels labels;
  double value = 0;
  uint64_t count = 0;
  double sum = 0;
  std::vector<double> bounds;
  std::vector<uint64_t> buckets;
  std::vector<std::pair<double, double>> quantiles;
  core::TimeNs last_time = kNever;
  core::TimeNs last_seen = kNever;
  // What the models last saw: counters and histograms are modelled as changes since then.
  core::TimeNs modelled_time = kNever;
  core::TimeNs start_ns = 0;  // of the cumulative points (OTLP start_time_unix_nano)
  double modelled_value = 0;
  uint64_t modelled_count = 0;
  std::vector<uint64_t> modelled_buckets;
  SeriesModels::Slot slot;  // of its one modelled signal (a summary's quantiles go by key)
  // A gauge whose first kCountingPoints values were all whole numbers, some 2 or more or all 0,
  // counts things (requests in a queue or in flight, threads): a change of one is within its
  // resolution (a quiet service's queue is 0, and now and then 1). (0 and 1 both seen may be a
  // flag, such as up; all 0 may be a ratio that never moved: a name in _ratio or _percent is.)
  uint32_t gauge_points = 0;
  bool counting = true;
  double gauge_max = 0;
};

struct SeriesTable::Service {
  std::string name;
  absl::flat_hash_map<OpKey, std::unique_ptr<Operation>, OpKeyHash, OpKeyEq> operations;
  absl::flat_hash_map<std::string, std::unique_ptr<Edge>> inbound;  // key: client '\0' type
  absl::flat_hash_map<std::string, std::unique_ptr<IngestedSeries>> ingested;
  uint64_t unpaired_as_client = 0;
  uint64_t unpaired_as_server = 0;
  uint64_t dropped_as_client = 0;
  uint64_t dropped_as_server = 0;
  std::array<uint64_t, 7> log_records{};  // by model::Severity
  std::unique_ptr<ServiceLogTemplates> log_templates;
  size_t series = 0;                    // span-metric and ingested series, against the limit
  core::TimeNs first_seen = INT64_MAX;  // of ingested points
  core::TimeNs last_seen = kNever;
  core::TimeNs last_restart_ns = kNever;  // start time of the last restart reported
  // Trace evidence (model::TracePartial), once any arrived: requests with error origins and own
  // time in milliseconds; inbound calls with their time on the wire.
  std::unique_ptr<RecentWindows> own;
  std::unique_ptr<RecentWindows> wire;
  // Pooled, for its requests (all operations'), its own time and its wire time.
  core::TimeNs requests_judged_until = kNever;
  core::TimeNs own_judged_until = kNever;
  core::TimeNs wire_judged_until = kNever;
  // The multi-signal model needs a value in every dimension; quiet windows repeat the last.
  double last_error_ratio = 0;
  double last_p95_ms = 0;
  // Of its signals: rate, error_ratio, p95_latency_ms, error_origin_rate, self_time_p95_ms,
  // wire_p95_ms, and WARN and ERROR log lines.
  std::array<SeriesModels::Slot, 8> slots;
};

namespace {

DetectionConfig WithIdleTimeout(DetectionConfig detection, core::TimeNs idle) {
  detection.idle_timeout_ns = idle;
  return detection;
}

}  // namespace

SeriesTable::SeriesTable(SeriesTableConfig config, core::SelfMetrics* metrics)
    : config_(std::move(config)),
      source_watermarks_(std::max(1, config_.stage1_shards), kNever),
      models_(WithIdleTimeout(config_.detection, config_.series_idle_timeout_ns),
              config_.shard_index, metrics) {
  overflow_total_ = metrics->GetCounter(
      "augur_series_overflow",
      "Span-metric series folded into overflow_operation: the service reached its series limit.");
  ingested_dropped_total_ = metrics->GetCounter(
      "augur_series_ingested_dropped",
      "Ingested metric points dropped: series limit of the service, or an unsupported type.");
  expired_total_ =
      metrics->GetCounter("augur_series_expired", "Series removed after being idle (event time).");
  partials_total_ = metrics->GetCounter("augur_series_partials", "Partial aggregates merged.");
  metric_points_total_ =
      metrics->GetCounter("augur_series_metric_points", "Ingested metric points stored.");
  windows_skipped_total_ = metrics->GetCounter(
      "augur_series_windows_skipped",
      "Event-time windows not modelled because the watermark jumped past them.");
  log_templates_dropped_total_ = metrics->GetCounter(
      "augur_series_log_templates_dropped",
      "Log template partials dropped: their service holds logs.detection.max_templates.");
}

SeriesTable::~SeriesTable() = default;

SeriesTable::Service& SeriesTable::GetService(std::string_view name) {
  auto it = services_.find(absl::string_view(name.data(), name.size()));
  if (it == services_.end()) {
    auto s = std::make_unique<Service>();
    s->name = std::string(name);
    it = services_.emplace(s->name, std::move(s)).first;
  }
  return *it->second;
}

SeriesTable::Operation* SeriesTable::GetOperation(Service& service, std::string_view span_name,
                                                  model::SpanKind kind, model::StatusCode status) {
  auto it = service.operations.find(OpKeyView{span_name, kind});
  bool new_series = it == service.operations.end() ||
                    it->second->by_status[static_cast<size_t>(status)] == nullptr;
  if (new_series && service.series >= config_.max_series_per_service) {
    overflow_total_->Add();
    span_name = kOverflowOperation;
    it = service.operations.find(OpKeyView{span_name, kind});
  }
  if (it == service.operations.end()) {
    auto op = std::make_unique<Operation>(std::string(span_name), kind, config_.window_ns,
                                          config_.latency_bounds_ms.size());
    it = service.operations.emplace(OpKey{op->span_name, kind}, std::move(op)).first;
  }
  Operation* op = it->second.get();
  auto& cumulative = op->by_status[static_cast<size_t>(status)];
  if (cumulative == nullptr) {
    cumulative = std::make_unique<Operation::Cumulative>();
    cumulative->buckets = ZeroBuckets(config_.latency_bounds_ms.size());
    service.series += 1;
    red_series_ += 1;
  }
  return op;
}

void SeriesTable::AddRed(const model::RedPartial& p) {
  Service& service = GetService(p.service);
  Operation* op = GetOperation(service, p.span_name, p.kind, p.status);
  auto& c = *op->by_status[static_cast<size_t>(p.status)];
  c.count += p.count;
  c.sum_ms += p.sum_ms;
  AddBuckets(&c.buckets, p.buckets);
  if (p.window_start != model::kLateWindow) {
    uint64_t errors = p.status == model::StatusCode::kError ? p.count : 0;
    op->recent.Add(p.window_start, p.count, errors, p.sum_ms,
                   std::span<const uint32_t>(p.buckets.data(), c.buckets.size()));
    op->last_seen = std::max(op->last_seen, p.window_start);
    service.last_seen = std::max(service.last_seen, p.window_start);
  }
}

void SeriesTable::AddEdge(const model::EdgePartial& p) {
  Service& service = GetService(p.server);
  std::string key = p.client;
  key += '\0';
  key += p.connection_type;
  auto it = service.inbound.find(key);
  if (it == service.inbound.end()) {
    if (service.inbound.size() >= config_.max_series_per_service) {
      overflow_total_->Add();
      return;
    }
    it = service.inbound
             .emplace(std::move(key),
                      std::make_unique<Edge>(p.client, p.connection_type, config_.window_ns,
                                             config_.graph_bounds_s.size()))
             .first;
  }
  Edge& e = *it->second;
  e.requests += p.count;
  e.failed += p.failed;
  e.client_count += p.client_count;
  e.client_sum_s += p.client_sum_s;
  AddBuckets(&e.client_buckets, p.client_buckets);
  e.server_count += p.server_count;
  e.server_sum_s += p.server_sum_s;
  AddBuckets(&e.server_buckets, p.server_buckets);
  if (p.window_start != model::kLateWindow) {
    bool client_side = p.client_count > 0;
    const model::BucketCounts& b = client_side ? p.client_buckets : p.server_buckets;
    e.recent.Add(p.window_start, p.count, p.failed, client_side ? p.client_sum_s : p.server_sum_s,
                 std::span<const uint32_t>(b.data(), e.client_buckets.size()));
    e.last_seen = std::max(e.last_seen, p.window_start);
    service.last_seen = std::max(service.last_seen, p.window_start);
  }
}

void SeriesTable::ConsumePartials(const model::PartialBatch& batch) {
  if (next_close_ == kNever) {
    for (const model::RedPartial& p : batch.red) {
      if (p.window_start != model::kLateWindow)
        first_window_ = std::min(first_window_, p.window_start);
    }
  }
  for (const model::RedPartial& p : batch.red) AddRed(p);
  for (const model::EdgePartial& p : batch.edges) AddEdge(p);
  for (const model::UnpairedPartial& p : batch.unpaired) {
    Service& s = GetService(p.client.empty() ? p.server : p.client);
    if (!p.client.empty()) {
      s.unpaired_as_client += p.unpaired;
      s.dropped_as_client += p.dropped;
    } else {
      s.unpaired_as_server += p.unpaired;
      s.dropped_as_server += p.dropped;
    }
  }
  for (const model::TracePartial& p : batch.traces) {
    if (p.window_start == model::kLateWindow) continue;
    Service& s = GetService(p.service);
    const size_t buckets = config_.latency_bounds_ms.size() + 1;
    if (s.own == nullptr) {
      s.own = std::make_unique<RecentWindows>(config_.window_ns, buckets);
      s.wire = std::make_unique<RecentWindows>(config_.window_ns, buckets);
    }
    s.own->Add(p.window_start, p.requests, p.error_origins, p.own_sum_ms,
               std::span<const uint32_t>(p.own_buckets.data(), buckets));
    s.wire->Add(p.window_start, p.wire_calls, 0, p.wire_sum_ms,
                std::span<const uint32_t>(p.wire_buckets.data(), buckets));
    s.last_seen = std::max(s.last_seen, p.window_start);
  }
  for (const model::LogPartial& p : batch.logs) {
    Service& s = GetService(p.service);
    s.log_records[static_cast<size_t>(p.severity)] += p.count;
    if (p.window_start != model::kLateWindow) s.last_seen = std::max(s.last_seen, p.window_start);
    if (s.log_templates == nullptr) {
      s.log_templates = std::make_unique<ServiceLogTemplates>(&config_.logs, config_.window_ns);
    }
    if (!s.log_templates->Add(p)) log_templates_dropped_total_->Add();
  }
  partials_total_->Add(batch.Size());

  if (batch.source_shard >= 0 &&
      static_cast<size_t>(batch.source_shard) < source_watermarks_.size()) {
    core::TimeNs& w = source_watermarks_[batch.source_shard];
    w = std::max(w, batch.watermark);
    watermark_ = *std::min_element(source_watermarks_.begin(), source_watermarks_.end());
    CloseWindows();
  }
}

void SeriesTable::CloseWindows() {
  if (watermark_ == kNever || !config_.detection.enabled) return;
  const core::TimeNs window = config_.window_ns;
  // Windows that end at or before the watermark are complete.
  const core::TimeNs first_open = core::FloorTo(watermark_, window);
  if (next_close_ == kNever) {
    next_close_ = first_window_ != INT64_MAX ? std::max(first_open, first_window_) : first_open;
  }
  // The recent windows hold the last few; a jump beyond them skips what they no longer hold.
  const core::TimeNs oldest_held = first_open - (RecentWindows::kFineSlots - 1) * window;
  if (next_close_ < oldest_held) {
    windows_skipped_total_->Add(static_cast<uint64_t>((oldest_held - next_close_) / window));
    next_close_ = oldest_held;
  }
  while (next_close_ < first_open) {
    CloseWindow(next_close_);
    next_close_ += window;
  }
  models_.ReportPoints();
}

void SeriesTable::CloseWindow(core::TimeNs start) {
  const double window_s = static_cast<double>(config_.window_ns) / core::kNsPerSecond;
  const uint64_t min_requests = config_.detection.min_requests;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto ratio = [&](const WindowStats& w) {
    return w.count >= min_requests && w.count > 0
               ? static_cast<double>(w.errors) / static_cast<double>(w.count)
               : nan;
  };
  auto p95 = [&](const WindowStats& w, std::span<const double> bounds, double to_ms) {
    return w.count >= min_requests && w.count > 0 ? w.Quantile(bounds, 0.95) * to_ms : nan;
  };
  const auto& ms_bounds = config_.latency_bounds_ms;
  const auto& s_bounds = config_.graph_bounds_s;
  // A quantile of a bucketed histogram is interpolated inside its bucket: changes within half the
  // bucket's width are below what it can resolve.
  // A p95 also says how many of the window's requests were slower than the expected p95: 5% of
  // them when normal (ObserveContext::Counting::kExceedances).
  auto Resolution = [](double value_ms, std::span<const double> bounds, double to_ms,
                       const WindowStats& w) {
    ObserveContext c;
    c.upward_only = true;  // latency: only slower is a problem
    if (!std::isfinite(value_ms)) return c;
    c.counting = ObserveContext::Counting::kExceedances;
    c.histogram = w.buckets;
    c.bounds = bounds;
    c.bounds_scale = to_ms;
    double lower = 0;
    for (double b : bounds) {
      if (value_ms <= b * to_ms) {
        c.resolution = (b * to_ms - lower) / 2;
        return c;
      }
      lower = b * to_ms;
    }
    c.resolution = std::max(0.0, value_ms - lower) / 2;  // the +Inf bucket
    return c;
  };

  // The volume-aware rule (ObserveContext): rates are counts over the window, error ratios
  // errors of the window's requests.
  ObserveContext per_second;
  per_second.counting = ObserveContext::Counting::kPoisson;
  per_second.trials = window_s;
  // Calls and log lines come in clusters (CountWindow::clustered).
  ObserveContext calls_per_second = per_second;
  calls_per_second.clustered = true;
  // Counts of what goes wrong: only more is a problem.
  ObserveContext errors_per_second = per_second;
  errors_per_second.upward_only = true;
  ObserveContext lines_per_second = calls_per_second;
  lines_per_second.upward_only = true;
  auto OfRequests = [](const WindowStats& w) {
    ObserveContext c;
    c.upward_only = true;  // errors: only more is a problem
    c.counting = ObserveContext::Counting::kBinomial;
    c.trials = static_cast<double>(w.count);
    return c;
  };
  // A quiet path's window with the ones before it not judged yet (Pool).
  auto pool = [&](core::TimeNs* judged_until, const RecentWindows& recent, WindowStats* w) {
    Pool(
        start, config_.window_ns, min_requests, judged_until,
        [&](core::TimeNs t, WindowStats* out) { recent.Window(t, out); }, w);
  };
  // A series of requests (an operation's, or the calls into a service): its rate in this window,
  // its error ratio and p95 over the requests judged.
  auto observe_requests = [&](std::array<SeriesModels::Slot, 3>& slots, const auto& ref,
                              const std::string& service, core::TimeNs* judged_until,
                              const RecentWindows& recent, WindowStats& w,
                              std::span<const double> bounds, double to_ms) {
    models_.Observe(&slots[0], ref("rate"), service, start, static_cast<double>(w.count) / window_s,
                    &calls_per_second);
    pool(judged_until, recent, &w);
    const ObserveContext of_requests = OfRequests(w);
    models_.Observe(&slots[1], ref("error_ratio"), service, start, ratio(w), &of_requests);
    const double value = p95(w, bounds, to_ms);
    const ObserveContext resolution = Resolution(value, bounds, to_ms, w);
    models_.Observe(&slots[2], ref("p95_latency_ms"), service, start, value, &resolution);
  };

  for (auto& [name, service] : services_) {
    Service& svc = *service;
    auto service_ref = [&](const char* signal) {
      return [&, signal] { return SeriesRef{"service", {{"service_name", name}}, signal}; };
    };
    WindowStats requests, all;
    bool has_requests = false;
    for (const auto& [key, op] : svc.operations) {
      WindowStats w;
      op->recent.Window(start, &w);
      auto ref = [&](const char* signal) {
        return [&, signal] {
          return SeriesRef{"span_metrics",
                           {{"service_name", name},
                            {"span_kind", std::string(model::SpanKindName(op->kind))},
                            {"span_name", op->span_name}},
                           signal};
        };
      };
      all.MergeFrom(w);
      if (IsRequestKind(op->kind)) {
        has_requests = true;
        requests.MergeFrom(w);
      }
      observe_requests(op->slots, ref, name, &op->judged_until, op->recent, w, ms_bounds, 1);
    }
    if (!svc.operations.empty()) {
      WindowStats& w = has_requests ? requests : all;
      const double rate = static_cast<double>(w.count) / window_s;
      models_.Observe(&svc.slots[0], service_ref("rate"), name, start, rate, &calls_per_second);
      Pool(
          start, config_.window_ns, min_requests, &svc.requests_judged_until,
          [&](core::TimeNs t, WindowStats* out) {
            for (const auto& [key, op] : svc.operations) {
              if (!has_requests || IsRequestKind(op->kind)) op->recent.Window(t, out);
            }
          },
          &w);
      const double errors = ratio(w);
      const double latency = p95(w, ms_bounds, 1);
      const ObserveContext of_requests = OfRequests(w);
      models_.Observe(&svc.slots[1], service_ref("error_ratio"), name, start, errors, &of_requests);
      const ObserveContext latency_resolution = Resolution(latency, ms_bounds, 1, w);
      models_.Observe(&svc.slots[2], service_ref("p95_latency_ms"), name, start, latency,
                      &latency_resolution);
      if (!std::isnan(errors)) svc.last_error_ratio = errors;
      if (!std::isnan(latency)) svc.last_p95_ms = latency;
      // Saturation: the mean of the service's instances' latest saturation gauge, if it has one.
      double saturation = 0;
      int instances = 0;
      for (const auto& [k, s] : svc.ingested) {
        if (s->family == config_.detection.saturation_metric &&
            s->kind == core::MetricKind::kGauge) {
          saturation += s->value;
          ++instances;
        }
      }
      const std::array<double, SeriesModels::kServiceSignals> vector = {
          rate, svc.last_error_ratio, svc.last_p95_ms, instances > 0 ? saturation / instances : 0};
      models_.ObserveService(name, start, vector);
    }
    for (const auto& [key, edge] : svc.inbound) {
      WindowStats w;
      edge->recent.Window(start, &w);
      const Edge& e = *edge;
      auto ref = [&](const char* signal) {
        return [&, signal] {
          return SeriesRef{
              "service_graph",
              {{"client", e.client}, {"connection_type", e.connection_type}, {"server", name}},
              signal};
        };
      };
      observe_requests(edge->slots, ref, name, &edge->judged_until, edge->recent, w, s_bounds,
                       1000);
    }
    // Trace evidence: errors that originate here per second, own time and wire time (p95).
    if (svc.own != nullptr) {
      WindowStats own, wire;
      svc.own->Window(start, &own);
      svc.wire->Window(start, &wire);
      models_.Observe(&svc.slots[3], service_ref("error_origin_rate"), name, start,
                      static_cast<double>(own.errors) / window_s, &errors_per_second);
      pool(&svc.own_judged_until, *svc.own, &own);
      pool(&svc.wire_judged_until, *svc.wire, &wire);
      const double own_p95 = p95(own, ms_bounds, 1);
      const ObserveContext own_context = Resolution(own_p95, ms_bounds, 1, own);
      models_.Observe(&svc.slots[4], service_ref("self_time_p95_ms"), name, start, own_p95,
                      &own_context);
      const double wire_p95 = p95(wire, ms_bounds, 1);
      const ObserveContext wire_context = Resolution(wire_p95, ms_bounds, 1, wire);
      models_.Observe(&svc.slots[5], service_ref("wire_p95_ms"), name, start, wire_p95,
                      &wire_context);
    }
    // Warnings and errors logged per second in the window (by the records' time: telemetry sent
    // faster than real time arrives windows ahead of the one closing), from the service's first
    // line at that severity on; quieter severities are not modelled.
    for (model::Severity sev : {model::Severity::kWarn, model::Severity::kError}) {
      if (svc.log_records[static_cast<size_t>(sev)] == 0 || svc.log_templates == nullptr) continue;
      const uint64_t lines = svc.log_templates->Lines(sev, start);
      auto ref = [&] {
        return SeriesRef{
            "logs",
            {{"service_name", name}, {"severity", std::string(model::SeverityName(sev))}},
            "rate"};
      };
      models_.Observe(&svc.slots[sev == model::Severity::kWarn ? 6 : 7], ref, name, start,
                      static_cast<double>(lines) / window_s, &lines_per_second);
    }
    if (svc.log_templates != nullptr) {
      svc.log_templates->CloseWindow(name, start, min_requests, &models_);
    }
    for (auto& [key, s] : svc.ingested) ModelIngested(svc, *s);
  }
}

void SeriesTable::ModelIngested(Service& service, IngestedSeries& s) {
  if (s.last_time <= s.modelled_time) return;  // nothing new since the last window
  auto ref = [&](std::string signal) {
    return [&s, signal] { return SeriesRef{s.family, s.labels, signal}; };
  };
  ObserveContext runtime;  // what ingested metrics show may explain an incident later
  runtime.remember_rises = true;
  const core::TimeNs t = s.last_time;
  const double elapsed_s = static_cast<double>(t - s.modelled_time) / core::kNsPerSecond;
  switch (s.kind) {
    case core::MetricKind::kGauge: {
      if (s.gauge_points < kCountingPoints) {
        ++s.gauge_points;
        s.counting = s.counting && s.value == std::floor(s.value);
        s.gauge_max = std::max(s.gauge_max, s.value);
      }
      // All 0 may also be a ratio that has not moved yet (CPU throttling): by its name.
      const bool counts = s.counting && s.gauge_points >= kCountingPoints &&
                          (s.gauge_max >= 2 || (s.gauge_max == 0 && !s.family.ends_with("_ratio") &&
                                                !s.family.ends_with("_percent")));
      ObserveContext counting = runtime;
      counting.resolution = counts ? 1 : 0;
      models_.Observe(&s.slot, ref("value"), service.name, t, s.value, &counting);
      break;
    }
    case core::MetricKind::kCounter:
      // A counter is modelled as its rate; the first point and resets only set the baseline.
      if (s.modelled_time != kNever && s.value >= s.modelled_value && elapsed_s > 0) {
        models_.Observe(&s.slot, ref("rate"), service.name, t,
                        (s.value - s.modelled_value) / elapsed_s, &runtime);
      }
      s.modelled_value = s.value;
      break;
    case core::MetricKind::kHistogram: {
      // The p95 of what was recorded since the last modelled point.
      if (s.modelled_time != kNever && s.modelled_buckets.size() == s.buckets.size() &&
          s.count >= s.modelled_count) {
        WindowStats w;
        w.buckets.resize(s.buckets.size());
        for (size_t i = 0; i < s.buckets.size(); ++i) {
          w.buckets[i] =
              s.buckets[i] >= s.modelled_buckets[i] ? s.buckets[i] - s.modelled_buckets[i] : 0;
        }
        w.count = s.count - s.modelled_count;
        models_.Observe(
            &s.slot, ref("p95"), service.name, t,
            w.count > 0 ? w.Quantile(s.bounds, 0.95) : std::numeric_limits<double>::quiet_NaN(),
            &runtime);
      }
      s.modelled_buckets = s.buckets;
      s.modelled_count = s.count;
      break;
    }
    case core::MetricKind::kSummary:
      for (const auto& [q, v] : s.quantiles) {
        if (q == 0.95 || q == 0.99 || s.quantiles.size() == 1) {
          models_.Observe(ref(fmt::format("q{}", q))(), service.name, t, v, &runtime);
        }
      }
      break;
  }
  s.modelled_time = t;
}

void SeriesTable::AddIngested(const model::MetricBatch& batch, const model::MetricPoint& point) {
  const model::Metric& metric = batch.metrics[point.metric_index];
  const model::Resource& resource = batch.resources[metric.resource_index];
  core::MetricKind kind;
  switch (metric.type) {
    case model::MetricType::kGauge:
      kind = core::MetricKind::kGauge;
      break;
    case model::MetricType::kSum:
      kind = metric.is_monotonic ? core::MetricKind::kCounter : core::MetricKind::kGauge;
      break;
    case model::MetricType::kHistogram:
      kind = core::MetricKind::kHistogram;
      break;
    case model::MetricType::kSummary:
      kind = core::MetricKind::kSummary;
      break;
    default:
      // Exponential histograms are accepted but not re-exposed (no Prometheus text form).
      ingested_dropped_total_->Add();
      return;
  }
  if (point.NoRecordedValue()) return;
  std::string family =
      model::PrometheusMetricName(metric.name, metric.unit, kind == core::MetricKind::kCounter);
  core::OwnedLabels labels;
  std::string job(resource.service_name);
  if (!resource.service_namespace.empty()) {
    job = std::string(resource.service_namespace) + "/" + job;
  }
  labels.emplace_back("job", std::move(job));
  if (!resource.service_instance_id.empty()) {
    labels.emplace_back("instance", std::string(resource.service_instance_id));
  }
  for (const model::KeyValue& kv : batch.AttributesOf(point.attributes)) {
    labels.emplace_back(core::SanitizeLabelName(kv.key), kv.value.ToString());
  }
  std::sort(labels.begin(), labels.end());
  std::string key = family;
  for (const auto& [k, v] : labels) {
    key += '\0';
    key += k;
    key += '=';
    key += v;
  }

  Service& service = GetService(resource.service_name);
  auto it = service.ingested.find(key);
  if (it == service.ingested.end()) {
    if (service.series >= config_.max_series_per_service) {
      ingested_dropped_total_->Add();
      return;
    }
    auto s = std::make_unique<IngestedSeries>();
    s->family = family;
    s->kind = kind;
    s->help = std::string(metric.description);
    s->labels = std::move(labels);
    it = service.ingested.emplace(std::move(key), std::move(s)).first;
    service.series += 1;
  }
  IngestedSeries& s = *it->second;
  if (s.kind != kind) {
    ingested_dropped_total_->Add();
    return;
  }
  const bool delta = metric.temporality == model::Temporality::kDelta;
  switch (metric.type) {
    case model::MetricType::kGauge:
    case model::MetricType::kSum:
      if (delta) {
        s.value += point.value;
      } else if (point.time_ns >= s.last_time) {
        s.value = point.value;
      }
      break;
    case model::MetricType::kHistogram: {
      std::span<const double> bounds(batch.explicit_bounds.data() + point.explicit_bounds.begin,
                                     point.explicit_bounds.count);
      std::span<const uint64_t> counts(batch.bucket_counts.data() + point.bucket_counts.begin,
                                       point.bucket_counts.count);
      bool same_layout = std::equal(bounds.begin(), bounds.end(), s.bounds.begin(), s.bounds.end());
      if (!delta || !same_layout) {
        if (!delta && point.time_ns < s.last_time) break;
        s.bounds.assign(bounds.begin(), bounds.end());
        s.buckets.assign(bounds.size() + 1, 0);
        s.count = 0;
        s.sum = 0;
      }
      for (size_t i = 0; i < counts.size() && i < s.buckets.size(); ++i) s.buckets[i] += counts[i];
      s.count += point.count;
      s.sum += point.has_sum ? point.sum : 0;
      break;
    }
    case model::MetricType::kSummary:
      if (point.time_ns >= s.last_time) {
        s.quantiles.clear();
        for (uint32_t i = 0; i < point.quantiles.count; ++i) {
          const model::Quantile& q = batch.quantiles[point.quantiles.begin + i];
          s.quantiles.emplace_back(q.quantile, q.value);
        }
        s.count = point.count;
        s.sum = point.sum;
      }
      break;
    default:
      break;
  }
  if (!delta && (kind == core::MetricKind::kCounter || kind == core::MetricKind::kHistogram)) {
    NoteStart(service, s, point);
  }
  s.last_time = std::max(s.last_time, point.time_ns);
  s.last_seen = std::max(s.last_seen, point.time_ns);
  service.first_seen = std::min(service.first_seen, point.time_ns);
  service.last_seen = std::max(service.last_seen, point.time_ns);
  metric_points_total_->Add();
}

void SeriesTable::NoteStart(Service& service, IngestedSeries& s, const model::MetricPoint& point) {
  const core::TimeNs start = point.start_time_ns;
  if (start <= 0 || start > point.time_ns) return;
  const core::TimeNs previous = s.start_ns;
  s.start_ns = std::max(s.start_ns, start);
  // A restart: a series' cumulative start moved on (its counters reset), or a new series (a new
  // instance) whose process started after the service was already reporting. Every cumulative
  // series of the process shows it: one change per start (within kRestartSlack).
  constexpr core::TimeNs kRestartSlack = 10 * core::kNsPerSecond;
  const bool reset = previous != 0 && start > previous + kRestartSlack;
  const bool new_instance = previous == 0 && service.first_seen != INT64_MAX &&
                            start > service.first_seen + config_.window_ns;
  if (!reset && !new_instance) return;
  if (service.last_restart_ns != kNever && start <= service.last_restart_ns + kRestartSlack) return;
  service.last_restart_ns = start;
  if (!change_sink_) return;
  std::string instance;
  for (const auto& [k, v] : s.labels) {
    if (k == "instance") instance = v;
  }
  model::ChangeEvent change;
  change.t = start;
  change.service = service.name;
  change.kind = "restart";
  change.description = instance.empty()
                           ? std::string("process restarted (counters reset)")
                           : fmt::format("instance {} started (counters reset)", instance);
  change_sink_(change);
}

void SeriesTable::ConsumeMetrics(const model::MetricBatch& batch,
                                 std::span<const uint32_t> point_indices) {
  for (uint32_t i : point_indices) AddIngested(batch, batch.points[i]);
  models_.ReportPoints();
}

void SeriesTable::ExpireIdle(core::TimeNs now) {
  if (now == kNever) return;
  core::TimeNs cutoff = now - config_.series_idle_timeout_ns;
  uint64_t expired = 0;
  for (auto sit = services_.begin(); sit != services_.end();) {
    Service& s = *sit->second;
    for (auto it = s.operations.begin(); it != s.operations.end();) {
      if (it->second->last_seen < cutoff) {
        for (const auto& c : it->second->by_status) {
          if (c != nullptr) {
            s.series -= 1;
            red_series_ -= 1;
            expired += 1;
          }
        }
        s.operations.erase(it++);
      } else {
        ++it;
      }
    }
    for (auto it = s.inbound.begin(); it != s.inbound.end();) {
      if (it->second->last_seen < cutoff) {
        expired += 1;
        s.inbound.erase(it++);
      } else {
        ++it;
      }
    }
    for (auto it = s.ingested.begin(); it != s.ingested.end();) {
      if (it->second->last_seen < cutoff) {
        s.series -= 1;
        expired += 1;
        s.ingested.erase(it++);
      } else {
        ++it;
      }
    }
    if (s.log_templates != nullptr) {
      s.log_templates->ExpireIdle(now - config_.logs.template_idle_timeout_ns);
      if (s.log_templates->empty()) s.log_templates.reset();
    }
    if (s.last_seen < cutoff && s.operations.empty() && s.inbound.empty() && s.ingested.empty() &&
        s.log_templates == nullptr) {
      services_.erase(sit++);
    } else {
      ++sit;
    }
  }
  if (expired > 0) expired_total_->Add(expired);
  models_.ExpireIdle(now);
}

namespace {

// `to_ms` converts the histogram's unit to milliseconds.
RecentStats ToRecent(const WindowStats& w, std::span<const double> bounds, core::TimeNs range,
                     double to_ms = 1) {
  RecentStats r;
  r.count = w.count;
  r.errors = w.errors;
  r.rate_per_s = static_cast<double>(w.count) / (static_cast<double>(range) / core::kNsPerSecond);
  r.error_ratio = w.count > 0 ? static_cast<double>(w.errors) / static_cast<double>(w.count) : 0;
  r.p50_ms = w.Quantile(bounds, 0.50) * to_ms;
  r.p95_ms = w.Quantile(bounds, 0.95) * to_ms;
  r.p99_ms = w.Quantile(bounds, 0.99) * to_ms;
  return r;
}

}  // namespace

RecentStats SeriesTable::Recent(const RecentWindows& windows, std::span<const double> bounds,
                                double to_ms, core::TimeNs now, core::TimeNs range) const {
  WindowStats w;
  windows.Collect(now, range, &w);
  return ToRecent(w, bounds, range, to_ms);
}

void SeriesTable::CollectServices(core::TimeNs now, std::vector<ServiceSummary>* out) const {
  const auto& bounds = config_.latency_bounds_ms;
  for (const auto& [name, service] : services_) {
    if (service->operations.empty()) continue;  // a peer known only from edges or metrics
    ServiceSummary summary;
    summary.name = name;
    summary.operations = service->operations.size();
    summary.last_seen_ns = service->last_seen;
    bool has_requests = false;
    for (const auto& [key, op] : service->operations) has_requests |= IsRequestKind(op->kind);
    WindowStats w1, w5;
    for (const auto& [key, op] : service->operations) {
      bool counts = !has_requests || IsRequestKind(op->kind);
      for (size_t st = 0; st < op->by_status.size(); ++st) {
        if (op->by_status[st] == nullptr) continue;
        uint64_t n = op->by_status[st]->count;
        summary.spans_total += n;
        if (IsRequestKind(op->kind)) {
          summary.requests_total += n;
          if (st == static_cast<size_t>(model::StatusCode::kError)) summary.errors_total += n;
        }
      }
      if (counts) {
        op->recent.Collect(now, core::kNsPerMinute, &w1);
        op->recent.Collect(now, 5 * core::kNsPerMinute, &w5);
      }
    }
    summary.last_1m = ToRecent(w1, bounds, core::kNsPerMinute);
    summary.last_5m = ToRecent(w5, bounds, 5 * core::kNsPerMinute);
    out->push_back(std::move(summary));
  }
}

bool SeriesTable::CollectOperations(std::string_view service, core::TimeNs now,
                                    std::vector<OperationSummary>* out) const {
  auto it = services_.find(absl::string_view(service.data(), service.size()));
  if (it == services_.end() || it->second->operations.empty()) return false;
  for (const auto& [key, op] : it->second->operations) {
    OperationSummary s;
    s.span_name = op->span_name;
    s.kind = op->kind;
    for (size_t st = 0; st < op->by_status.size(); ++st) {
      if (op->by_status[st] == nullptr) continue;
      s.calls_total += op->by_status[st]->count;
      if (st == static_cast<size_t>(model::StatusCode::kError)) {
        s.errors_total += op->by_status[st]->count;
      }
    }
    s.last_1m = Recent(op->recent, config_.latency_bounds_ms, 1, now, core::kNsPerMinute);
    s.last_5m = Recent(op->recent, config_.latency_bounds_ms, 1, now, 5 * core::kNsPerMinute);
    out->push_back(std::move(s));
  }
  return true;
}

void SeriesTable::CollectEdges(core::TimeNs now, std::vector<EdgeSummary>* out) const {
  for (const auto& [name, service] : services_) {
    for (const auto& [key, edge] : service->inbound) {
      EdgeSummary s;
      s.client = edge->client;
      s.server = name;
      s.connection_type = edge->connection_type;
      s.requests_total = edge->requests;
      s.failed_total = edge->failed;
      s.last_1m = Recent(edge->recent, config_.graph_bounds_s, 1000, now, core::kNsPerMinute);
      s.last_5m = Recent(edge->recent, config_.graph_bounds_s, 1000, now, 5 * core::kNsPerMinute);
      out->push_back(std::move(s));
    }
  }
}

void SeriesTable::WriteExposition(core::Exposition* out) const {
  models_.WriteExposition(out);
  using core::Label;
  using core::MetricKind;
  auto& calls = out->GetFamily("traces_span_metrics_calls", MetricKind::kCounter,
                               "Spans per service, span name, kind and status.");
  auto& duration = out->GetFamily("traces_span_metrics_duration_milliseconds",
                                  MetricKind::kHistogram, "Span durations in milliseconds.");
  auto& requests = out->GetFamily("traces_service_graph_request", MetricKind::kCounter,
                                  "Requests between two nodes of the service graph.");
  auto& failed = out->GetFamily("traces_service_graph_request_failed", MetricKind::kCounter,
                                "Failed requests between two nodes of the service graph.");
  auto& server_seconds =
      out->GetFamily("traces_service_graph_request_server_seconds", MetricKind::kHistogram,
                     "Request time between two nodes as seen from the server.");
  auto& client_seconds =
      out->GetFamily("traces_service_graph_request_client_seconds", MetricKind::kHistogram,
                     "Request time between two nodes as seen from the client.");
  auto& unpaired = out->GetFamily("traces_service_graph_unpaired_spans", MetricKind::kCounter,
                                  "Spans that found no counterpart to pair into an edge.");
  auto& dropped = out->GetFamily("traces_service_graph_dropped_spans", MetricKind::kCounter,
                                 "Spans dropped from pairing because the store was full.");
  auto& logs = out->GetFamily("augur_log_records", MetricKind::kCounter,
                              "Log records per service and severity.");

  for (const auto& [name, service] : services_) {
    for (const auto& [key, op] : service->operations) {
      for (size_t st = 0; st < op->by_status.size(); ++st) {
        const auto* c = op->by_status[st].get();
        if (c == nullptr) continue;
        std::array<Label, 4> labels = {
            Label{"service_name", name}, Label{"span_name", op->span_name},
            Label{"span_kind", model::SpanKindName(op->kind)},
            Label{"status_code", model::StatusCodeName(static_cast<model::StatusCode>(st))}};
        calls.Counter(labels, static_cast<double>(c->count));
        duration.Histogram(labels, config_.latency_bounds_ms, c->buckets, c->sum_ms);
      }
    }
    for (const auto& [key, edge] : service->inbound) {
      std::array<Label, 3> labels = {Label{"client", edge->client}, Label{"server", name},
                                     Label{"connection_type", edge->connection_type}};
      requests.Counter(labels, static_cast<double>(edge->requests));
      failed.Counter(labels, static_cast<double>(edge->failed));
      if (edge->server_count > 0) {
        server_seconds.Histogram(labels, config_.graph_bounds_s, edge->server_buckets,
                                 edge->server_sum_s);
      }
      if (edge->client_count > 0) {
        client_seconds.Histogram(labels, config_.graph_bounds_s, edge->client_buckets,
                                 edge->client_sum_s);
      }
    }
    const std::string_view service_name = name;
    auto side = [&](core::Exposition::Family& family, uint64_t n, bool client) {
      if (n == 0) return;
      std::array<Label, 3> labels = {Label{"client", client ? service_name : ""},
                                     Label{"server", client ? "" : service_name},
                                     Label{"connection_type", ""}};
      family.Counter(labels, static_cast<double>(n));
    };
    side(unpaired, service->unpaired_as_client, true);
    side(unpaired, service->unpaired_as_server, false);
    side(dropped, service->dropped_as_client, true);
    side(dropped, service->dropped_as_server, false);
    for (size_t sev = 0; sev < service->log_records.size(); ++sev) {
      if (service->log_records[sev] == 0) continue;
      std::array<Label, 2> labels = {
          Label{"service_name", name},
          Label{"severity", model::SeverityName(static_cast<model::Severity>(sev))}};
      logs.Counter(labels, static_cast<double>(service->log_records[sev]));
    }
    for (const auto& [key, s] : service->ingested) {
      std::vector<Label> labels;
      labels.reserve(s->labels.size());
      for (const auto& [k, v] : s->labels) labels.emplace_back(k, v);
      auto& family = out->GetFamily(s->family, s->kind, s->help);
      switch (s->kind) {
        case MetricKind::kCounter:
          family.Counter(labels, s->value);
          break;
        case MetricKind::kGauge:
          family.Gauge(labels, s->value);
          break;
        case MetricKind::kHistogram:
          family.Histogram(labels, s->bounds, s->buckets, s->sum);
          break;
        case MetricKind::kSummary:
          family.Summary(labels, s->quantiles, s->sum, s->count);
          break;
      }
    }
  }
}

void SeriesTable::CollectLogTemplates(std::string_view service,
                                      std::vector<LogTemplateSummary>* out) const {
  for (const auto& [name, s] : services_) {
    if (s->log_templates == nullptr || (!service.empty() && name != service)) continue;
    s->log_templates->Collect(name, out);
  }
}

size_t SeriesTable::MemoryBytes() const {
  size_t bytes = sizeof(*this) - sizeof(models_) +
                 services_.capacity() * (sizeof(std::string) + sizeof(void*));
  for (const auto& [name, s] : services_) {
    bytes += sizeof(Service) + name.capacity();
    bytes += s->operations.capacity() * (sizeof(OpKey) + sizeof(void*) + 1);
    for (const auto& [key, op] : s->operations) {
      bytes += sizeof(Operation) + op->recent.MemoryBytes() - sizeof(RecentWindows) +
               key.name.capacity() + op->span_name.capacity();
      for (const auto& c : op->by_status) {
        if (c != nullptr) bytes += sizeof(*c) + c->buckets.capacity() * sizeof(uint64_t);
      }
    }
    for (const auto& [key, e] : s->inbound) {
      bytes += sizeof(Edge) + key.capacity() + e->recent.MemoryBytes() +
               (e->client_buckets.capacity() + e->server_buckets.capacity()) * sizeof(uint64_t);
    }
    for (const auto& [key, i] : s->ingested) {
      bytes += sizeof(IngestedSeries) + key.capacity() * 2;
    }
    if (s->log_templates != nullptr) bytes += s->log_templates->MemoryBytes();
  }
  return bytes;
}

}  // namespace augur::detect
