// A `augur run` child process on free loopback ports, for load benchmarks: start, read its
// listening line, sample its CPU time and RSS from /proc, stop with SIGTERM.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace augur::bench {

class AugurProcess {
 public:
  ~AugurProcess();  // Stop()s

  // Starts `binary run` on 127.0.0.1 port 0 for every listener, plus `extra_args`.
  absl::Status Start(const std::string& binary, const std::vector<std::string>& extra_args);
  // SIGTERM and wait; returns the exit status (0 on a clean drain).
  int Stop();

  int grpc_port() const { return grpc_port_; }
  int http_port() const { return http_port_; }
  int api_port() const { return api_port_; }
  pid_t pid() const { return pid_; }

  // User + system CPU seconds the process has used so far.
  double CpuSeconds() const;
  // Resident set size in bytes.
  size_t RssBytes() const;

 private:
  pid_t pid_ = -1;
  int grpc_port_ = 0;
  int http_port_ = 0;
  int api_port_ = 0;
};

}  // namespace augur::bench
