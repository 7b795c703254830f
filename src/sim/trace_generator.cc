#include "sim/trace_generator.h"

#include <algorithm>
#include <cstring>

#include <fmt/printf.h>

#include "sim/core_shop.h"
#include "sim/text.h"

namespace augur::sim {

namespace {

// Chance that a failed step fails its caller too.
constexpr double kCriticalPropagation = 0.6;
constexpr double kOptionalPropagation = 0.1;
// Root requests rejected as the client's fault (404, 400): not errors on a server span.
constexpr double kClientErrorProbability = 0.004;

constexpr std::string_view kKafkaAddress = "kafka";
constexpr int kKafkaPort = 9092;
constexpr std::string_view kKafkaIp = "10.96.33.9";

// gRPC status codes for the HTTP statuses the simulator produces.
int GrpcCode(int http_status) {
  switch (http_status) {
    case 200:
      return 0;  // OK
    case 400:
      return 3;  // INVALID_ARGUMENT
    case 402:
      return 9;  // FAILED_PRECONDITION
    case 404:
      return 5;  // NOT_FOUND
    case 429:
      return 8;  // RESOURCE_EXHAUSTED
    case 502:
    case 503:
      return 14;  // UNAVAILABLE
    case 504:
      return 4;  // DEADLINE_EXCEEDED
    default:
      return 13;  // INTERNAL
  }
}

// error.type: the status code as a string for HTTP, "timeout" when a deadline cut the call.
std::string_view ErrorType(int http_status, bool timeout) {
  if (timeout) return "timeout";
  switch (http_status) {
    case 400:
      return "400";
    case 402:
      return "402";
    case 404:
      return "404";
    case 429:
      return "429";
    case 502:
      return "502";
    case 503:
      return "503";
    case 504:
      return "504";
    default:
      return "500";
  }
}

std::string_view StatusMessage(int http_status, bool timeout) {
  if (timeout) return "deadline exceeded";
  switch (http_status) {
    case 402:
      return "payment declined";
    case 502:
      return "upstream request failed";
    case 503:
      return "service unavailable";
    case 504:
      return "upstream request timed out";
    default:
      return "internal error";
  }
}

// Whether a client may safely resend a request of `op` that may have reached the server: reads,
// and HTTP's idempotent methods.
bool Idempotent(const Operation& op) {
  if (op.kind == OperationKind::kHttp) {
    return op.http_method == "GET" || op.http_method == "HEAD" || op.http_method == "PUT" ||
           op.http_method == "DELETE";
  }
  if (op.kind != OperationKind::kGrpc) return false;
  for (std::string_view read : {"Get", "List", "Search", "Check", "Lookup", "Resolve", "Validate",
                                "Convert", "BatchGet", "Estimate", "Suggest", "Export"}) {
    if (op.rpc_method.starts_with(read)) return true;
  }
  return false;
}

// Retries a client makes: a refused connection (the request was never sent) up to twice; an
// idempotent request that timed out or found the callee unavailable once.
bool ShouldRetry(bool refused, bool timeout, int status, const Operation& op, int attempt) {
  if (refused) return attempt < 2;
  return (timeout || status == 503) && attempt < 1 && Idempotent(op);
}

constexpr core::TimeNs kRetransmitTimeoutNs = 200 * core::kNsPerMillisecond;  // Linux's minimum RTO

// The HTTP client library a service's SDK language usually uses (user_agent.original).
std::string_view ClientUserAgent(Language language) {
  switch (language) {
    case Language::kGo:
      return "Go-http-client/1.1";
    case Language::kJava:
      return "okhttp/4.12.0";
    case Language::kPython:
      return "python-requests/2.31.0";
    case Language::kNodeJs:
      return "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)";
    case Language::kDotNet:
      return "dotnet-httpclient/8.0";
    case Language::kRuby:
      return "Faraday v2.7.10";
    case Language::kPhp:
      return "GuzzleHttp/7";
  }
  return "";
}

constexpr std::string_view kBrowserAgents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36",
};
constexpr std::string_view kMobileAgents[] = {
    "ShopApp/4.2.0 (iPhone15,2; iOS 17.4.1)",
    "ShopApp/4.2.0 (Pixel 8; Android 14)",
    "ShopApp/4.1.3 (SM-S918B; Android 13)",
};
constexpr std::string_view kApiAgents[] = {
    "python-requests/2.31.0",
    "curl/8.5.0",
    "PartnerSync/1.9 (+https://partner.example)",
};

// Product ids of the demo's catalog, so product URLs look alike across services.
constexpr std::string_view kProductIds[] = {"OLJCESPC7Z", "66VCHSJNUP", "1YMWWN1N4O", "L9ECAV7KIM",
                                            "2ZYFJ3GM2N", "0PUK6V6EV0", "LS4PSXUNUM", "9SIQT8TOJO",
                                            "6E92ZMYYFZ", "HQTGWGPNH4"};

}  // namespace

