// The log template miners of one derive shard: one LogTemplateMiner per service (log records are
// routed to derive shards by service, so a service's lines all meet one miner), plus what stage 2
// needs to judge a template: when it and its service were first seen, and at which severity.
//
// Bounded: at most `max_services` services per shard get a miner. Lines of further services get
// model::kOverflowTemplateId (they are still counted per service and severity) and are counted in
// overflow_lines(). Each miner is bounded by its options (LogTemplateMinerOptions::
// MemoryBoundBytes), so the shard's miners never hold more than max_services times that.
//
// State survives restarts: Save() writes every service's miner and metadata keyed by service
// name, so SplitCheckpoint() can hand each service to the shard that owns it under another shard
// count.
//
// Owned by one derive shard; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/time.h"
#include "derive/log_template_miner.h"
#include "model/log_record.h"

namespace augur::derive {

struct LogMiningConfig {
  size_t max_services = 1000;  // services with a miner, per derive shard
  // Per service. The pipeline's defaults keep a worst-case miner at 6.8 MB (docs/logs.md).
  LogTemplateMinerOptions miner = [] {
    LogTemplateMinerOptions o;
    o.max_templates = 1000;
    o.max_line_bytes = 4096;
    return o;
  }();
  size_t max_example_bytes = 512;  // example lines handed to stage 2 are cut to this

  absl::Status Validate() const;
};

class ServiceLogMiners {
 public:
  struct TemplateMeta {
    core::TimeNs first_seen_ns = 0;
    model::Severity first_severity = model::Severity::kUnspecified;
  };
  // One service's miner and metadata.
  struct Service {
    explicit Service(const LogTemplateMinerOptions& options) : miner(options) {}
    LogTemplateMiner miner;
    core::TimeNs first_seen_ns = 0;       // event time of its first mined line
    std::vector<TemplateMeta> templates;  // by template id
  };

  explicit ServiceLogMiners(LogMiningConfig config);

  // The service's miner state, created on its first line (at event time `t`); nullptr when the
  // shard already holds max_services services.
  Service* Get(std::string_view service, core::TimeNs t);
  // The template id of `line`, learning from it; kOverflowTemplateId when `service` is nullptr
  // or its miner is full. Counts overflow lines.
  uint32_t Learn(Service* service, std::string_view line, core::TimeNs t, model::Severity severity);
  const Service* Find(std::string_view service) const;

  size_t services() const { return services_.size(); }
  uint64_t overflow_lines() const { return overflow_lines_; }
  size_t MemoryBytes() const;
  const LogMiningConfig& config() const { return config_; }

  // Checkpoint "ALGM" v1: every service's name, first-seen time, template metadata and miner.
  void Save(std::string* out) const;
  // Adds the services of a checkpoint (replacing ones of the same name). All or nothing: a
  // corrupt checkpoint changes nothing. Services beyond max_services are skipped.
  absl::Status Restore(std::string_view checkpoint);
  // Splits a checkpoint into one per shard by core::ShardOf(service, shards).
  static absl::StatusOr<std::vector<std::string>> SplitCheckpoint(std::string_view checkpoint,
                                                                  int shards);

 private:
  LogMiningConfig config_;
  absl::flat_hash_map<std::string, std::unique_ptr<Service>> services_;
  uint64_t overflow_lines_ = 0;
};

}  // namespace augur::derive
