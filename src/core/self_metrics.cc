#include "core/self_metrics.h"

#include <algorithm>

namespace augur::core {

SelfMetrics::Entry* SelfMetrics::Find(std::string_view name, const OwnedLabels& labels) {
  for (auto& e : entries_) {
    if (e->name == name && e->labels == labels) return e.get();
  }
  return nullptr;
}

const SelfMetrics::Entry* SelfMetrics::Find(std::string_view name,
                                            const OwnedLabels& labels) const {
  for (const auto& e : entries_) {
    if (e->name == name && e->labels == labels) return e.get();
  }
  return nullptr;
}

Counter* SelfMetrics::GetCounter(std::string_view name, std::string_view help, OwnedLabels labels) {
  std::lock_guard lock(mu_);
  if (Entry* e = Find(name, labels); e != nullptr && e->counter) return e->counter.get();
  auto e = std::make_unique<Entry>();
  e->name = std::string(name);
  e->help = std::string(help);
  e->labels = std::move(labels);
  e->kind = MetricKind::kCounter;
  e->counter = std::make_unique<Counter>();
  Counter* c = e->counter.get();
  entries_.push_back(std::move(e));
  return c;
}

Gauge* SelfMetrics::GetGauge(std::string_view name, std::string_view help, OwnedLabels labels) {
  std::lock_guard lock(mu_);
  if (Entry* e = Find(name, labels); e != nullptr && e->gauge) return e->gauge.get();
  auto e = std::make_unique<Entry>();
  e->name = std::string(name);
  e->help = std::string(help);
  e->labels = std::move(labels);
  e->kind = MetricKind::kGauge;
  e->gauge = std::make_unique<Gauge>();
  Gauge* g = e->gauge.get();
  entries_.push_back(std::move(e));
  return g;
}

std::unique_ptr<SelfMetrics::CallbackHandle> SelfMetrics::AddCallbackGauge(
    std::string_view name, std::string_view help, OwnedLabels labels,
    std::function<double()> callback) {
  std::lock_guard lock(mu_);
  auto e = std::make_unique<Entry>();
  e->name = std::string(name);
  e->help = std::string(help);
  e->labels = std::move(labels);
  e->kind = MetricKind::kGauge;
  e->callback = std::move(callback);
  e->callback_id = next_callback_id_++;
  uint64_t id = e->callback_id;
  entries_.push_back(std::move(e));
  return std::unique_ptr<CallbackHandle>(new CallbackHandle(this, id));
}

SelfMetrics::CallbackHandle::~CallbackHandle() {
  std::lock_guard lock(owner_->mu_);
  auto& entries = owner_->entries_;
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [this](const auto& e) { return e->callback_id == id_; }),
                entries.end());
}

double SelfMetrics::Value(std::string_view name, const OwnedLabels& labels) const {
  std::lock_guard lock(mu_);
  for (const auto& e : entries_) {
    if (e->name != name || e->labels != labels) continue;
    if (e->counter) return static_cast<double>(e->counter->Value());
    if (e->gauge) return e->gauge->Value();
    if (e->callback) return e->callback();
  }
  return 0;
}

std::vector<SelfMetrics::Sample> SelfMetrics::Snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<Sample> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) {
    if (e->counter) {
      out.push_back({e->name + "_total", e->labels, static_cast<double>(e->counter->Value())});
    } else if (e->gauge) {
      out.push_back({e->name, e->labels, e->gauge->Value()});
    } else if (e->callback) {
      out.push_back({e->name, e->labels, e->callback()});
    }
  }
  return out;
}

void SelfMetrics::WriteTo(Exposition* exposition) const {
  std::lock_guard lock(mu_);
  std::vector<Label> labels;
  for (const auto& e : entries_) {
    labels.clear();
    for (const auto& [k, v] : e->labels) labels.emplace_back(k, v);
    Exposition::Family& family = exposition->GetFamily(e->name, e->kind, e->help);
    if (e->counter) {
      family.Counter(labels, static_cast<double>(e->counter->Value()));
    } else if (e->gauge) {
      family.Gauge(labels, e->gauge->Value());
    } else if (e->callback) {
      family.Gauge(labels, e->callback());
    }
  }
}

}  // namespace augur::core
