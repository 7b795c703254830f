#include "detect/service_log_templates.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace augur::detect {
namespace {

bool IsError(model::Severity s) {
  return s == model::Severity::kError || s == model::Severity::kFatal;
}

// How far back a template's first line may lie for it to count as new when stage 2 first hears of
// it: after a restart, templates the restored miners know are old, not new.
constexpr int kNewWithinWindows = 6;

}  // namespace

absl::Status LogDetectionConfig::Validate() const {
  if (learning_period_ns < 0) {
    return absl::InvalidArgumentError("logs.learning_period must not be negative");
  }
  if (max_templates < 1) {
    return absl::InvalidArgumentError("logs.max_templates must be at least 1");
  }
  if (max_modelled_templates + max_error_templates > max_templates) {
    return absl::InvalidArgumentError(
        "logs: max_modelled_templates + max_error_templates must not exceed "
        "max_templates");
  }
  if (new_template_min_lines < 1) {
    return absl::InvalidArgumentError("logs.new_template_min_lines must be at least 1");
  }
  if (template_idle_timeout_ns < core::kNsPerMinute) {
    return absl::InvalidArgumentError("logs.template_idle_timeout must be at least 1m");
  }
  return absl::OkStatus();
}

struct ServiceLogTemplates::Template {
  uint32_t id = 0;
  std::string text;
  uint64_t count = 0;
  core::TimeNs first_seen_ns = INT64_MAX;
  core::TimeNs last_seen_ns = INT64_MIN;
  std::array<uint64_t, 7> by_severity{};
  std::vector<std::string> examples;  // distinct, newest first, at most kMaxExamples
  model::Severity first_severity = model::Severity::kUnspecified;
  bool error = false;     // has had a line at ERROR or FATAL
  bool modelled = false;  // among the templates whose rates are modelled
  bool checked_new = false;
  bool new_event_open = false;
  // Per severity it was logged at: lines per window not yet closed.
  struct BySeverity {
    model::Severity severity;
    Ring windows;
    SeriesModels::Slot model;  // its rate's model
  };
  std::vector<BySeverity> windows;

  uint64_t Total() const {
    uint64_t n = 0;
    for (uint64_t c : by_severity) n += c;
    return n;
  }
};

ServiceLogTemplates::ServiceLogTemplates(const LogDetectionConfig* config, core::TimeNs window_ns)
    : config_(config), window_ns_(window_ns) {}

ServiceLogTemplates::~ServiceLogTemplates() = default;

void ServiceLogTemplates::AddToRing(Ring* ring, core::TimeNs window_start, uint64_t count,
                                    uint64_t errors) const {
  const int64_t index = window_start / window_ns_;
  Slot& slot = (*ring)[static_cast<size_t>(((index % kSlots) + kSlots) % kSlots)];
  if (slot.index > index) return;  // older than the ring holds
  if (slot.index < index) slot = Slot{index, 0, 0};
  slot.count += count;
  slot.errors += errors;
}

const ServiceLogTemplates::Slot* ServiceLogTemplates::FindInRing(const Ring& ring,
                                                                 core::TimeNs window_start) const {
  const int64_t index = window_start / window_ns_;
  const Slot& slot = ring[static_cast<size_t>(((index % kSlots) + kSlots) % kSlots)];
  return slot.index == index ? &slot : nullptr;
}

uint64_t ServiceLogTemplates::Lines(model::Severity severity, core::TimeNs start) const {
  const Ring* ring = severity == model::Severity::kWarn    ? &warn_lines_
                     : severity == model::Severity::kError ? &error_lines_
                                                           : nullptr;
  const Slot* slot = ring != nullptr ? FindInRing(*ring, start) : nullptr;
  return slot != nullptr ? slot->count : 0;
}

