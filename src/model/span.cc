#include "model/span.h"

namespace augur::model {

std::string_view SpanKindName(SpanKind kind) {
  switch (kind) {
    case SpanKind::kUnspecified:
      return "SPAN_KIND_UNSPECIFIED";
    case SpanKind::kInternal:
      return "SPAN_KIND_INTERNAL";
    case SpanKind::kServer:
      return "SPAN_KIND_SERVER";
    case SpanKind::kClient:
      return "SPAN_KIND_CLIENT";
    case SpanKind::kProducer:
      return "SPAN_KIND_PRODUCER";
    case SpanKind::kConsumer:
      return "SPAN_KIND_CONSUMER";
  }
  return "SPAN_KIND_UNSPECIFIED";
}

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kUnset:
      return "STATUS_CODE_UNSET";
    case StatusCode::kOk:
      return "STATUS_CODE_OK";
    case StatusCode::kError:
      return "STATUS_CODE_ERROR";
  }
  return "STATUS_CODE_UNSET";
}

}  // namespace augur::model
