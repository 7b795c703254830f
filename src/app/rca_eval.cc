#include "app/rca_eval.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "app/pipeline.h"
#include "core/status_util.h"
#include "eval/rca_score.h"
#include "ingest/otlp_grpc_receiver.h"
#include "ingest/otlp_ingester.h"
#include "rca/correlator.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace augur::app {
namespace {

using nlohmann::json;

// Monday 2026-11-02 00:00 UTC: runs start on a known weekday and hour.
constexpr core::TimeNs kStart = 1'793'577'600 * core::kNsPerSecond;

struct TopologyResult {
  int services = 0;
  std::vector<eval::FaultOutcome> outcomes;
  size_t false_incidents = 0;
  double fault_free_days = 0;
  double seconds = 0;
  uint64_t spans = 0;
};

absl::StatusOr<std::vector<sim::FaultType>> Types(const RcaEvalOptions& o) {
  std::vector<sim::FaultType> types;
  for (const std::string& name : o.types) {
    std::optional<sim::FaultType> t = sim::ParseFaultType(name);
    if (!t.has_value())
      return absl::InvalidArgumentError(fmt::format("unknown fault type '{}'", name));
    types.push_back(*t);
  }
  if (types.empty()) types.assign(std::begin(sim::kAllFaultTypes), std::end(sim::kAllFaultTypes));
  return types;
}

absl::StatusOr<TopologyResult> RunTopology(const RcaEvalOptions& o, int services,
                                           const std::vector<sim::FaultType>& types) {
  // Faults one after another, types interleaved so every type meets every hour of the day.
  sim::Scenario scenario;
  scenario.name = fmt::format("eval-{}", services);
  const core::TimeNs period = o.fault_ns + o.gap_ns;
  int i = 0;
  for (int round = 0; round < o.per_type; ++round) {
    for (sim::FaultType type : types) {
      absl::StatusOr<sim::Scenario> one =
          sim::RandomScenario(type, services, o.seed, o.seed * 100'003 + static_cast<uint64_t>(i),
                              o.lead_in_ns + i * period, o.fault_ns);
      if (!one.ok()) return one.status();
      for (sim::FaultSpec& f : one->faults) scenario.faults.push_back(std::move(f));
      ++i;
    }
  }
  const core::TimeNs duration = o.lead_in_ns + i * period;

  core::SelfMetrics metrics;
  PipelineConfig config;
  config.shards = o.shards;
  config.data_dir = "";  // everything in memory
  Pipeline pipeline(config, &metrics);
  if (absl::Status s = pipeline.Start(); !s.ok()) return s;
  ingest::OtlpReceiverConfig receiver_config;
  ingest::OtlpIngester ingester(receiver_config, pipeline.bus(), &metrics);
  ingest::OtlpGrpcReceiver receiver(&ingester, "127.0.0.1:0");
  if (absl::Status s = receiver.Start(); !s.ok()) {
    pipeline.Drain();
    return s;
  }

  sim::SimulatorOptions so;
  so.endpoint = fmt::format("127.0.0.1:{}", receiver.port());
  so.protocol = sim::Protocol::kGrpc;
  so.services = services;
  so.rate = o.rate;
  so.speedup = 1e9;  // as fast as the machine goes: every model follows event time
  so.seed = o.seed;
  so.duration_s = static_cast<double>(duration) / core::kNsPerSecond;
  so.start_time_ns = kStart;
  so.scenario = scenario;
  sim::Simulator simulator(so);
  const auto wall = std::chrono::steady_clock::now();
  absl::Status run = simulator.Run();
  receiver.Stop(5000);
  pipeline.Drain();
  if (!run.ok()) return run;
  if (const double dropped = metrics.Value("augur_rca_inputs_dropped"); dropped > 0) {
    spdlog::warn(
        "{} services: the correlator's queue was full and {} inputs were dropped: incidents may "
        "be missing, or held open by an update that never came",
        services, dropped);
  }

  TopologyResult result;
  result.services = services;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
  result.spans = simulator.Stats().spans;
  std::vector<eval::RcaFault> faults;
  for (const sim::GroundTruth& g : simulator.GroundTruths()) {
    faults.push_back(eval::RcaFault{std::string(sim::FaultTypeName(g.type)), g.root_cause,
                                    g.start_ns, g.end_ns, g.description});
  }
  const std::vector<rca::Incident> found = pipeline.incidents() != nullptr
                                               ? pipeline.incidents()->Snapshot()
                                               : std::vector<rca::Incident>{};
  std::vector<eval::RcaIncident> incidents;
  for (const rca::Incident& in : found) {
    eval::RcaIncident r{in.id, in.start_ns, in.end_ns, {}};
    for (const rca::Candidate& c : in.candidates) r.candidates.push_back(c.service);
    incidents.push_back(std::move(r));
  }
  result.outcomes = eval::MatchFaults(faults, incidents);
  if (o.verbose) {
    // Each fault: its rank and the first candidates; where the root cause is not first, what the
    // candidates ahead of it were blamed on, and what it was.
    std::vector<detect::AnomalyEvent> events = pipeline.Anomalies(detect::EventFilter{});
    std::map<uint64_t, const rca::Incident*> by_id;
    for (const rca::Incident& in : found) by_id[in.id] = &in;
    // Up to 8 events that `pick` takes, one line each.
    auto show = [](const std::vector<detect::AnomalyEvent>& from, auto pick) {
      int shown = 0;
      for (const detect::AnomalyEvent& e : from) {
        if (!pick(e)) continue;
        if (++shown > 8) break;
        std::fprintf(stderr, "      %s %s: %s of %s was %.4g against %.4g (score %.4g)%s\n",
                     core::FormatRfc3339(e.start_ns).substr(11, 8).c_str(),
                     e.open ? "open" : core::FormatRfc3339(e.end_ns).substr(11, 8).c_str(),
                     e.series.signal.c_str(), detect::DescribeSeries(e.series).c_str(), e.observed,
                     e.expected, e.peak_score, rca::IsSymptom(e) ? " symptom" : "");
      }
    };
    for (const eval::FaultOutcome& f : result.outcomes) {
      std::string top;
      for (const std::string& c : f.top) top += (top.empty() ? "" : ", ") + c;
      std::fprintf(stderr, "  %-15s %-28s %s rank %d delay %4.0f s [%s]\n", f.fault.type.c_str(),
                   f.fault.root_cause.c_str(),
                   core::FormatRfc3339(f.fault.start_ns).substr(0, 19).c_str(), f.rank,
                   static_cast<double>(f.delay_ns) / core::kNsPerSecond, top.c_str());
      if (f.rank != 1) std::fprintf(stderr, "    injected: %s\n", f.fault.description.c_str());
      if (!f.detected) {
        // What the detectors saw during it (no incident took it), among the events still held.
        show(events, [&](const detect::AnomalyEvent& e) {
          return e.start_ns >= f.fault.start_ns && e.start_ns <= f.fault.end_ns;
        });
      }
      auto it = by_id.find(f.incident_id);
      if (!f.detected || f.rank == 1 || it == by_id.end()) continue;
      // The root cause's own events in the incident, and what it was ranked on.
      show(it->second->events, [&](const detect::AnomalyEvent& e) {
        return rca::NodeOf(e) == f.fault.root_cause || e.service == f.fault.root_cause;
      });
      const size_t ahead = f.rank > 0 ? static_cast<size_t>(f.rank) : 2;  // and the root cause
      for (size_t k = 0; k < it->second->candidates.size() && k < ahead; ++k) {
        const rca::Candidate& c = it->second->candidates[k];
        std::fprintf(stderr, "      %s %.3f\n", c.service.c_str(), c.score);
        for (const std::string& line : c.evidence) {
          std::fprintf(stderr, "        %s\n", line.substr(0, 200).c_str());
        }
      }
    }
    std::fprintf(stderr, "%d services: %zu incidents, %zu anomaly events held\n", services,
                 incidents.size(), events.size());
    std::map<std::string, int> kinds;
    for (const detect::AnomalyEvent& e : events) {
      kinds[e.series.family + "/" + e.series.signal + (e.muted ? " (muted)" : "")]++;
    }
    for (const auto& [k, n] : kinds) std::fprintf(stderr, "  %5d %s\n", n, k.c_str());
    for (const eval::RcaIncident& in : incidents) {
      std::string top;
      for (size_t k = 0; k < in.candidates.size() && k < 3; ++k) {
        top += (k == 0 ? "" : ", ") + in.candidates[k];
      }
      std::fprintf(stderr, "  incident %llu at %s to %s: %s\n",
                   static_cast<unsigned long long>(in.id),
                   core::FormatRfc3339(in.start_ns).substr(0, 19).c_str(),
                   in.end_ns > 0 ? core::FormatRfc3339(in.end_ns).substr(11, 8).c_str() : "open",
                   top.c_str());
      // What opened it and what held it open: the first symptom and the two that cleared last.
      auto incident = by_id.find(in.id);
      if (incident == by_id.end()) continue;
      std::vector<const detect::AnomalyEvent*> symptoms;
      for (const detect::AnomalyEvent& e : incident->second->events) {
        if (rca::IsSymptom(e)) symptoms.push_back(&e);
      }
      auto print = [](const char* what, const detect::AnomalyEvent& e) {
        std::fprintf(stderr, "      %s: %s of %s, %s to %s\n", what, e.series.signal.c_str(),
                     detect::DescribeSeries(e.series).c_str(),
                     core::FormatRfc3339(e.start_ns).substr(11, 8).c_str(),
                     e.open ? "open" : core::FormatRfc3339(e.end_ns).substr(11, 8).c_str());
      };
      auto first =
          std::min_element(symptoms.begin(), symptoms.end(),
                           [](const auto* a, const auto* b) { return a->start_ns < b->start_ns; });
      if (first != symptoms.end()) print("first", **first);
      auto end = [](const detect::AnomalyEvent* e) { return e->open ? INT64_MAX : e->end_ns; };
      std::sort(symptoms.begin(), symptoms.end(),
                [&](const auto* a, const auto* b) { return end(a) > end(b); });
      for (size_t k = 0; k < symptoms.size() && k < 2; ++k) print("last to clear", *symptoms[k]);
    }
  }
  // Models learn for the first hour (DetectionConfig's learning time): count from there.
  const core::TimeNs from = kStart + 3600 * core::kNsPerSecond;
  result.false_incidents = eval::FalseIncidents(incidents, faults, from, kStart + duration);
  result.fault_free_days = eval::FaultFreeDays(faults, from, kStart + duration);
  return result;
}

json ScoresJson(const eval::RcaScores& s) {
  auto num = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  return json{{"faults", s.faults},  {"detected", s.detected},
              {"ac1", num(s.ac1)},   {"ac3", num(s.ac3)},
              {"avg5", num(s.avg5)}, {"median_delay_s", num(s.median_delay_s)}};
}

}  // namespace