bool ServiceLogTemplates::Add(const model::LogPartial& p) {
  const bool error = IsError(p.severity);
  if (p.window_start != model::kLateWindow) {
    AddToRing(&totals_, p.window_start, p.count, error ? p.count : 0);
    if (p.severity == model::Severity::kWarn) AddToRing(&warn_lines_, p.window_start, p.count, 0);
    if (p.severity == model::Severity::kError) {
      AddToRing(&error_lines_, p.window_start, p.count, 0);
    }
  }
  auto it = templates_.find(p.template_id);
  if (it == templates_.end()) {
    if (templates_.size() >= config_->max_templates) return false;
    auto t = std::make_unique<Template>();
    t->id = p.template_id;
    t->first_severity = p.template_first_severity;
    it = templates_.emplace(p.template_id, std::move(t)).first;
  }
  Template& t = *it->second;
  if (!p.template_text.empty()) t.text = p.template_text;
  t.count += p.count;
  t.by_severity[static_cast<size_t>(p.severity)] += p.count;
  t.error |= error;
  if (p.template_first_seen_ns != 0 && p.template_first_seen_ns < t.first_seen_ns) {
    t.first_seen_ns = p.template_first_seen_ns;
    t.first_severity = p.template_first_severity;
  }
  if (p.service_first_seen_ns != 0) {
    service_first_seen_ns_ = std::min(service_first_seen_ns_, p.service_first_seen_ns);
  }
  if (!p.example.empty() &&
      std::find(t.examples.begin(), t.examples.end(), p.example) == t.examples.end()) {
    t.examples.insert(t.examples.begin(), p.example);
    if (t.examples.size() > AnomalyEvent::kMaxExamples) t.examples.pop_back();
  }
  if (p.window_start == model::kLateWindow) return true;  // in totals, in no window
  t.first_seen_ns = std::min(t.first_seen_ns, p.window_start);
  t.last_seen_ns = std::max(t.last_seen_ns, p.window_start);
  auto w = std::find_if(t.windows.begin(), t.windows.end(),
                        [&](const Template::BySeverity& b) { return b.severity == p.severity; });
  if (w == t.windows.end()) {
    t.windows.push_back(Template::BySeverity{p.severity, Ring{}, {}});
    w = t.windows.end() - 1;
  }
  AddToRing(&w->windows, p.window_start, p.count, 0);
  return true;
}

void ServiceLogTemplates::SelectModelled() {
  std::vector<Template*> errors, others;
  for (auto& [id, t] : templates_) {
    if (id == model::kOverflowTemplateId) continue;  // not one event: many
    (t->error ? errors : others).push_back(t.get());
  }
  auto pick = [](std::vector<Template*>* list, size_t n) {
    auto more = [](const Template* a, const Template* b) {
      return a->count != b->count ? a->count > b->count : a->id < b->id;
    };
    if (list->size() > n) {
      std::nth_element(list->begin(), list->begin() + static_cast<ptrdiff_t>(n), list->end(), more);
    }
    for (size_t i = 0; i < list->size(); ++i) (*list)[i]->modelled = i < n;
  };
  pick(&errors, config_->max_error_templates);
  pick(&others, config_->max_modelled_templates);
  if (auto it = templates_.find(model::kOverflowTemplateId); it != templates_.end()) {
    it->second->modelled = false;
  }
}

