// Reading Loghub's labelled log samples (Zhu et al., "Loghub: A Large Collection of System Log
// Datasets for AI-driven Log Analytics", ISSRE 2023): one directory per system, each with
// <System>_2k.log_structured.csv holding per line its message (Content) and the ground-truth
// template (EventTemplate).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace augur::eval {

struct LoghubSystem {
  std::string name;
  std::vector<std::string> contents;   // the Content column, in file order
  std::vector<std::string> templates;  // the EventTemplate column, same order
};

// Rows of a CSV document (RFC 4180: fields separated by commas, optionally quoted with '"', a
// quote inside a quoted field doubled, line breaks inside quoted fields kept). '\r' before a line
// break is dropped. Fails on an unterminated quoted field.
absl::StatusOr<std::vector<std::vector<std::string>>> ParseCsv(std::string_view text);

// The systems under `dir`: subdirectories <S> holding <S>/<S>_2k.log_structured.csv, by name.
absl::StatusOr<std::vector<std::string>> ListLoghubSystems(const std::string& dir);

// One system's structured CSV. Fails when it is missing, unreadable, lacks the Content or
// EventTemplate column, or has a row with fewer fields than the header.
absl::StatusOr<LoghubSystem> ReadLoghubSystem(const std::string& dir, const std::string& name);

}  // namespace augur::eval
