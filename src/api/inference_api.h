// The SageMaker inference contract on :8080, so that an Augur image can serve as a SageMaker model
// container and teams that call Random Cut Forest endpoints can point them at Augur:
//   GET  /ping          200 when the container can take requests
//   POST /invocations   a window of points, scored in order by a fresh default detector:
//     text/csv          one point per line: "value" or "timestamp,value" (RFC 3339 or seconds)
//     application/json  {"instances": [{"features": [value]} | {"features": [timestamp, value]}]}
//                       or {"values": [v, ...]}
//   answer              {"scores": [{"score": s}, ...]}, one per point, calibrated in [0, 1]
// Points without timestamps are taken one minute apart. Scores are 0 while the detector is still
// learning (the first points of the window).
//
// Stateless and thread-safe.
#pragma once

#include "core/http_server.h"

namespace augur::api {

class InferenceApi {
 public:
  // `max_points` bounds one request's work.
  explicit InferenceApi(size_t max_points = 1'000'000) : max_points_(max_points) {}

  void Register(core::HttpServer* server);
  void Invocations(const core::HttpRequest& request, core::HttpResponse* response) const;

 private:
  size_t max_points_;
};

}  // namespace augur::api