void ServiceLogTemplates::CloseWindow(std::string_view service, core::TimeNs start,
                                      uint64_t min_requests, SeriesModels* models) {
  const double window_s = static_cast<double>(window_ns_) / core::kNsPerSecond;
  SelectModelled();
  const std::string service_name(service);
  for (auto& [id, tp] : templates_) {
    Template& t = *tp;
    if (id == model::kOverflowTemplateId) continue;
    const std::string id_text = std::to_string(id);
    ObserveContext context{.upward_only = true, .log_template = t.text, .examples = t.examples};
    // Checked from the window it first appears in (not before: partials of later windows may
    // arrive before this one closes) until it has config_->new_template_min_lines lines or is
    // older than kNewWithinWindows windows: a single stray line is not yet news, a template that
    // repeats is.
    if (!t.checked_new && t.first_seen_ns < start + window_ns_) {
      const bool after_learning =
          service_first_seen_ns_ != INT64_MAX &&
          t.first_seen_ns >= service_first_seen_ns_ + config_->learning_period_ns;
      const bool recent = t.first_seen_ns >= start - kNewWithinWindows * window_ns_;
      if (!IsError(t.first_severity) || !after_learning || !recent) {
        t.checked_new = true;
      } else if (t.count >= config_->new_template_min_lines) {
        t.checked_new = true;
        t.new_event_open = true;
      }
    }
    if (t.new_event_open) {
      uint64_t lines = 0;
      for (const auto& w : t.windows) {
        if (const Slot* s = FindInRing(w.windows, start)) lines += s->count;
      }
      SeriesRef ref{"logs",
                    {{"service_name", service_name},
                     {"severity", std::string(model::SeverityName(t.first_severity))},
                     {"template_id", id_text}},
                    "new_template"};
      t.new_event_open = models->ObserveNewTemplate(ref, service, start, static_cast<double>(lines),
                                                    /*open=*/true, context);
    }
    if (!t.modelled) continue;
    for (auto& w : t.windows) {
      const Slot* s = FindInRing(w.windows, start);
      const double rate = s != nullptr ? static_cast<double>(s->count) / window_s : 0;
      auto ref = [&] {
        return SeriesRef{"logs",
                         {{"service_name", service_name},
                          {"severity", std::string(model::SeverityName(w.severity))},
                          {"template_id", id_text}},
                         "rate"};
      };
      ObserveContext counted = context;
      counted.counting = ObserveContext::Counting::kPoisson;
      counted.trials = window_s;
      counted.clustered = true;
      models->Observe(&w.model, ref, service, start, rate, &counted);
    }
  }

  // The share of ERROR and FATAL lines, under the volume rule.
  const Slot* total = FindInRing(totals_, start);
  const uint64_t lines = total != nullptr ? total->count : 0;
  if (lines >= min_requests && lines > 0) share_modelled_ = true;
  if (!share_modelled_) return;
  const double ratio = lines >= min_requests && lines > 0
                           ? static_cast<double>(total->errors) / static_cast<double>(lines)
                           : std::numeric_limits<double>::quiet_NaN();
  // The error templates with the most lines in this window explain a rising share.
  std::vector<std::pair<uint64_t, const Template*>> top;
  if (total != nullptr && total->errors > 0) {
    for (const auto& [id, t] : templates_) {
      if (!t->error) continue;
      uint64_t n = 0;
      for (const auto& w : t->windows) {
        if (!IsError(w.severity)) continue;
        if (const Slot* s = FindInRing(w.windows, start)) n += s->count;
      }
      if (n > 0) top.emplace_back(n, t.get());
    }
    std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second->id < b.second->id;
    });
  }
  std::vector<std::string> examples;
  for (const auto& [n, t] : top) {
    for (const std::string& line : t->examples) {
      if (examples.size() < AnomalyEvent::kMaxExamples) examples.push_back(line);
    }
  }
  ObserveContext context{.upward_only = true,
                         .log_template = top.empty() ? std::string_view() : top[0].second->text,
                         .examples = examples};
  context.counting = ObserveContext::Counting::kBinomial;
  context.trials = static_cast<double>(lines);
  context.clustered = true;
  auto ref = [&] { return SeriesRef{"logs", {{"service_name", service_name}}, "error_ratio"}; };
  models->Observe(&share_model_, ref, service, start, ratio, &context);
}

void ServiceLogTemplates::ExpireIdle(core::TimeNs cutoff) {
  for (auto it = templates_.begin(); it != templates_.end();) {
    const Template& t = *it->second;
    if (t.last_seen_ns < cutoff && !t.new_event_open) {
      templates_.erase(it++);
    } else {
      ++it;
    }
  }
}

void ServiceLogTemplates::Collect(std::string_view service,
                                  std::vector<LogTemplateSummary>* out) const {
  for (const auto& [id, t] : templates_) {
    LogTemplateSummary s;
    s.service = std::string(service);
    s.id = id;
    s.text = t->text;
    s.count = t->count;
    s.first_seen_ns = t->first_seen_ns == INT64_MAX ? 0 : t->first_seen_ns;
    s.last_seen_ns = t->last_seen_ns == INT64_MIN ? 0 : t->last_seen_ns;
    s.by_severity = t->by_severity;
    if (!t->examples.empty()) s.example = t->examples.front();
    s.modelled = t->modelled;
    out->push_back(std::move(s));
  }
}

size_t ServiceLogTemplates::MemoryBytes() const {
  size_t bytes = sizeof(*this) + templates_.capacity() * (sizeof(uint32_t) + sizeof(void*) + 1);
  for (const auto& [id, t] : templates_) {
    bytes += sizeof(Template) + t->text.capacity() +
             t->windows.capacity() * sizeof(Template::BySeverity) +
             t->examples.capacity() * sizeof(std::string);
    for (const std::string& e : t->examples) bytes += e.capacity();
  }
  return bytes;
}

}  // namespace augur::detect
