// Helpers for absl::Status and absl::StatusOr: early returns, and the message as a std::string_view
// (Debian's Abseil has its own string_view type).
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace augur::core {

inline std::string_view MessageOf(const absl::Status& status) {
  return std::string_view(status.message().data(), status.message().size());
}

}  // namespace augur::core

#define AUGUR_STATUS_CONCAT_INNER(a, b) a##b
#define AUGUR_STATUS_CONCAT(a, b) AUGUR_STATUS_CONCAT_INNER(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define AUGUR_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::absl::Status augur_status_ = (expr);         \
    if (!augur_status_.ok()) return augur_status_; \
  } while (0)

// `lhs = value of expr`, or returns its status from the enclosing function.
#define AUGUR_ASSIGN_OR_RETURN(lhs, expr) \
  AUGUR_ASSIGN_OR_RETURN_IMPL(AUGUR_STATUS_CONCAT(augur_statusor_, __LINE__), lhs, expr)
#define AUGUR_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                                \
  if (!statusor.ok()) return statusor.status();          \
  lhs = std::move(statusor).value()
