#include "model/log_record.h"

namespace augur::model {

Severity SeverityOf(uint8_t severity_number) {
  if (severity_number == 0 || severity_number > 24) return Severity::kUnspecified;
  return static_cast<Severity>((severity_number - 1) / 4 + 1);
}

std::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kUnspecified:
      return "UNSPECIFIED";
    case Severity::kTrace:
      return "TRACE";
    case Severity::kDebug:
      return "DEBUG";
    case Severity::kInfo:
      return "INFO";
    case Severity::kWarn:
      return "WARN";
    case Severity::kError:
      return "ERROR";
    case Severity::kFatal:
      return "FATAL";
  }
  return "UNSPECIFIED";
}

Severity SeverityFromText(std::string_view text) {
  char lower[16];
  if (text.empty() || text.size() > sizeof(lower)) return Severity::kUnspecified;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    lower[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  std::string_view t(lower, text.size());
  if (t == "trace") return Severity::kTrace;
  if (t == "debug" || t == "dbg") return Severity::kDebug;
  if (t == "info" || t == "information" || t == "notice") return Severity::kInfo;
  if (t == "warn" || t == "warning") return Severity::kWarn;
  if (t == "error" || t == "err") return Severity::kError;
  if (t == "fatal" || t == "critical" || t == "crit" || t == "panic" || t == "alert" ||
      t == "emerg" || t == "emergency") {
    return Severity::kFatal;
  }
  return Severity::kUnspecified;
}

uint8_t SeverityNumberOf(Severity severity) {
  if (severity == Severity::kUnspecified) return 0;
  return static_cast<uint8_t>((static_cast<int>(severity) - 1) * 4 + 1);
}

}  // namespace augur::model
