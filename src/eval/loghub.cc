#include "eval/loghub.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace augur::eval {
namespace {

std::string StructuredPath(const std::string& dir, const std::string& name) {
  return (std::filesystem::path(dir) / name / (name + "_2k.log_structured.csv")).string();
}

}  // namespace

absl::StatusOr<std::vector<std::vector<std::string>>> ParseCsv(std::string_view text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;  // inside a quoted field
  bool row_started = false;
  auto end_field = [&]() {
    row.push_back(std::move(field));
    field.clear();
  };
  auto end_row = [&]() {
    end_field();
    rows.push_back(std::move(row));
    row.clear();
    row_started = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else if (c != '\r') {
        field.push_back(c);
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      row_started = true;
    } else if (c == ',') {
      end_field();
      row_started = true;
    } else if (c == '\n') {
      end_row();
    } else if (c != '\r') {
      field.push_back(c);
      row_started = true;
    }
  }
  if (quoted) return absl::InvalidArgumentError("unterminated quoted field");
  if (row_started || !field.empty() || !row.empty()) end_row();
  return rows;
}

absl::StatusOr<std::vector<std::string>> ListLoghubSystems(const std::string& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return absl::NotFoundError("cannot read " + dir + ": " + ec.message());
  std::vector<std::string> names;
  for (const auto& entry : it) {
    std::error_code entry_ec;
    if (!entry.is_directory(entry_ec)) continue;
    std::string name = entry.path().filename().string();
    if (std::filesystem::is_regular_file(StructuredPath(dir, name), entry_ec)) {
      names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<LoghubSystem> ReadLoghubSystem(const std::string& dir, const std::string& name) {
  std::string path = StructuredPath(dir, name);
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot open " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::DataLossError("cannot read " + path);
  absl::StatusOr<std::vector<std::vector<std::string>>> rows = ParseCsv(buffer.str());
  if (!rows.ok()) {
    return absl::InvalidArgumentError(path + ": " + std::string(rows.status().message()));
  }
  if (rows->empty()) return absl::InvalidArgumentError(path + ": no header");
  const std::vector<std::string>& header = rows->front();
  auto column = [&](std::string_view want) -> int {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == want) return static_cast<int>(i);
    }
    return -1;
  };
  int content = column("Content");
  int event_template = column("EventTemplate");
  if (content < 0 || event_template < 0) {
    return absl::InvalidArgumentError(path + ": needs the columns Content and EventTemplate");
  }
  LoghubSystem system;
  system.name = name;
  for (size_t r = 1; r < rows->size(); ++r) {
    const std::vector<std::string>& row = (*rows)[r];
    if (row.size() == 1 && row[0].empty()) continue;  // a blank line
    if (row.size() < header.size()) {
      return absl::InvalidArgumentError(path + ": row " + std::to_string(r + 1) + " has " +
                                        std::to_string(row.size()) + " fields, the header " +
                                        std::to_string(header.size()));
    }
    system.contents.push_back(row[content]);
    system.templates.push_back(row[event_template]);
  }
  return system;
}

}  // namespace augur::eval
