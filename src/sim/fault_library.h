// The faults behind the eight scenario fault types (scenario.h), each parameterized by an
// intensity in (0, 1] (1 = severe). A scenario fault becomes one or more of these, resolved
// against the fleet (ResolveScenario): a traffic surge, for instance, is a TrafficSurgeFault at
// the entry plus a SaturationFault on every service the extra load saturates.
//
// Immutable; thread-safe, as every Fault.
#pragma once

#include <string>

#include "core/time.h"
#include "sim/fault.h"

namespace augur::sim {

// 0 before `start_ns`, rising linearly to 1 over `ramp_ns`, 1 until `ramp_ns` before `end_ns`,
// then falling to 0 at `end_ns`.
double RampAt(core::TimeNs t, core::TimeNs start_ns, core::TimeNs end_ns, core::TimeNs ramp_ns);

// A bad deploy: the target's instances report `version` while the fault is active (its end is
// the rollback), and operation `operation` (an index into the service's operations) fails with
// `error_probability`, answering 500 with an exception in the logs.
class BadDeployFault : public Fault {
 public:
  BadDeployFault(std::string target, core::TimeNs start_ns, core::TimeNs end_ns, int operation,
                 std::string operation_name, double error_probability, std::string version);
  void Apply(ServiceState& state, core::TimeNs t) const override;
  std::string_view deployed_version() const override { return version_; }
  std::string Describe() const override;

 private:
  int operation_;
  std::string operation_name_;
  double error_probability_;
  std::string version_;
};

// CPU saturation: utilization pinned near 0.95, the run queue makes requests wait (an
// exponential wait on top of slower self-time), CFS throttling and queue depth rise.
class CpuSaturationFault : public Fault {
 public:
  CpuSaturationFault(std::string target, core::TimeNs start_ns, core::TimeNs end_ns,
                     double intensity);
  void Apply(ServiceState& state, core::TimeNs t) const override;
  std::string Describe() const override;

 private:
  double intensity_;
};

// A memory leak: memory grows linearly from the start; in the last 40 % before the kill GC
// thrashes (pauses, CPU and latency rise); at end_ns - downtime the processes are killed (out of
// memory) and refuse connections until they are back at end_ns, with new instance ids.
class MemoryLeakFault : public Fault {
 public:
  MemoryLeakFault(std::string target, core::TimeNs start_ns, core::TimeNs end_ns, double intensity);
  void Apply(ServiceState& state, core::TimeNs t) const override;
  core::TimeNs restart_downtime_ns() const override { return downtime_ns_; }
  std::string Describe() const override;

  double leak_bytes() const { return leak_bytes_; }

 private:
  double intensity_;
  double leak_bytes_;
  core::TimeNs downtime_ns_;
};

// An outage of an uninstrumented peer (database, cache, external API): calls to it fail with
// connection refused or connect timeouts.
class PeerOutageFault : public Fault {
 public:
  PeerOutageFault(std::string peer, core::TimeNs start_ns, core::TimeNs end_ns, double intensity);
  void Apply(ServiceState& state, core::TimeNs t) const override;
  std::string Describe() const override;

  double failure_probability() const { return 0.5 + 0.5 * intensity_; }

 private:
  double intensity_;
};

// Packet loss on the calls from `caller` to `callee`: some calls wait for TCP retransmissions
// (200 ms, then doubling), a few hang until the caller's timeout. The callee's own spans are
// unaffected: the time is lost on the wire.
class PacketLossFault : public Fault {
 public:
  PacketLossFault(std::string caller, std::string callee, core::TimeNs start_ns,
                  core::TimeNs end_ns, double intensity);
  const std::string& caller() const override { return caller_; }
  void ApplyEdge(EdgeState& state, core::TimeNs t) const override;
  std::string Describe() const override;

 private:
  std::string caller_;
  double intensity_;
};

// A surge of root requests at an entry point: its rate times (1 + 4 intensity), ramped in and out
// over `ramp_ns`.
class TrafficSurgeFault : public Fault {
 public:
  TrafficSurgeFault(std::string entry, core::TimeNs start_ns, core::TimeNs end_ns, double intensity,
                    core::TimeNs ramp_ns);
  double ExtraArrivalsAt(core::TimeNs t) const override;
  double MaxExtraArrivals() const override { return 4 * intensity_; }
  std::string Describe() const override;

 private:
  double intensity_;
  core::TimeNs ramp_ns_;
};

// A service pushed past its capacity by more load than usual (`level` in (0, 1]: how far): slower
// requests, a longer queue, a few requests shed with 503. Ramped like the surge that causes it.
class SaturationFault : public Fault {
 public:
  SaturationFault(std::string target, core::TimeNs start_ns, core::TimeNs end_ns, double level,
                  core::TimeNs ramp_ns);
  void Apply(ServiceState& state, core::TimeNs t) const override;
  std::string Describe() const override;

 private:
  double level_;
  core::TimeNs ramp_ns_;
};

// The noisy half of a noisy neighbour: a process that burns CPU (a runaway batch job) on a host
// it shares; its own requests barely slow down.
class CpuHogFault : public Fault {
 public:
  CpuHogFault(std::string target, core::TimeNs start_ns, core::TimeNs end_ns, double intensity);
  void Apply(ServiceState& state, core::TimeNs t) const override;
  std::string Describe() const override;

 private:
  double intensity_;
};

// The victim half of a noisy neighbour: starved of CPU by another process on its host, it is
// throttled, its run queue grows and its requests slow down, while its own CPU use does not rise.
class CpuContentionFault : public Fault {
 public:
  CpuContentionFault(std::string target, std::string neighbour, core::TimeNs start_ns,
                     core::TimeNs end_ns, double intensity);
  void Apply(ServiceState& state, core::TimeNs t) const override;
  std::string Describe() const override;

 private:
  std::string neighbour_;
  double intensity_;
};

}  // namespace augur::sim
