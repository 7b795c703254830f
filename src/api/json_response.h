// JSON answers in Prometheus' API envelope, shared by the REST handlers.
#pragma once

#include <cmath>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "core/http.h"
#include "core/time.h"

namespace augur::api {

// JSON has no NaN or infinity: undefined values are null.
inline nlohmann::json Number(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

// {"status":"success","data":data}
void Success(nlohmann::json data, core::HttpResponse* response, int status = 200);
// {"status":"error","errorType":type,"error":message}
void Error(int status, std::string_view type, std::string_view message,
           core::HttpResponse* response);
// {"time": RFC 3339, "time_unix_nano": now}
nlohmann::json TimeOf(core::TimeNs now);

// A time parameter as Prometheus takes it: RFC 3339 or Unix seconds (fractions allowed).
absl::StatusOr<core::TimeNs> ParseTimeParam(std::string_view text);

// The request body as a JSON object, or an error naming the problem (400 already written).
bool ParseJsonBody(const core::HttpRequest& request, nlohmann::json* out,
                   core::HttpResponse* response);

}  // namespace augur::api
