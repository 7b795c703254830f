#include "ingest/loki_push_receiver.h"

#include <cctype>

#include <fmt/format.h>
#include <snappy.h>

#include "core/gzip.h"
#include "core/status_util.h"
#include "ingest/loki_push_decoder.h"

namespace augur::ingest {
namespace {

// The media type without parameters, lowercased.
std::string MediaType(std::string_view content_type) {
  std::string out(content_type.substr(0, content_type.find(';')));
  while (!out.empty() && out.back() == ' ') out.pop_back();
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void Answer(int status, std::string_view message, core::HttpResponse* response) {
  response->status = status;
  response->content_type = "text/plain; charset=utf-8";
  response->body = std::string(message);
  response->body += '\n';
}

}  // namespace

void LokiPushReceiver::Register(core::HttpServer* server) {
  server->Handle("POST", std::string(kPath),
                 [this](const core::HttpRequest& q, core::HttpResponse* r) { Handle(q, r); });
}

void LokiPushReceiver::Handle(const core::HttpRequest& request, core::HttpResponse* response) {
  const OtlpReceiverConfig& config = ingester_->config();
  auto count = [&](Outcome o) { ingester_->CountRequest(Protocol::kLoki, Signal::kLogs, o); };
  const std::string media = MediaType(request.Header("Content-Type"));
  bool protobuf;
  if (media == "application/x-protobuf" || media == "application/protobuf") {
    protobuf = true;
  } else if (media == "application/json") {
    protobuf = false;
  } else {
    count(Outcome::kUnsupported);
    Answer(415,
           fmt::format("unsupported Content-Type '{}': the Loki push API takes "
                       "application/x-protobuf (snappy) or application/json",
                       request.Header("Content-Type")),
           response);
    return;
  }

  std::shared_ptr<const std::string> body = request.body;
  const std::string encoding = MediaType(request.Header("Content-Encoding"));
  if (encoding == "gzip" || encoding == "deflate") {
    absl::StatusOr<std::string> inflated =
        core::GunzipBounded(*request.body, config.max_request_bytes);
    if (!inflated.ok()) {
      const bool too_large = inflated.status().code() == absl::StatusCode::kResourceExhausted;
      count(too_large ? Outcome::kTooLarge : Outcome::kInvalid);
      Answer(too_large ? 413 : 400, core::MessageOf(inflated.status()), response);
      return;
    }
    body = std::make_shared<const std::string>(std::move(inflated).value());
  } else if (!encoding.empty() && encoding != "identity") {
    count(Outcome::kUnsupported);
    Answer(415,
           fmt::format("unsupported Content-Encoding '{}': use gzip, deflate or none",
                       request.Header("Content-Encoding")),
           response);
    return;
  } else if (body->size() > config.max_request_bytes) {
    count(Outcome::kTooLarge);
    Answer(413,
           fmt::format("request body of {} bytes exceeds the limit of {} bytes", body->size(),
                       config.max_request_bytes),
           response);
    return;
  }

  if (protobuf) {
    // Loki's protobuf bodies are snappy's block format.
    size_t length = 0;
    if (!snappy::GetUncompressedLength(body->data(), body->size(), &length)) {
      count(Outcome::kInvalid);
      Answer(400, "invalid snappy-compressed body: the length header is corrupt", response);
      return;
    }
    if (length > config.max_request_bytes) {
      count(Outcome::kTooLarge);
      Answer(413,
             fmt::format("decompressed body of {} bytes exceeds the limit of {} bytes", length,
                         config.max_request_bytes),
             response);
      return;
    }
    auto raw = std::make_shared<std::string>();
    if (!snappy::Uncompress(body->data(), body->size(), raw.get())) {
      count(Outcome::kInvalid);
      Answer(400, "invalid snappy-compressed body", response);
      return;
    }
    body = std::move(raw);
  }

  std::string_view bytes = *body;
  IngestOutcome outcome = ingester_->IngestLogs(protobuf ? DecodeLokiPushProto : DecodeLokiPushJson,
                                                bytes, body, Protocol::kLoki);
  switch (outcome.status.code()) {
    case absl::StatusCode::kOk:
      response->status = 204;
      response->content_type.clear();
      response->body.clear();
      return;
    case absl::StatusCode::kUnavailable:
      response->headers.emplace_back("Retry-After", std::to_string(config.retry_after_s));
      Answer(503, core::MessageOf(outcome.status), response);
      return;
    case absl::StatusCode::kResourceExhausted:
      Answer(413, core::MessageOf(outcome.status), response);
      return;
    default:
      Answer(400, core::MessageOf(outcome.status), response);
      return;
  }
}

}  // namespace augur::ingest
