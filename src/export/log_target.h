// What one log store takes: how a batch of mined log records becomes an HTTP request, what has to
// exist before the first batch (a table, an index template), and how to read the answer. A
// LogExporter (log_exporter.h) does the queueing, batching, retrying and counting around it.
//
// Implementations are immutable after construction; their methods run on the exporter's sender
// thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/http.h"
#include "model/mined_log.h"

namespace augur::exporter {

// One HTTP request; `target` is relative to the endpoint's path ("/_bulk").
struct HttpCall {
  std::string method = "POST";
  std::string target;
  core::HttpHeaders headers;
  std::string body;
};

// A request to make before sending data; an optional one may fail (the server lacks a feature).
struct SetupCall {
  std::string what;  // for logs: "create table augur.logs"
  HttpCall call;
  bool optional = false;
};

// What became of a batch's records after a response.
struct Verdict {
  std::vector<uint32_t> retry;  // indices into the batch: send again later (429, 5xx)
  uint64_t failed = 0;          // records the store refused for good (counted as dropped)
  std::string error;            // why, when anything was not stored
};

class LogTarget {
 public:
  virtual ~LogTarget() = default;

  // The exporter's name in configuration and self-telemetry ("clickhouse").
  virtual std::string_view name() const = 0;
  // Requests that make the store ready, in order; run before the first batch and again after a
  // batch failed (the table may have been dropped meanwhile).
  virtual std::vector<SetupCall> Setup() const { return {}; }
  virtual HttpCall Encode(std::span<const model::MinedLogRecord* const> records) const = 0;
  // Reads the response to an encoded batch of `records` records. The default goes by the status:
  // 2xx stored, 429 and 5xx retry, any other status refused.
  virtual Verdict Judge(const core::HttpResponse& response, size_t records) const;
};

}  // namespace augur::exporter
