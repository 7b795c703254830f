#include "api/inference_api.h"

#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/json_response.h"
#include "core/status_util.h"
#include "detect/detector.h"

namespace augur::api {
namespace {

using nlohmann::json;

struct Point {
  core::TimeNs t = 0;
  double value = 0;
};

constexpr core::TimeNs kDefaultSpacing = core::kNsPerMinute;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool ParseDouble(std::string_view s, double* v) {
  s = Trim(s);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(*v);
}

absl::Status ParseCsv(std::string_view body, size_t max_points, std::vector<Point>* out) {
  size_t line_number = 0;
  while (!body.empty()) {
    size_t nl = body.find('\n');
    std::string_view line = Trim(body.substr(0, nl));
    body.remove_prefix(nl == std::string_view::npos ? body.size() : nl + 1);
    ++line_number;
    if (line.empty()) continue;
    if (out->size() >= max_points) {
      return absl::InvalidArgumentError(fmt::format("more than {} points", max_points));
    }
    Point p;
    size_t comma = line.find(',');
    if (comma == std::string_view::npos) {
      if (!ParseDouble(line, &p.value)) {
        return absl::InvalidArgumentError(
            fmt::format("line {}: '{}' is not a number", line_number, line));
      }
      p.t = static_cast<core::TimeNs>(out->size()) * kDefaultSpacing;
    } else {
      if (line.find(',', comma + 1) != std::string_view::npos) {
        return absl::InvalidArgumentError(
            fmt::format("line {}: expected 'value' or 'timestamp,value', got {} columns",
                        line_number, std::count(line.begin(), line.end(), ',') + 1));
      }
      absl::StatusOr<core::TimeNs> t = ParseTimeParam(Trim(line.substr(0, comma)));
      if (!t.ok() || !ParseDouble(line.substr(comma + 1), &p.value)) {
        return absl::InvalidArgumentError(
            fmt::format("line {}: expected 'timestamp,value', got '{}'", line_number, line));
      }
      p.t = *t;
    }
    out->push_back(p);
  }
  return absl::OkStatus();
}

absl::Status ParseJson(std::string_view body, size_t max_points, std::vector<Point>* out) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError("request body is not a JSON object");
  }
  if (doc.contains("values")) {
    const json& values = doc["values"];
    if (!values.is_array()) return absl::InvalidArgumentError("values: expected an array");
    for (size_t i = 0; i < values.size(); ++i) {
      if (!values[i].is_number()) {
        return absl::InvalidArgumentError(fmt::format("values[{}]: expected a number", i));
      }
      out->push_back(
          Point{static_cast<core::TimeNs>(i) * kDefaultSpacing, values[i].get<double>()});
    }
  } else if (doc.contains("instances") && doc["instances"].is_array()) {
    const json& instances = doc["instances"];
    for (size_t i = 0; i < instances.size(); ++i) {
      const json& f = instances[i].is_object() ? instances[i].value("features", json()) : json();
      if (!f.is_array() || f.empty() || f.size() > 2) {
        return absl::InvalidArgumentError(
            fmt::format("instances[{}].features: expected [value] or [timestamp, value]", i));
      }
      Point p{static_cast<core::TimeNs>(i) * kDefaultSpacing, 0};
      if (f.size() == 2) {
        absl::StatusOr<core::TimeNs> t =
            f[0].is_string()   ? ParseTimeParam(f[0].get<std::string>())
            : f[0].is_number() ? absl::StatusOr<core::TimeNs>(static_cast<core::TimeNs>(
                                     f[0].get<double>() * core::kNsPerSecond))
                               : absl::InvalidArgumentError("bad time");
        if (!t.ok()) {
          return absl::InvalidArgumentError(
              fmt::format("instances[{}].features[0]: expected a timestamp", i));
        }
        p.t = *t;
      }
      const json& v = f.back();
      if (!v.is_number()) {
        return absl::InvalidArgumentError(
            fmt::format("instances[{}].features: the value must be a number", i));
      }
      p.value = v.get<double>();
      out->push_back(p);
    }
  } else {
    return absl::InvalidArgumentError(
        R"(expected {"instances": [{"features": [...]}]} or {"values": [...]})");
  }
  if (out->size() > max_points) {
    return absl::InvalidArgumentError(fmt::format("more than {} points", max_points));
  }
  return absl::OkStatus();
}

}  // namespace

void InferenceApi::Register(core::HttpServer* server) {
  server->Handle("GET", "/ping", [](const core::HttpRequest&, core::HttpResponse* r) {
    r->status = 200;
    r->body = "";
  });
  server->Handle("POST", "/invocations",
                 [this](const core::HttpRequest& q, core::HttpResponse* r) { Invocations(q, r); });
}

void InferenceApi::Invocations(const core::HttpRequest& request,
                               core::HttpResponse* response) const {
  std::string_view type = request.Header("Content-Type");
  type = type.substr(0, type.find(';'));
  std::vector<Point> points;
  absl::Status parsed;
  if (type == "text/csv") {
    parsed = ParseCsv(*request.body, max_points_, &points);
  } else if (type == "application/json") {
    parsed = ParseJson(*request.body, max_points_, &points);
  } else {
    response->status = 415;
    response->body = fmt::format("unsupported Content-Type '{}': use text/csv or application/json",
                                 request.Header("Content-Type"));
    return;
  }
  if (!parsed.ok()) {
    response->status = 400;
    response->body = std::string(core::MessageOf(parsed));
    return;
  }
  for (size_t i = 1; i < points.size(); ++i) {
    if (points[i].t < points[i - 1].t) {
      response->status = 400;
      response->body = fmt::format("point {}: timestamps must not go backwards", i + 1);
      return;
    }
  }
  std::unique_ptr<detect::Detector> detector =
      detect::MakeDetector(detect::DefaultDetectorType(), detect::DetectorOptions{});
  json scores = json::array();
  for (const Point& p : points) {
    detect::Assessment a = detector->Observe(p.t, p.value);
    scores.push_back(json{{"score", a.learning ? 0.0 : a.score}});
  }
  response->status = 200;
  response->content_type = "application/json";
  response->body = json{{"scores", std::move(scores)}}.dump();
}

}  // namespace augur::api
