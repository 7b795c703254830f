#include "augur_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

namespace augur::bench {

AugurProcess::~AugurProcess() { Stop(); }

absl::Status AugurProcess::Start(const std::string& binary,
                                 const std::vector<std::string>& extra_args) {
  int out[2];
  if (pipe(out) != 0) return absl::InternalError("pipe failed");
  std::vector<std::string> args = {binary,
                                   "run",
                                   "--otlp-grpc-endpoint",
                                   "127.0.0.1:0",
                                   "--otlp-http-endpoint",
                                   "127.0.0.1:0",
                                   "--api-endpoint",
                                   "127.0.0.1:0",
                                   "--log-level",
                                   "warn"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = fork();
  if (pid_ < 0) return absl::InternalError("fork failed");
  if (pid_ == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(out[1]);
  FILE* f = fdopen(out[0], "r");
  char line[512];
  while (fgets(line, sizeof(line), f) != nullptr) {
    if (std::sscanf(line, "augur listening otlp_grpc=%*[^:]:%d otlp_http=%*[^:]:%d api=%*[^:]:%d",
                    &grpc_port_, &http_port_, &api_port_) == 3) {
      // Keep draining stdout so the child never blocks on a full pipe.
      std::thread([f] {
        char rest[512];
        while (fgets(rest, sizeof(rest), f) != nullptr) {
        }
        fclose(f);
      }).detach();
      return absl::OkStatus();
    }
  }
  fclose(f);
  return absl::InternalError(fmt::format("{} exited before listening", binary));
}

int AugurProcess::Stop() {
  if (pid_ <= 0) return 0;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

double AugurProcess::CpuSeconds() const {
  std::ifstream stat(fmt::format("/proc/{}/stat", pid_));
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may contain spaces) start after the last ')'.
  size_t close = content.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(content.substr(close + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

size_t AugurProcess::RssBytes() const {
  std::ifstream status(fmt::format("/proc/{}/status", pid_));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6)) * 1024;
  }
  return 0;
}

}  // namespace augur::bench
