#include "export/loki_target.h"

#include <snappy.h>

#include "export/loki_push_encoder.h"

namespace augur::exporter {

HttpCall LokiTarget::Encode(std::span<const model::MinedLogRecord* const> records) const {
  HttpCall call;
  call.target = "/loki/api/v1/push";
  call.headers = {{"Content-Type", "application/x-protobuf"}};
  const std::string push = EncodeLokiPush(records);
  snappy::Compress(push.data(), push.size(), &call.body);
  return call;
}

}  // namespace augur::exporter
