// Ownership of the bytes that a decoded batch's string views point into.
//
// Decoders do not copy strings: a Span's name is a view into the request body (protobuf) or into
// the parsed document (JSON). The batch keeps those owners alive through its BatchStorage, so a
// batch is self-contained and can be handed between threads. Not thread-safe while being filled;
// immutable afterwards.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace augur::model {

class BatchStorage {
 public:
  // Keeps `owner` (a request body, a parsed document) alive as long as this storage.
  void Retain(std::shared_ptr<const void> owner) { retained_.push_back(std::move(owner)); }

  // Copies `s` into memory owned by this storage; the returned view lives as long as it.
  std::string_view Copy(std::string_view s) { return copies_.emplace_back(s); }

  // Takes ownership of `s`; the returned view lives as long as this storage.
  std::string_view Adopt(std::string s) { return copies_.emplace_back(std::move(s)); }

 private:
  std::vector<std::shared_ptr<const void>> retained_;
  std::deque<std::string> copies_;  // deque: growth never moves existing strings
};

}  // namespace augur::model
