#include "derive/service_log_miners.h"

#include <fmt/format.h>

#include "core/binary_io.h"
#include "core/hash.h"
#include "model/partials.h"

namespace augur::derive {
namespace {

constexpr std::string_view kMagic = "ALGM";
constexpr uint32_t kVersion = 1;

static_assert(LogTemplateMiner::kOverflowTemplate == model::kOverflowTemplateId);

// One service's entry: name, first-seen time, metadata count and entries, miner state.
struct Entry {
  std::string_view service;
  core::TimeNs first_seen_ns = 0;
  std::vector<ServiceLogMiners::TemplateMeta> templates;
  std::string_view miner;
};

void WriteEntry(core::BinaryWriter* w, std::string_view service, core::TimeNs first_seen,
                const std::vector<ServiceLogMiners::TemplateMeta>& templates,
                std::string_view miner) {
  w->PutString(service);
  w->Put<int64_t>(first_seen);
  w->Put<uint32_t>(static_cast<uint32_t>(templates.size()));
  for (const auto& t : templates) {
    w->Put<int64_t>(t.first_seen_ns);
    w->Put<uint8_t>(static_cast<uint8_t>(t.first_severity));
  }
  w->PutString(miner);
}

// Calls fn(entry) for each entry; stops at the first corrupt one.
template <typename Fn>
absl::Status ForEachEntry(std::string_view checkpoint, Fn fn) {
  if (checkpoint.substr(0, kMagic.size()) != kMagic) {
    return absl::InvalidArgumentError("not an Augur log template checkpoint");
  }
  core::BinaryReader r(checkpoint.substr(kMagic.size()));
  uint32_t version = 0;
  uint64_t count = 0;
  if (!r.Get(&version) || version != kVersion) {
    return absl::InvalidArgumentError(
        fmt::format("log template checkpoint version {} is not supported (this build reads {})",
                    version, kVersion));
  }
  if (!r.Get(&count)) return absl::InvalidArgumentError("log template checkpoint truncated");
  for (uint64_t i = 0; i < count; ++i) {
    Entry e;
    uint32_t n = 0;
    bool ok = r.GetString(&e.service) && r.Get(&e.first_seen_ns) && r.Get(&n) &&
              n <= LogTemplateMiner::kOverflowTemplate;
    for (uint32_t k = 0; ok && k < n; ++k) {
      ServiceLogMiners::TemplateMeta m;
      uint8_t severity = 0;
      ok = r.Get(&m.first_seen_ns) && r.Get(&severity) && severity <= 6;
      m.first_severity = static_cast<model::Severity>(severity);
      e.templates.push_back(m);
    }
    ok = ok && r.GetString(&e.miner);
    if (!ok) {
      return absl::InvalidArgumentError(
          fmt::format("log template checkpoint truncated or corrupt at entry {}", i));
    }
    fn(e);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status LogMiningConfig::Validate() const {
  if (max_services < 1) {
    return absl::InvalidArgumentError("logs.max_services must be at least 1");
  }
  if (max_example_bytes < 16) {
    return absl::InvalidArgumentError("logs.max_example_bytes must be at least 16");
  }
  if (absl::Status s = miner.Validate(); !s.ok()) {
    // The miner names its options log_templates.*; in augur.yaml they sit under logs.
    std::string message(s.message());
    if (message.starts_with("log_templates.")) message.replace(0, 14, "logs.");
    return absl::InvalidArgumentError(message);
  }
  return absl::OkStatus();
}

ServiceLogMiners::ServiceLogMiners(LogMiningConfig config) : config_(std::move(config)) {}

ServiceLogMiners::Service* ServiceLogMiners::Get(std::string_view service, core::TimeNs t) {
  auto it = services_.find(absl::string_view(service.data(), service.size()));
  if (it != services_.end()) return it->second.get();
  if (services_.size() >= config_.max_services) return nullptr;
  auto s = std::make_unique<Service>(config_.miner);
  s->first_seen_ns = t;
  Service* raw = s.get();
  services_.emplace(std::string(service), std::move(s));
  return raw;
}

const ServiceLogMiners::Service* ServiceLogMiners::Find(std::string_view service) const {
  auto it = services_.find(absl::string_view(service.data(), service.size()));
  return it == services_.end() ? nullptr : it->second.get();
}

uint32_t ServiceLogMiners::Learn(Service* service, std::string_view line, core::TimeNs t,
                                 model::Severity severity) {
  if (service == nullptr) {
    ++overflow_lines_;
    return model::kOverflowTemplateId;
  }
  const uint32_t id = service->miner.Learn(line);
  if (id == LogTemplateMiner::kOverflowTemplate) {
    ++overflow_lines_;
    return id;
  }
  if (id >= service->templates.size()) {
    // Ids are handed out in order: a new template.
    service->templates.resize(id + 1, TemplateMeta{t, severity});
  } else {
    TemplateMeta& m = service->templates[id];
    // Lines replayed out of order: the template is as old as its oldest line.
    if (t < m.first_seen_ns) m.first_seen_ns = t;
  }
  return id;
}

size_t ServiceLogMiners::MemoryBytes() const {
  size_t bytes = sizeof(*this) + services_.capacity() * (sizeof(std::string) + sizeof(void*) + 1);
  for (const auto& [name, s] : services_) {
    bytes += name.capacity() + sizeof(Service) + s->miner.MemoryBytes() +
             s->templates.capacity() * sizeof(TemplateMeta);
  }
  return bytes;
}

void ServiceLogMiners::Save(std::string* out) const {
  out->append(kMagic);
  core::BinaryWriter w(out);
  w.Put<uint32_t>(kVersion);
  w.Put<uint64_t>(services_.size());
  std::string miner;
  for (const auto& [name, s] : services_) {
    miner.clear();
    s->miner.Save(&miner);
    WriteEntry(&w, name, s->first_seen_ns, s->templates, miner);
  }
}

absl::Status ServiceLogMiners::Restore(std::string_view checkpoint) {
  std::vector<std::pair<std::string, std::unique_ptr<Service>>> restored;
  absl::Status status = absl::OkStatus();
  absl::Status parsed = ForEachEntry(checkpoint, [&](const Entry& e) {
    if (!status.ok()) return;
    auto s = std::make_unique<Service>(config_.miner);
    if (absl::Status m = s->miner.Restore(e.miner); !m.ok()) {
      status = absl::InvalidArgumentError(
          fmt::format("log templates of service '{}': {}", e.service, std::string(m.message())));
      return;
    }
    s->first_seen_ns = e.first_seen_ns;
    s->templates = e.templates;
    restored.emplace_back(std::string(e.service), std::move(s));
  });
  if (!parsed.ok()) return parsed;
  if (!status.ok()) return status;
  for (auto& [name, s] : restored) {
    auto it = services_.find(name);
    if (it != services_.end()) {
      it->second = std::move(s);
    } else if (services_.size() < config_.max_services) {
      services_.emplace(std::move(name), std::move(s));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ServiceLogMiners::SplitCheckpoint(
    std::string_view checkpoint, int shards) {
  std::vector<std::string> bodies(shards);
  std::vector<uint64_t> counts(shards, 0);
  absl::Status s = ForEachEntry(checkpoint, [&](const Entry& e) {
    const int shard = core::ShardOf(e.service, shards);
    core::BinaryWriter w(&bodies[shard]);
    WriteEntry(&w, e.service, e.first_seen_ns, e.templates, e.miner);
    ++counts[shard];
  });
  if (!s.ok()) return s;
  std::vector<std::string> parts(shards);
  for (int i = 0; i < shards; ++i) {
    parts[i].append(kMagic);
    core::BinaryWriter w(&parts[i]);
    w.Put<uint32_t>(kVersion);
    w.Put<uint64_t>(counts[i]);
    parts[i].append(bodies[i]);
  }
  return parts;
}

}  // namespace augur::derive