int RunRcaEval(const RcaEvalOptions& o) {
  absl::StatusOr<std::vector<sim::FaultType>> types = Types(o);
  if (!types.ok()) {
    std::cerr << "augur eval rca: " << core::MessageOf(types.status()) << "\n";
    return 2;
  }
  std::vector<eval::FaultOutcome> all;
  size_t false_incidents = 0;
  double fault_free_days = 0;
  json per_topology = json::object();
  for (int services : o.topologies) {
    absl::StatusOr<TopologyResult> r = RunTopology(o, services, *types);
    if (!r.ok()) {
      std::cerr << "augur eval rca: " << services << " services: " << core::MessageOf(r.status())
                << "\n";
      return 1;
    }
    eval::RcaScores s = eval::Score(r->outcomes);
    json t = ScoresJson(s);
    t["false_incidents"] = r->false_incidents;
    t["fault_free_days"] = r->fault_free_days;
    t["wall_seconds"] = r->seconds;
    t["spans"] = r->spans;
    per_topology[std::to_string(services)] = t;
    if (!o.json) {
      std::printf(
          "%d services: %zu faults, AC@1 %.3f, AC@3 %.3f, Avg@5 %.3f, median delay %.0f s, "
          "%zu false incidents in %.2f fault-free days (%.0f s, %.0f spans/s)\n",
          services, s.faults, s.ac1, s.ac3, s.avg5, s.median_delay_s, r->false_incidents,
          r->fault_free_days, r->seconds, static_cast<double>(r->spans) / r->seconds);
    }
    false_incidents += r->false_incidents;
    fault_free_days += r->fault_free_days;
    for (eval::FaultOutcome& f : r->outcomes) all.push_back(std::move(f));
  }

  std::map<std::string, std::vector<eval::FaultOutcome>> by_type;
  for (const eval::FaultOutcome& f : all) by_type[f.fault.type].push_back(f);
  eval::RcaScores overall = eval::Score(all);
  const double false_per_day =
      fault_free_days > 0 ? static_cast<double>(false_incidents) / fault_free_days : 0;
  json out = ScoresJson(overall);
  out["false_incidents_per_day"] = false_per_day;
  out["per_topology"] = per_topology;
  json per_fault = json::object();
  for (const auto& [type, outcomes] : by_type) per_fault[type] = ScoresJson(eval::Score(outcomes));
  out["per_fault"] = per_fault;
  if (o.json) {
    std::cout << out.dump() << "\n";
    return 0;
  }
  std::printf("\n%-16s %6s %8s %6s %6s %6s %10s\n", "fault", "faults", "detected", "AC@1", "AC@3",
              "Avg@5", "delay (s)");
  for (const auto& [type, outcomes] : by_type) {
    eval::RcaScores s = eval::Score(outcomes);
    std::printf("%-16s %6zu %8zu %6.3f %6.3f %6.3f %10.0f\n", type.c_str(), s.faults, s.detected,
                s.ac1, s.ac3, s.avg5, s.median_delay_s);
  }
  std::printf("%-16s %6zu %8zu %6.3f %6.3f %6.3f %10.0f\n", "overall", overall.faults,
              overall.detected, overall.ac1, overall.ac3, overall.avg5, overall.median_delay_s);
  std::printf("false incidents: %zu in %.2f fault-free simulated days = %.2f per day\n",
              false_incidents, fault_free_days, false_per_day);
  return 0;
}

}  // namespace augur::app