TraceGenerator::TraceGenerator(const Fleet* fleet, const FaultSchedule* faults, uint64_t seed)
    : fleet_(fleet), faults_(faults), rng_(seed, /*stream=*/3) {
  for (const Service& s : fleet->services) {
    if (s.name == "frontend") {
      public_host_.push_back("shop.example.com");
    } else if (s.name == "api-gateway") {
      public_host_.push_back("api.shop.example.com");
    } else if (s.name == "mobile-bff") {
      public_host_.push_back("m.shop.example.com");
    } else {
      public_host_.push_back(Cat(s.name, ".shop.example.com"));
    }
  }
  entries_of_.resize(fleet->services.size());
  entry_weights_of_.resize(fleet->services.size());
  for (int e = 0; e < static_cast<int>(fleet->entries.size()); ++e) {
    const int v = fleet->entries[e].service;
    entries_of_[v].push_back(e);
    const double before = entry_weights_of_[v].empty() ? 0 : entry_weights_of_[v].back();
    entry_weights_of_[v].push_back(before + fleet->entries[e].weight);
  }
  Rng ip_rng(seed, /*stream=*/5);
  for (int i = 0; i < 256; ++i) {
    client_ips_.push_back(fmt::sprintf("%s.%d", ip_rng.Bernoulli(0.5) ? "198.51.100" : "203.0.113",
                                       ip_rng.Between(1, 254)));
  }
}

model::SpanId TraceGenerator::NewSpanId() {
  model::SpanId id;
  uint64_t x = rng_.Next();
  if (x == 0) x = 1;
  std::memcpy(id.data(), &x, sizeof(x));
  return id;
}

