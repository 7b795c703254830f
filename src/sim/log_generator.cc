#include "sim/log_generator.h"

#include <algorithm>
#include <cmath>

#include <fmt/printf.h>

#include "sim/core_shop.h"
#include "sim/operation_factory.h"
#include "sim/text.h"

namespace augur::sim {

namespace {

constexpr int kDebug = 5;
constexpr int kInfo = 9;
constexpr int kWarn = 13;
constexpr int kError = 17;
constexpr int kFatal = 21;

// Token buckets per service, in lines per simulated second and burst size.
constexpr double kInfoPerSecond = 5;
constexpr double kInfoBurst = 20;
constexpr double kErrorPerSecond = 10;
constexpr double kErrorBurst = 50;

// Access and domain lines per instance per second at the mean load.
constexpr double kAccessLinesPerInstancePerSecond = 0.5;

std::string_view SeverityText(int severity) {
  if (severity >= kFatal) return "FATAL";
  if (severity >= kError) return "ERROR";
  if (severity >= kWarn) return "WARN";
  if (severity >= kInfo) return "INFO";
  return "DEBUG";
}

double Ms(core::TimeNs ns) { return static_cast<double>(ns) / core::kNsPerMillisecond; }

std::string_view GrpcCodeName(int http_status) {
  switch (http_status) {
    case 400:
      return "InvalidArgument";
    case 402:
      return "FailedPrecondition";
    case 404:
      return "NotFound";
    case 429:
      return "ResourceExhausted";
    case 502:
    case 503:
      return "Unavailable";
    case 504:
      return "DeadlineExceeded";
    default:
      return http_status >= 500 ? "Internal" : "OK";
  }
}

constexpr std::string_view kDeclineReasons[] = {"card_expired", "insufficient_funds",
                                                "do_not_honor", "incorrect_cvc", "card_declined"};
constexpr std::string_view kStates[] = {"PENDING", "CANCELLED", "LOCKED", "ARCHIVED"};
constexpr std::string_view kFields[] = {"id", "amount", "currency", "items", "address", "status"};
constexpr std::string_view kProducts[] = {"OLJCESPC7Z", "66VCHSJNUP", "1YMWWN1N4O", "L9ECAV7KIM",
                                          "2ZYFJ3GM2N", "0PUK6V6EV0", "LS4PSXUNUM", "9SIQT8TOJO",
                                          "6E92ZMYYFZ", "HQTGWGPNH4"};

}  // namespace

LogGenerator::LogGenerator(const Fleet* fleet, double mean_rate_per_s, uint64_t seed)
    : fleet_(fleet),
      rng_(seed, /*stream=*/4),
      info_buckets_(fleet->services.size(), Bucket{kInfoBurst, 0}),
      error_buckets_(fleet->services.size(), Bucket{kErrorBurst, 0}) {
  for (const Service& s : fleet->services) {
    const double requests_per_s = std::max(1e-9, s.calls_per_trace * mean_rate_per_s);
    access_probability_.push_back(
        std::min(1.0, kAccessLinesPerInstancePerSecond * static_cast<double>(s.instances.size()) /
                          requests_per_s));
  }
}

bool LogGenerator::Admit(int service, bool error, core::TimeNs t) {
  Bucket& b = error ? error_buckets_[service] : info_buckets_[service];
  const double rate = error ? kErrorPerSecond : kInfoPerSecond;
  const double burst = error ? kErrorBurst : kInfoBurst;
  if (t > b.last_ns) {
    b.tokens =
        std::min(burst, b.tokens + rate * static_cast<double>(t - b.last_ns) / core::kNsPerSecond);
    b.last_ns = t;
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

void LogGenerator::Emit(int instance, core::TimeNs t, int severity, std::string_view body,
                        const model::TraceId* trace_id, const model::SpanId* span_id,
                        TelemetryBuffer& out) {
  SimLogRecord& r = out.logs.emplace_back();
  r.time_ns = t;
  r.instance = static_cast<uint32_t>(instance);
  r.severity_number = static_cast<uint8_t>(severity);
  r.severity_text = SeverityText(severity);
  r.body = out.Store(body);
  if (trace_id != nullptr) {
    r.in_span = true;
    r.trace_id = *trace_id;
    r.span_id = *span_id;
  }
  r.attributes_begin = static_cast<uint32_t>(out.attributes.size());
  r.attributes_count = 0;
}

std::string LogGenerator::OrderId() { return fmt::sprintf("%08x", rng_.Next() >> 32); }
std::string LogGenerator::UserId() { return Cat("u-", rng_.Between(10000, 99999)); }

void LogGenerator::OnRequest(const RequestEvent& e, TelemetryBuffer& out) {
  const Service& s = fleet_->services[e.service];
  const Operation& op = *e.operation;
  const double ms = Ms(e.end_ns - e.start_ns);

  if (e.error) {
    if (Admit(e.service, true, e.end_ns)) EmitError(e, out);
    return;
  }
  if (ms > std::max(500.0, 20 * op.self_latency.median_ms) && Admit(e.service, false, e.end_ns)) {
    line_ = fmt::sprintf("slow request %s took %.0fms (threshold %.0fms)", op.name, ms,
                         std::max(500.0, 20 * op.self_latency.median_ms));
    Emit(e.instance, e.end_ns, kWarn, line_, &e.trace_id, &e.span_id, out);
  }
  if (!rng_.Bernoulli(access_probability_[e.service])) return;
  if (!Admit(e.service, false, e.end_ns)) return;

  switch (op.kind) {
    case OperationKind::kHttp:
      line_ = fmt::sprintf("%s %s %d %.0fms user=%s ip=%s", op.http_method, e.url_path, e.status,
                           std::max(1.0, ms), UserId(), e.client_ip);
      break;
    case OperationKind::kGrpc:
      line_ =
          fmt::sprintf("finished unary call grpc.method=%s grpc.code=%s duration=%.1fms peer=%s",
                       op.name, GrpcCodeName(e.status), ms, e.client_ip);
      break;
    case OperationKind::kConsumer:
      line_ = fmt::sprintf("processed message topic=%s partition=%d offset=%d in %.1fms", op.topic,
                           rng_.Below(12), rng_.Between(100000, 9999999), ms);
      break;
  }
  Emit(e.instance, e.end_ns, kInfo, line_, &e.trace_id, &e.span_id, out);

  // Now and then a line about what the request did.
  if (!rng_.Bernoulli(0.5)) return;
  const core::TimeNs t = e.start_ns + (e.end_ns - e.start_ns) / 2;
  if (s.name == "checkout" && op.rpc_method == "PlaceOrder") {
    line_ =
        fmt::sprintf("order %s placed for user %s: %d items, total %.2f %s", OrderId(), UserId(),
                     rng_.Between(1, 6), rng_.Uniform(9, 400), rng_.Bernoulli(0.6) ? "USD" : "EUR");
  } else if (s.name == "cart" && op.rpc_method == "AddItem") {
    line_ = fmt::sprintf("added item %s to cart of user %s quantity=%d",
                         kProducts[rng_.Below(std::size(kProducts))], UserId(), rng_.Between(1, 3));
  } else if (s.name == "email") {
    line_ = fmt::sprintf("sent %s email to %c***@%s", op.http_route.substr(1),
                         static_cast<char>('a' + rng_.Below(26)),
                         rng_.Bernoulli(0.5) ? "gmail.com" : "example.com");
  } else if (s.name == "product-catalog" && rng_.Bernoulli(0.3)) {
    line_ = fmt::sprintf("cache miss for product %s, loaded from database",
                         kProducts[rng_.Below(std::size(kProducts))]);
  } else {
    static constexpr std::string_view kVerbs[] = {"updated", "created", "validated", "synced",
                                                  "resolved"};
    switch (rng_.Below(3)) {
      case 0:
        line_ = fmt::sprintf("%s %s %s in %.1fms", s.domain, OrderId(),
                             kVerbs[rng_.Below(std::size(kVerbs))], ms);
        break;
      case 1:
        line_ = fmt::sprintf("processed batch of %d %s records", rng_.Between(1, 200), s.domain);
        break;
      default:
        line_ = fmt::sprintf("cache hit ratio for %s is %d%%", s.domain, rng_.Between(60, 99));
        Emit(e.instance, t, kDebug, line_, &e.trace_id, &e.span_id, out);
        return;
    }
  }
  Emit(e.instance, t, kInfo, line_, &e.trace_id, &e.span_id, out);
}

void LogGenerator::EmitError(const RequestEvent& e, TelemetryBuffer& out) {
  const Service& s = fleet_->services[e.service];
  const Operation& op = *e.operation;
  switch (e.cause) {
    case FailureCause::kDownstream:
    case FailureCause::kTimeout: {
      const Service& callee = fleet_->services[e.failed_service];
      const std::string_view callee_op =
          e.failed_operation != nullptr ? std::string_view(e.failed_operation->name) : "";
      if (e.cause == FailureCause::kTimeout) {
        line_ = fmt::sprintf("upstream %s timed out after %.0fms calling %s", callee.name,
                             Ms(e.end_ns - e.start_ns), callee_op);
      } else if (e.failed_refused && s.language == Language::kGo) {
        line_ = fmt::sprintf(
            "call to %s failed: rpc error: code = Unavailable desc = connection error: dial tcp "
            "%s:%d: connect: connection refused",
            callee_op, callee.name, callee.port);
      } else if (e.failed_refused) {
        line_ = fmt::sprintf("request to %s (%s) failed: connect ECONNREFUSED %s:%d", callee.name,
                             callee_op, callee.name, callee.port);
      } else if (s.language == Language::kGo) {
        line_ =
            fmt::sprintf("call to %s failed: rpc error: code = %s desc = %s", callee_op,
                         GrpcCodeName(e.status == 502 ? 503 : e.status), "upstream request failed");
      } else {
        line_ = fmt::sprintf("request to %s (%s) failed with status %d", callee.name, callee_op,
                             e.status == 502 ? 503 : e.status);
      }
      break;
    }
    case FailureCause::kPeer: {
      const Peer& peer = fleet_->peers[e.failed_peer];
      if (e.failed_refused) {
        line_ = fmt::sprintf("%s failed: could not connect to %s at %s:%d: connection refused",
                             op.name, peer.name, peer.server_address, peer.port);
      } else if (e.failed_peer == kPaymentProviderPeer) {
        line_ = fmt::sprintf("payment declined for order %s: %s", OrderId(),
                             kDeclineReasons[rng_.Below(std::size(kDeclineReasons))]);
      } else if (peer.kind == PeerKind::kHttpApi) {
        line_ =
            fmt::sprintf("%s request %s failed with status 503", peer.name, e.failed_step->name);
      } else {
        line_ = fmt::sprintf("%s failed: query on %s did not complete", op.name,
                             e.failed_step->db_table);
      }
      break;
    }
    default: {
      if (e.fault_style == ErrorStyle::kBug) {
        FormatBugLine(e);
        break;
      }
      if (e.fault_style == ErrorStyle::kOverload) {
        line_ = fmt::sprintf("%s rejected: too many requests in flight (%d queued, limit %d)",
                             op.name, rng_.Between(200, 1000), 200);
        break;
      }
      if (e.status == 503) {
        line_ = fmt::sprintf("%s rejected: service unavailable (%d requests in flight)", op.name,
                             rng_.Between(50, 400));
        break;
      }
      const std::string_view field = kFields[rng_.Below(std::size(kFields))];
      switch (s.language) {
        case Language::kJava:
          line_ = fmt::sprintf(
              "Unhandled exception in %s: java.lang.IllegalStateException: %s %s is in state %s",
              op.name, s.domain, OrderId(), kStates[rng_.Below(std::size(kStates))]);
          break;
        case Language::kGo:
          line_ = fmt::sprintf("request failed op=%s err=\"%s %s: unexpected EOF\"", op.name,
                               s.domain, OrderId());
          break;
        case Language::kPython:
          line_ = fmt::sprintf("Exception on %s: KeyError: '%s'", op.name, field);
          break;
        case Language::kNodeJs:
          line_ = fmt::sprintf(
              "Error handling %s: TypeError: Cannot read properties of undefined (reading '%s')",
              op.name, field);
          break;
        case Language::kDotNet:
          line_ = fmt::sprintf(
              "Unhandled exception. System.InvalidOperationException: %s %s not found (%s)",
              s.domain, OrderId(), op.name);
          break;
        case Language::kRuby:
          line_ = fmt::sprintf("%s failed: NoMethodError: undefined method `%s' for nil:NilClass",
                               op.name, field);
          break;
        case Language::kPhp:
          line_ = fmt::sprintf("PHP Warning: Undefined array key \"%s\" in %s", field, op.name);
          break;
      }
    }
  }
  Emit(e.instance, e.end_ns, kError, line_, &e.trace_id, &e.span_id, out);
}

void LogGenerator::FormatBugLine(const RequestEvent& e) {
  const Service& s = fleet_->services[e.service];
  const std::string_view op = e.operation->name;
  const std::string type = PascalCase(s.domain);
  const std::string request_id = OrderId();
  switch (s.language) {
    case Language::kJava:
      line_ = fmt::sprintf(
          "Unhandled exception in %s: java.lang.NullPointerException: Cannot read field "
          "\"currencyCode\" because \"price\" is null at "
          "com.shop.%s.%sHandler.handle(%sHandler.java:"
          "214) request_id=%s",
          op, s.domain, type, type, request_id);
      break;
    case Language::kGo:
      line_ = fmt::sprintf(
          "panic recovered in %s: runtime error: invalid memory address or nil pointer "
          "dereference request_id=%s",
          op, request_id);
      break;
    case Language::kPython:
      line_ = fmt::sprintf(
          "Exception on %s: AttributeError: 'NoneType' object has no attribute 'currency_code' "
          "request_id=%s",
          op, request_id);
      break;
    case Language::kNodeJs:
      line_ = fmt::sprintf(
          "Error handling %s: TypeError: Cannot read properties of null (reading 'currencyCode') "
          "request_id=%s",
          op, request_id);
      break;
    case Language::kDotNet:
      line_ = fmt::sprintf(
          "Unhandled exception. System.NullReferenceException: Object reference not set to an "
          "instance of an object. at Shop.%s.%sHandler.Handle() request_id=%s",
          type, type, request_id);
      break;
    case Language::kRuby:
      line_ = fmt::sprintf(
          "%s failed: NoMethodError: undefined method `currency_code' for nil:NilClass "
          "request_id=%s",
          op, request_id);
      break;
    case Language::kPhp:
      line_ = fmt::sprintf(
          "PHP Fatal error: Uncaught TypeError: %sService::handle(): Argument #1 ($currency) must "
          "be of type string, null given request_id=%s",
          type, request_id);
      break;
  }
}

void LogGenerator::OnLifecycle(const LifecycleEvent& e, TelemetryBuffer& out) {
  const Instance& inst = fleet_->instances[e.instance];
  const Service& s = fleet_->services[inst.service];
  const std::string type = PascalCase(s.domain);
  int severity = kInfo;
  switch (e.kind) {
    case LifecycleEvent::Kind::kStarted:
      switch (s.language) {
        case Language::kJava:
          line_ = fmt::sprintf("Starting %sApplication v%s using Java 21.0.2 with PID 1", type,
                               e.version);
          break;
        case Language::kGo:
          line_ =
              fmt::sprintf("starting %s version=%s listening on :%d", s.name, e.version, s.port);
          break;
        case Language::kPython:
          line_ = fmt::sprintf("Starting %s %s: Listening at: http://0.0.0.0:%d (1)", s.name,
                               e.version, s.port);
          break;
        case Language::kNodeJs:
          line_ = fmt::sprintf("%s v%s listening on port %d", s.name, e.version, s.port);
          break;
        case Language::kDotNet:
          line_ =
              fmt::sprintf("Application started. %s version %s now listening on: http://[::]:%d",
                           s.name, e.version, s.port);
          break;
        case Language::kRuby:
          line_ = fmt::sprintf("%s %s booted, listening on tcp://0.0.0.0:%d", s.name, e.version,
                               s.port);
          break;
        case Language::kPhp:
          line_ =
              fmt::sprintf("%s %s ready to handle connections on :%d", s.name, e.version, s.port);
          break;
      }
      break;
    case LifecycleEvent::Kind::kHeapWarning:
      severity = kWarn;
      line_ =
          s.language == Language::kJava
              ? fmt::sprintf(
                    "GC overhead limit approaching: heap usage after full GC is %.0f%% of max",
                    100 * e.heap_share)
              : fmt::sprintf("memory usage at %.0f%% of the container limit", 100 * e.heap_share);
      break;
    case LifecycleEvent::Kind::kOutOfMemory:
      severity = kFatal;
      switch (s.language) {
        case Language::kJava:
          line_ = fmt::sprintf(
              "Exception in thread \"http-nio-%d-exec-%d\" java.lang.OutOfMemoryError: Java heap "
              "space",
              s.port, rng_.Between(1, 200));
          break;
        case Language::kGo:
          line_ = "fatal error: runtime: out of memory";
          break;
        case Language::kPython:
          line_ = fmt::sprintf("Worker (pid:%d) was sent SIGKILL! Perhaps out of memory?",
                               rng_.Between(7, 400));
          break;
        case Language::kNodeJs:
          line_ =
              "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory";
          break;
        case Language::kDotNet:
          line_ =
              "Unhandled exception. System.OutOfMemoryException: Exception of type "
              "'System.OutOfMemoryException' was thrown.";
          break;
        case Language::kRuby:
          line_ = "[FATAL] failed to allocate memory (NoMemoryError)";
          break;
        case Language::kPhp:
          line_ = fmt::sprintf(
              "PHP Fatal error: Allowed memory size of 268435456 bytes exhausted (tried to "
              "allocate %d bytes)",
              rng_.Between(4096, 2097152));
          break;
      }
      break;
  }
  Emit(e.instance, e.time_ns, severity, line_, nullptr, nullptr, out);
}

void LogGenerator::OnPeerCall(const PeerCallEvent& e, TelemetryBuffer& out) {
  const Peer& peer = fleet_->peers[e.peer];
  const CallStep& step = *e.step;
  const double ms = Ms(e.end_ns - e.start_ns);
  if (e.error) {
    if (!Admit(e.service, true, e.end_ns)) return;
    if (e.refused) {
      int severity = kError;
      switch (peer.kind) {
        case PeerKind::kCache:
          severity = kWarn;
          line_ = fmt::sprintf(
              "redis %s failed: dial tcp %s:%d: connect: connection refused; falling back to "
              "database",
              step.db_operation, peer.ip, peer.port);
          break;
        case PeerKind::kDatabase:
          line_ = fmt::sprintf("could not connect to %s at %s:%d: connection refused", peer.name,
                               peer.server_address, peer.port);
          break;
        case PeerKind::kHttpApi:
          line_ = fmt::sprintf("%s request %s failed: connect ECONNREFUSED %s:%d", peer.name,
                               step.name, peer.ip, peer.port);
          break;
      }
      Emit(e.instance, e.end_ns, severity, line_, &e.trace_id, &e.span_id, out);
      return;
    }
    if (e.timeout) {
      line_ = fmt::sprintf("connection timeout to %s:%d after %.0fms", peer.server_address,
                           peer.port, ms);
      Emit(e.instance, e.end_ns, kError, line_, &e.trace_id, &e.span_id, out);
      return;
    }
    switch (peer.kind) {
      case PeerKind::kCache:
        line_ = fmt::sprintf(
            "redis %s failed: connection reset by peer; falling back to "
            "database",
            step.db_operation);
        Emit(e.instance, e.end_ns, kWarn, line_, &e.trace_id, &e.span_id, out);
        return;
      case PeerKind::kDatabase:
        if (rng_.Bernoulli(0.5)) {
          line_ = fmt::sprintf("ERROR: deadlock detected (SQLSTATE 40P01) while executing %s on %s",
                               step.db_operation, step.db_table);
        } else {
          // Every pooled connection is busy: the pool is at its maximum.
          line_ =
              fmt::sprintf("could not obtain connection from pool within %dms (active=%d, max=%d)",
                           1000, 20, 20);
        }
        break;
      case PeerKind::kHttpApi:
        if (e.peer == kPaymentProviderPeer) return;  // the decline is logged by the request
        line_ = fmt::sprintf("%s returned %d for %s", peer.name, e.status, step.name);
        break;
    }
    Emit(e.instance, e.end_ns, kError, line_, &e.trace_id, &e.span_id, out);
    return;
  }
  if (peer.kind != PeerKind::kHttpApi && ms > std::max(100.0, 8 * step.latency.median_ms) &&
      Admit(e.service, false, e.end_ns)) {
    line_ = fmt::sprintf("slow query on %s took %.0fms: %s", step.db_table, ms, step.statement);
    Emit(e.instance, e.end_ns, kWarn, line_, &e.trace_id, &e.span_id, out);
  }
}

void LogGenerator::OnHousekeeping(int instance, core::TimeNs t, TelemetryBuffer& out) {
  const int service = fleet_->instances[instance].service;
  const Service& s = fleet_->services[service];
  const core::TimeNs at = t - static_cast<core::TimeNs>(rng_.Below(core::kNsPerSecond));
  if (rng_.Bernoulli(0.3)) {
    line_ = fmt::sprintf("health check passed status=UP checks=%d duration=%dms",
                         rng_.Between(2, 6), rng_.Between(1, 15));
    Emit(instance, at, kDebug, line_, nullptr, nullptr, out);
  }
  if (!s.db_name.empty() && rng_.Bernoulli(0.2)) {
    line_ = fmt::sprintf("connection pool stats db=%s active=%d idle=%d waiting=0 max=20",
                         s.db_name, rng_.Between(0, 6), rng_.Between(2, 10));
    Emit(instance, at, kInfo, line_, nullptr, nullptr, out);
  }
}

}  // namespace augur::sim
