#include "export/log_target.h"

#include <fmt/format.h>

#include "core/utf8.h"

namespace augur::exporter {

Verdict LogTarget::Judge(const core::HttpResponse& response, size_t records) const {
  Verdict v;
  if (response.status >= 200 && response.status < 300) return v;
  v.error = fmt::format("HTTP {}: {}", response.status, core::TruncateUtf8(response.body, 300));
  if (response.status == 429 || response.status >= 500) {
    v.retry.resize(records);
    for (size_t i = 0; i < records; ++i) v.retry[i] = static_cast<uint32_t>(i);
  } else {
    v.failed = records;
  }
  return v;
}

}  // namespace augur::exporter