core::TimeNs TraceGenerator::NetworkDelay() {
  // One way inside the cluster: about 0.15 ms, sometimes a few ms.
  return static_cast<core::TimeNs>(rng_.LogNormal(150'000, 0.5));
}

std::string_view TraceGenerator::ExpandRoute(std::string_view route, TelemetryBuffer& out) {
  if (route.find('{') == std::string_view::npos) return route;
  scratch_.clear();
  size_t i = 0;
  while (i < route.size()) {
    const size_t open = route.find('{', i);
    if (open == std::string_view::npos) {
      scratch_.append(route.substr(i));
      break;
    }
    const size_t close = route.find('}', open);
    if (close == std::string_view::npos) {
      scratch_.append(route.substr(i));
      break;
    }
    scratch_.append(route.substr(i, open - i));
    const std::string_view name = route.substr(open + 1, close - open - 1);
    if (name == "productId" || (name == "id" && route.find("product") != std::string_view::npos)) {
      scratch_.append(kProductIds[rng_.Below(std::size(kProductIds))]);
    } else {
      Append(scratch_, rng_.Between(100000, 9999999));
    }
    i = close + 1;
  }
  return out.Store(scratch_);
}

std::string_view TraceGenerator::NewMessageKey(TelemetryBuffer& out) {
  scratch_ = fmt::format("{:016x}", rng_.Next());
  return out.Store(scratch_);
}

size_t TraceGenerator::BeginSpan(SimSpanKind kind, std::string_view name, int instance,
                                 const model::SpanId& span_id, const model::SpanId& parent,
                                 core::TimeNs start_ns, core::TimeNs end_ns, TelemetryBuffer& out) {
  const size_t index = out.spans.size();
  SimSpan& s = out.spans.emplace_back();
  s.trace_id = trace_id_;
  s.span_id = span_id;
  s.parent_span_id = parent;
  s.instance = static_cast<uint32_t>(instance);
  s.kind = kind;
  s.name = name;
  s.start_ns = start_ns;
  s.end_ns = end_ns;
  s.attributes_begin = static_cast<uint32_t>(out.attributes.size());
  ++spans_;
  return index;
}

void TraceGenerator::EndAttributes(size_t span, TelemetryBuffer& out) {
  SimSpan& s = out.spans[span];
  s.attributes_count = static_cast<uint32_t>(out.attributes.size()) - s.attributes_begin;
}

TraceSummary TraceGenerator::Generate(core::TimeNs start_ns, double load_multiplier,
                                      TelemetryBuffer& out, int entry_service) {
  const uint64_t hi = rng_.Next(), lo = rng_.Next();
  std::memcpy(trace_id_.data(), &hi, 8);
  std::memcpy(trace_id_.data() + 8, &lo, 8);
  latency_factor_ = 1 + 0.25 * std::max(0.0, load_multiplier - 1);
  trace_end_ns_ = start_ns;
  spans_ = 0;

  const bool any_entry = entry_service < 0 || entries_of_[entry_service].empty();
  const EntryPoint& entry =
      any_entry
          ? fleet_->entries[rng_.PickCumulative(fleet_->entry_weights_cumulative)]
          : fleet_->entries[entries_of_[entry_service]
                                       [rng_.PickCumulative(entry_weights_of_[entry_service])]];
  if (faults_ != nullptr) {
    // The entry's processes are down: the load balancer answers for them, no span is recorded.
    const double down = faults_->ServiceStateAt(entry.service, start_ns).unavailable_probability;
    if (down > 0 && rng_.Bernoulli(down)) return {0, true, start_ns};
  }
  const Operation& op = fleet_->services[entry.service].operations[entry.operation];
  Inbound inbound;
  if (op.kind == OperationKind::kHttp) inbound.url_path = ExpandRoute(op.http_route, out);
  const Served root =
      Serve(entry.service, entry.operation, start_ns, model::SpanId{}, inbound, out);
  return {spans_, root.error, trace_end_ns_};
}

TraceGenerator::Served TraceGenerator::Serve(int v, int j, core::TimeNs start_ns,
                                             const model::SpanId& parent, const Inbound& inbound,
                                             TelemetryBuffer& out) {
  const Service& svc = fleet_->services[v];
  const Operation& op = svc.operations[j];
  const int inst = svc.instances[svc.instances.size() == 1 ? 0 : rng_.Below(svc.instances.size())];
  const Instance& instance = fleet_->instances[inst];
  const ServiceState state =
      faults_ != nullptr ? faults_->ServiceStateAt(v, start_ns) : ServiceState{};
  const bool root = inbound.caller_instance < 0 && inbound.message == nullptr;

  core::TimeNs self_ns =
      op.self_latency.Sample(rng_, latency_factor_ * instance.speed * state.latency_multiplier) +
      state.added_latency_ns;
  if (state.queue_wait_mean_ns > 0) {
    self_ns += static_cast<core::TimeNs>(rng_.Exponential(state.queue_wait_mean_ns));
  }
  const double pre_share = rng_.Uniform(0.2, 0.6);  // of the self-time, before the steps
  const model::SpanId id = NewSpanId();
  const SimSpanKind kind =
      op.kind == OperationKind::kConsumer ? SimSpanKind::kConsumer : SimSpanKind::kServer;
  const size_t span = BeginSpan(kind, op.name, inst, id, parent, start_ns, 0, out);

  // A failure of its own (background rate or fault), or a bad request from outside.
  RequestEvent event;
  const bool op_fault = state.failing_operation == j && state.operation_error_probability > 0;
  const double fault_p =
      op_fault ? 1 - (1 - state.error_probability) * (1 - state.operation_error_probability)
               : state.error_probability;
  const double p_fail = 1 - (1 - op.error_probability) * (1 - fault_p);
  const bool own_failure = rng_.Bernoulli(p_fail);
  bool error = false;  // set once a step's failure propagates, or at the end for own failures
  int status = 200;
  if (own_failure) {
    event.cause = FailureCause::kOwn;
    const bool from_fault = rng_.Uniform() * p_fail < fault_p;
    if (from_fault && op_fault) {
      event.fault_style = ErrorStyle::kBug;
      status = 500;
    } else if (from_fault) {
      event.fault_style = state.error_style;
      status = state.error_http_status != 0 ? state.error_http_status : 500;
    } else {
      status = 500;
    }
  } else if (root && rng_.Bernoulli(kClientErrorProbability)) {
    event.cause = FailureCause::kClient;
    status = rng_.Bernoulli(0.7) ? 404 : 400;
  }
  const size_t stop_at =
      event.cause == FailureCause::kNone ? op.steps.size() : rng_.Below(op.steps.size() + 1);

  const auto pre_ns = static_cast<core::TimeNs>(self_ns * pre_share);
  const core::TimeNs cursor = start_ns + pre_ns;
  core::TimeNs group_start = cursor, group_end = cursor;
  bool missed = true;
  for (size_t k = 0; k < stop_at && !error; ++k) {
    const CallStep& step = op.steps[k];
    const bool cache_lookup = step.kind == StepKind::kPeer && step.miss_probability > 0;
    if (step.after_cache_miss && !missed) continue;
    if (!rng_.Bernoulli(step.probability)) {
      if (cache_lookup) missed = true;
      continue;
    }
    const int repeats = step.max_repeat > 1 ? 1 + static_cast<int>(rng_.Below(step.max_repeat)) : 1;
    core::TimeNs t;
    if (step.parallel) {
      t = group_start + rng_.Between(5'000, 50'000);
    } else {
      t = group_end + rng_.Between(10'000, 60'000);
      group_start = t;
    }
    StepOutcome outcome;
    const Operation* callee_op = nullptr;
    for (int r = 0; r < repeats; ++r) {
      switch (step.kind) {
        case StepKind::kCall:
          outcome = Call(step, inst, id, t, out, &callee_op);
          break;
        case StepKind::kPublish:
          outcome = Publish(step, inst, id, t, out);
          break;
        case StepKind::kPeer:
          outcome = CallPeer(step, v, inst, id, t, out, &missed);
          break;
        case StepKind::kInternal:
          outcome.end_ns = DoInternalWork(step, v, inst, id, t, out);
          break;
      }
      group_end = std::max(group_end, outcome.end_ns);
      t = outcome.end_ns + rng_.Between(5'000, 30'000);
      if (outcome.error) break;
    }
    // Drawn whether or not the step failed, so that a fault that only changes timing leaves the
    // random stream, and so the rest of the telemetry, as it was.
    const bool propagate =
        rng_.Bernoulli(step.critical ? kCriticalPropagation : kOptionalPropagation);
    if (outcome.error && propagate) {
      error = true;
      if (step.kind == StepKind::kPeer) {
        event.cause = FailureCause::kPeer;
        event.failed_peer = step.target;
        event.failed_step = &step;
        status = outcome.status == 402 ? 402 : 500;
      } else {
        event.cause = outcome.timeout ? FailureCause::kTimeout : FailureCause::kDownstream;
        event.failed_service = step.target;
        event.failed_operation = callee_op;
        status = outcome.timeout ? 504 : 502;
      }
      event.failed_refused = outcome.refused;
    }
  }
  error = error || own_failure;
  // After a failure the handler only writes the error response.
  const core::TimeNs post_ns =
      event.cause == FailureCause::kNone ? self_ns - pre_ns : (self_ns - pre_ns) * 3 / 10;
  const core::TimeNs end_ns = group_end + post_ns;

  SimSpan& s = out.spans[span];
  s.end_ns = end_ns;
  s.error = error;
  if (error) s.status_message = StatusMessage(status, false);
  s.attributes_begin = static_cast<uint32_t>(out.attributes.size());
  const std::string_view peer_ip =
      root ? std::string_view(client_ips_[rng_.Below(client_ips_.size())])
      : inbound.caller_instance >= 0
          ? std::string_view(fleet_->instances[inbound.caller_instance].ip)
          : kKafkaIp;
  switch (op.kind) {
    case OperationKind::kHttp: {
      out.AddString("http.request.method", op.http_method);
      out.AddString("http.route", op.http_route);
      out.AddString("url.path", inbound.url_path);
      out.AddString("url.scheme", root ? "https" : "http");
      out.AddString("server.address",
                    root ? std::string_view(public_host_[v]) : std::string_view(svc.name));
      out.AddInt("server.port", root ? 443 : svc.port);
      out.AddString(root ? "client.address" : "network.peer.address", peer_ip);
      std::string_view agent;
      if (root) {
        agent = svc.name == "mobile-bff"    ? kMobileAgents[rng_.Below(std::size(kMobileAgents))]
                : svc.name == "api-gateway" ? kApiAgents[rng_.Below(std::size(kApiAgents))]
                                            : kBrowserAgents[rng_.Below(std::size(kBrowserAgents))];
      } else {
        agent = ClientUserAgent(
            fleet_->services[fleet_->instances[inbound.caller_instance].service].language);
      }
      out.AddString("user_agent.original", agent);
      out.AddInt("http.response.status_code", status);
      out.AddString("network.protocol.version", root ? "2" : "1.1");
      break;
    }
    case OperationKind::kGrpc:
      out.AddString("rpc.system", "grpc");
      out.AddString("rpc.service", op.rpc_service);
      out.AddString("rpc.method", op.rpc_method);
      out.AddInt("rpc.grpc.status_code", GrpcCode(status));
      out.AddString("server.address", svc.name);
      out.AddInt("server.port", svc.port);
      out.AddString("network.peer.address", peer_ip);
      out.AddInt("network.peer.port", rng_.Between(32768, 60999));
      out.AddString("network.transport", "tcp");
      out.AddString("network.type", "ipv4");
      break;
    case OperationKind::kConsumer:
      out.AddString("messaging.system", "kafka");
      out.AddString("messaging.destination.name", op.topic);
      out.AddString("messaging.operation.type", "process");
      out.AddString("messaging.operation.name", "process");
      out.AddString("messaging.consumer.group.name", svc.name);
      out.AddString("messaging.kafka.message.key", inbound.message_key);
      out.AddInt("messaging.kafka.message.offset", rng_.Between(100'000, 99'999'999));
      out.AddString("server.address", kKafkaAddress);
      out.AddInt("server.port", kKafkaPort);
      break;
  }
  if (error) out.AddString("error.type", ErrorType(status, false));
  EndAttributes(span, out);

  trace_end_ns_ = std::max(trace_end_ns_, end_ns);
  if (load_ != nullptr) {
    InstanceLoad& load = (*load_)[inst];
    ++load.requests;
    load.errors += error ? 1 : 0;
    load.busy_ns += pre_ns + post_ns;
    load.latency_ns += end_ns - start_ns;
  }
  if (logs_ != nullptr) {
    event.service = v;
    event.instance = inst;
    event.operation = &op;
    event.trace_id = trace_id_;
    event.span_id = id;
    event.start_ns = start_ns;
    event.end_ns = end_ns;
    event.status = status;
    event.error = error;
    event.url_path = inbound.url_path;
    event.client_ip = peer_ip;
    logs_->OnRequest(event, out);
  }
  return {end_ns, inst, status, error};
}

TraceGenerator::StepOutcome TraceGenerator::Call(const CallStep& step, int caller_instance,
                                                 const model::SpanId& parent, core::TimeNs start_ns,
                                                 TelemetryBuffer& out,
                                                 const Operation** callee_op) {
  const Service& callee = fleet_->services[step.target];
  const int j = step.target_operation >= 0
                    ? step.target_operation
                    : static_cast<int>(rng_.PickCumulative(callee.operation_weights_cumulative));
  const Operation& op = callee.operations[j];
  *callee_op = &op;
  std::string_view url_path;
  StepOutcome outcome;
  core::TimeNs t = start_ns;
  for (int attempt = 0;; ++attempt) {
    outcome = CallAttempt(step, j, caller_instance, parent, t, attempt, &url_path, out);
    if (!outcome.error ||
        !ShouldRetry(outcome.refused, outcome.timeout, outcome.status, op, attempt)) {
      break;
    }
    // Exponential backoff with jitter: 50 ms, then 100 ms, +-50 %.
    t = outcome.end_ns + static_cast<core::TimeNs>(rng_.Uniform(0.5, 1.5) *
                                                   (50 * core::kNsPerMillisecond << attempt));
  }
  outcome.failed_service = step.target;
  outcome.failed_operation = &op;
  return outcome;
}

TraceGenerator::StepOutcome TraceGenerator::CallAttempt(
    const CallStep& step, int j, int caller_instance, const model::SpanId& parent,
    core::TimeNs start_ns, int attempt, std::string_view* url_path, TelemetryBuffer& out) {
  const Service& callee = fleet_->services[step.target];
  const Operation& op = callee.operations[j];
  const model::SpanId id = NewSpanId();
  const size_t span =
      BeginSpan(SimSpanKind::kClient, op.name, caller_instance, id, parent, start_ns, 0, out);
  Inbound inbound;
  inbound.caller_instance = caller_instance;
  if (op.kind == OperationKind::kHttp) {
    if (attempt == 0) *url_path = ExpandRoute(op.http_route, out);
    inbound.url_path = *url_path;
  }

  ServiceState callee_state;
  EdgeState edge;
  if (faults_ != nullptr) {
    callee_state = faults_->ServiceStateAt(step.target, start_ns);
    if (faults_->has_edge_faults()) {
      edge =
          faults_->EdgeStateAt(fleet_->instances[caller_instance].service, step.target, start_ns);
    }
  }
  StepOutcome outcome;
  int callee_instance = -1;
  const bool refused = callee_state.unavailable_probability > 0 &&
                       rng_.Bernoulli(callee_state.unavailable_probability);
  const bool stalled =
      !refused && edge.stall_probability > 0 && rng_.Bernoulli(edge.stall_probability);
  if (refused || stalled) {
    // The request never reaches a process: no SERVER span.
    callee_instance = callee.instances[rng_.Below(callee.instances.size())];
    outcome.error = true;
    if (refused) {
      outcome.refused = true;
      outcome.status = 503;
      outcome.end_ns = start_ns + static_cast<core::TimeNs>(rng_.LogNormal(400'000, 0.5));
    } else {
      outcome.timeout = true;
      outcome.status = 504;
      outcome.end_ns = start_ns + (step.timeout_ns > 0 ? step.timeout_ns : 30 * core::kNsPerSecond);
    }
  } else {
    core::TimeNs outbound_ns = NetworkDelay();
    core::TimeNs back_ns = NetworkDelay();
    if (edge.retransmit_probability > 0 && rng_.Bernoulli(edge.retransmit_probability)) {
      // A lost segment is resent after the retransmission timeout, which doubles each time the
      // resend is lost too; the wait falls on the request or on the response.
      core::TimeNs wait_ns = 0;
      for (int k = 0; k < 6; ++k) {
        wait_ns += static_cast<core::TimeNs>((kRetransmitTimeoutNs << k) * rng_.Uniform(1, 1.2));
        if (!rng_.Bernoulli(edge.repeat_loss_probability)) break;
      }
      (rng_.Bernoulli(0.5) ? outbound_ns : back_ns) += wait_ns;
    }
    const Served served = Serve(step.target, j, start_ns + outbound_ns, id, inbound, out);
    callee_instance = served.instance;
    outcome.end_ns = served.end_ns + back_ns;
    outcome.error = served.error;
    outcome.status = served.status;
    if (step.timeout_ns > 0 && outcome.end_ns - start_ns > step.timeout_ns) {
      outcome.end_ns = start_ns + step.timeout_ns;
      outcome.error = true;
      outcome.timeout = true;
      outcome.status = 504;
    }
  }

  SimSpan& s = out.spans[span];
  s.end_ns = outcome.end_ns;
  s.error = outcome.error;
  if (outcome.error) {
    s.status_message =
        outcome.refused ? "connection refused" : StatusMessage(outcome.status, outcome.timeout);
  }
  s.attributes_begin = static_cast<uint32_t>(out.attributes.size());
  const std::string_view callee_ip = fleet_->instances[callee_instance].ip;
  const bool answered = !outcome.timeout && !outcome.refused;
  if (op.kind == OperationKind::kHttp) {
    out.AddString("http.request.method", op.http_method);
    scratch_.clear();
    Append(scratch_, "http://", callee.name, ":", callee.port, inbound.url_path);
    out.AddString("url.full", out.Store(scratch_));
    out.AddString("server.address", callee.name);
    out.AddInt("server.port", callee.port);
    out.AddString("network.peer.address", callee_ip);
    out.AddInt("network.peer.port", callee.port);
    if (answered) out.AddInt("http.response.status_code", outcome.status);
    if (attempt > 0) out.AddInt("http.request.resend_count", attempt);
    out.AddString("network.protocol.version", "1.1");
  } else {
    out.AddString("rpc.system", "grpc");
    out.AddString("rpc.service", op.rpc_service);
    out.AddString("rpc.method", op.rpc_method);
    out.AddInt("rpc.grpc.status_code", GrpcCode(outcome.status));
    out.AddString("server.address", callee.name);
    out.AddInt("server.port", callee.port);
    out.AddString("network.peer.address", callee_ip);
    out.AddInt("network.peer.port", callee.port);
    out.AddString("network.transport", "tcp");
    out.AddString("network.type", "ipv4");
  }
  if (outcome.error) {
    out.AddString("error.type", outcome.refused ? std::string_view("connection_refused")
                                                : ErrorType(outcome.status, outcome.timeout));
  }
  EndAttributes(span, out);
  trace_end_ns_ = std::max(trace_end_ns_, outcome.end_ns);
  return outcome;
}

TraceGenerator::StepOutcome TraceGenerator::Publish(const CallStep& step, int caller_instance,
                                                    const model::SpanId& parent,
                                                    core::TimeNs start_ns, TelemetryBuffer& out) {
  const model::SpanId id = NewSpanId();
  const core::TimeNs end_ns = start_ns + step.latency.Sample(rng_, latency_factor_);
  const std::string_view key = NewMessageKey(out);
  const size_t span = BeginSpan(SimSpanKind::kProducer, step.name, caller_instance, id, parent,
                                start_ns, end_ns, out);
  out.AddString("messaging.system", "kafka");
  out.AddString("messaging.destination.name", step.topic);
  out.AddString("messaging.operation.type", "publish");
  out.AddString("messaging.operation.name", "publish");
  out.AddString("messaging.kafka.message.key", key);
  out.AddInt("messaging.destination.partition.id", static_cast<int64_t>(rng_.Below(12)));
  out.AddString("server.address", kKafkaAddress);
  out.AddInt("server.port", kKafkaPort);
  out.AddString("network.peer.address", kKafkaIp);
  out.AddInt("messaging.message.body.size", rng_.Between(200, 4000));
  EndAttributes(span, out);
  trace_end_ns_ = std::max(trace_end_ns_, end_ns);

  // Each consumer group processes the message after its own lag; the producer does not wait.
  for (size_t i = 0; i < step.consumers.size(); ++i) {
    Inbound inbound;
    inbound.message = &step;
    inbound.message_key = key;
    const auto lag_ns = static_cast<core::TimeNs>(rng_.LogNormal(8e6, 0.8));
    core::TimeNs at = end_ns + lag_ns;
    // A consumer that is down (restarting) takes the message once it is back.
    for (int k = 0; faults_ != nullptr && k < 60 &&
                    faults_->ServiceStateAt(step.consumers[i], at).unavailable_probability >= 1;
         ++k) {
      at += core::kNsPerSecond;
    }
    Serve(step.consumers[i], step.consumer_operations[i], at, id, inbound, out);
  }
  StepOutcome outcome;
  outcome.end_ns = end_ns;
  return outcome;
}

TraceGenerator::StepOutcome TraceGenerator::CallPeer(const CallStep& step, int service,
                                                     int caller_instance,
                                                     const model::SpanId& parent,
                                                     core::TimeNs start_ns, TelemetryBuffer& out,
                                                     bool* missed) {
  const Peer& peer = fleet_->peers[step.target];
  const ServiceState state =
      faults_ != nullptr ? faults_->PeerStateAt(step.target, start_ns) : ServiceState{};
  core::TimeNs duration_ns = step.latency.Sample(rng_, latency_factor_ * state.latency_multiplier) +
                             state.added_latency_ns;
  StepOutcome outcome;
  const double p_fail = 1 - (1 - peer.error_probability) * (1 - state.error_probability);
  outcome.error = rng_.Bernoulli(p_fail);
  if (outcome.error && state.error_style == ErrorStyle::kRefused &&
      rng_.Uniform() * p_fail < state.error_probability) {
    // The peer is down: the connection is refused at once, or (no RST from a dead host) the
    // connect attempt times out.
    if (rng_.Bernoulli(0.3)) {
      outcome.timeout = true;
    } else {
      outcome.refused = true;
      duration_ns = static_cast<core::TimeNs>(rng_.LogNormal(500'000, 0.5));
    }
  } else if (outcome.error && peer.kind != PeerKind::kHttpApi && rng_.Bernoulli(0.4)) {
    outcome.timeout = true;
  }
  if (step.timeout_ns > 0 && duration_ns > step.timeout_ns) {
    outcome.error = true;
    outcome.timeout = true;
  }
  if (outcome.timeout && step.timeout_ns > 0) duration_ns = step.timeout_ns;
  if (peer.kind == PeerKind::kHttpApi) {
    outcome.status = step.http_method == "POST" ? 201 : 200;
    if (outcome.error) {
      outcome.status = step.target == kPaymentProviderPeer && state.error_probability == 0
                           ? 402
                           : (state.error_http_status != 0 ? state.error_http_status : 503);
    }
  } else if (outcome.error) {
    outcome.status = 500;
  }
  if (peer.kind == PeerKind::kCache && !step.after_cache_miss) {
    *missed = outcome.error || rng_.Bernoulli(step.miss_probability);
  }
  outcome.end_ns = start_ns + duration_ns;

  const model::SpanId id = NewSpanId();
  const size_t span = BeginSpan(SimSpanKind::kClient, step.name, caller_instance, id, parent,
                                start_ns, outcome.end_ns, out);
  SimSpan& s = out.spans[span];
  s.error = outcome.error;
  if (outcome.error) {
    s.status_message = outcome.timeout                    ? "connection timeout"
                       : outcome.refused                  ? "connection refused"
                       : outcome.status == 402            ? "payment declined"
                       : peer.kind == PeerKind::kDatabase ? "deadlock detected"
                                                          : "upstream unavailable";
  }
  const Service& svc = fleet_->services[service];
  if (peer.kind == PeerKind::kHttpApi) {
    out.AddString("http.request.method", step.http_method);
    scratch_.clear();
    Append(scratch_, "https://", peer.server_address, step.statement);
    out.AddString("url.full", out.Store(scratch_));
    out.AddString("server.address", peer.server_address);
    out.AddInt("server.port", peer.port);
    if (!outcome.timeout && !outcome.refused) {
      out.AddInt("http.response.status_code", outcome.status);
    }
    out.AddString("network.protocol.version", "1.1");
  } else {
    out.AddString("db.system", peer.db_system);
    if (peer.kind == PeerKind::kDatabase) {
      out.AddString("db.name", svc.db_name.empty() ? svc.domain : svc.db_name);
      out.AddString("db.sql.table", step.db_table);
    } else {
      out.AddInt("db.redis.database_index", 0);
    }
    out.AddString("db.statement", step.statement);
    out.AddString("db.operation", step.db_operation);
    out.AddString("server.address", peer.server_address);
    out.AddInt("server.port", peer.port);
  }
  out.AddString("network.peer.address", peer.ip);
  out.AddInt("network.peer.port", peer.port);
  out.AddString("peer.service", peer.name);
  if (outcome.error) {
    out.AddString("error.type", outcome.refused ? std::string_view("connection_refused")
                                                : ErrorType(outcome.status, outcome.timeout));
  }
  EndAttributes(span, out);

  if (logs_ != nullptr) {
    PeerCallEvent event;
    event.service = service;
    event.instance = caller_instance;
    event.step = &step;
    event.peer = step.target;
    event.trace_id = trace_id_;
    event.span_id = id;
    event.start_ns = start_ns;
    event.end_ns = outcome.end_ns;
    event.error = outcome.error;
    event.timeout = outcome.timeout;
    event.refused = outcome.refused;
    event.status = outcome.status;
    logs_->OnPeerCall(event, out);
  }
  return outcome;
}

core::TimeNs TraceGenerator::DoInternalWork(const CallStep& step, int service, int instance,
                                            const model::SpanId& parent, core::TimeNs start_ns,
                                            TelemetryBuffer& out) {
  const ServiceState state =
      faults_ != nullptr ? faults_->ServiceStateAt(service, start_ns) : ServiceState{};
  const core::TimeNs end_ns =
      start_ns + step.latency.Sample(rng_, latency_factor_ * fleet_->instances[instance].speed *
                                               state.latency_multiplier);
  const size_t span = BeginSpan(SimSpanKind::kInternal, step.name, instance, NewSpanId(), parent,
                                start_ns, end_ns, out);
  out.AddString("code.function", step.statement);
  out.AddString("code.namespace", fleet_->services[service].domain);
  EndAttributes(span, out);
  return end_ns;
}

}  // namespace augur::sim
