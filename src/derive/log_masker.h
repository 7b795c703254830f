// Masking of variables in a log line before template mining: the line is split into whitespace
// tokens and every part that is a value rather than text the developer wrote becomes "<*>", so that
// "Received block blk_-1608 of size 67108864 from /10.251.91.84" and its siblings all read
// "Received block <*> of size <*> from <*>" before the miner compares them. Masking first is what
// makes a parse tree in the manner of Drain work on lines whose first tokens are values.
//
// What is masked (docs/logs.md has the full list with examples): numbers (with sign, decimals,
// exponent and attached units: 12ms, 3.5s, 16K, 41C, 0MB), hexadecimal (0x1f, 065b4cac), IPv4
// with port or prefix length, IPv6 and MAC addresses, host:port, UUIDs, URLs, e-mail addresses,
// absolute paths, dates and times (2005-06-03, 18:01:47,978, "Fri Jun 17 07:07:00 2005"),
// quantities with an abbreviated unit ("<1 sec", "17.7 GB"), block, task and container ids and
// any other identifier that mixes digits into a word (blk_-16, appattempt_14_0020_000001,
// bglio716). Kept: words without digits, keys of key=value pairs, and short names that carry one
// digit (eth0, tty2, SOCKS5, log4j). Where a token mixes text and values, only the values are
// masked: "uid=0" becomes "uid=<*>", "(TID" stays, "42)." becomes "<*>).", "node-246" becomes
// "node-<*>".
//
// Variable-length values become one token: a run of masked tokens ("1 2 3", "a, b, c" lists,
// "2015-10-18 18:01:47,978") collapses into one "<*>", and a parenthesised restatement of a
// quantity ("1190 bytes (1.16 KB)") folds into the quantity, so those lines keep one length.
//
// Masking is a pure function of the line; it never allocates once the MaskedLine's buffers have
// grown to the longest line seen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace augur::derive {

// The wildcard that stands for a masked value (and for a generalised template position).
inline constexpr std::string_view kLogWildcard = "<*>";

// One masked token: its bytes are MaskedLine::token(i).
struct MaskedToken {
  uint32_t offset = 0;
  uint32_t size = 0;
  uint64_t hash = 0;  // core::StableHash of the token's bytes
  // Nothing but wildcards and punctuation ("<*>", "<*>:<*>", "(<*>)"): the token is a value in
  // every line, so it says nothing about which event the line is.
  bool variable = false;
};

// A masked line. Reused across lines: Clear() keeps the buffers' capacity.
class MaskedLine {
 public:
  size_t size() const { return tokens_.size(); }
  bool empty() const { return tokens_.empty(); }
  std::string_view token(size_t i) const {
    return std::string_view(text_.data() + tokens_[i].offset, tokens_[i].size);
  }
  const MaskedToken& info(size_t i) const { return tokens_[i]; }
  // The masked tokens joined by single spaces.
  std::string Joined() const;
  // Bytes held by the buffers.
  size_t CapacityBytes() const;

 private:
  friend class LogLineMasker;

  std::string text_;  // masked tokens, back to back
  std::vector<MaskedToken> tokens_;
  std::string sanitized_;                // the line with invalid UTF-8 replaced, when it had any
  std::vector<std::string_view> words_;  // the whitespace-separated tokens of the input
};

// Masks lines into a MaskedLine. Stateless apart from its limits; const methods may be called
// from any thread.
class LogLineMasker {
 public:
  // At most `max_tokens` tokens are kept (the rest of a longer line is dropped) and at most
  // `max_bytes` bytes of masked text.
  LogLineMasker(size_t max_tokens, size_t max_bytes)
      : max_tokens_(max_tokens), max_bytes_(max_bytes) {}

  // Replaces `out` with the masked tokens of `line`. Bytes that are not valid UTF-8 become U+FFFD,
  // so every token (and every template built from them) is valid UTF-8.
  void Mask(std::string_view line, MaskedLine* out) const;

 private:
  size_t max_tokens_;
  size_t max_bytes_;
};

// Masks the values inside one whitespace-free token, appending the result to `out`.
void MaskLogToken(std::string_view token, std::string* out);

}  // namespace augur::derive
