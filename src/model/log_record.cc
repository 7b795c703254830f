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

}  // namespace augur::model
