#include "derive/log_masker.h"

#include <array>
#include <cstring>

#include "core/hash.h"
#include "core/utf8.h"

namespace augur::derive {
namespace {

enum CharClass : uint8_t {
  kDigit = 1,
  kAlpha = 2,
  kSpace = 4,
  kWordPunct = 8,  // . _ - % ~ $ and '/': inside a value, not between values
  kHigh = 16,      // a byte of a multi-byte UTF-8 character: part of a word
};

constexpr std::array<uint8_t, 256> MakeClasses() {
  std::array<uint8_t, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = kDigit;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kAlpha;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kAlpha;
  for (char c : {' ', '\t', '\n', '\r', '\v', '\f'}) t[static_cast<uint8_t>(c)] = kSpace;
  for (char c : {'.', '_', '-', '%', '~', '$', '/'}) t[static_cast<uint8_t>(c)] = kWordPunct;
  for (int c = 0x80; c < 0x100; ++c) t[c] = kHigh;
  return t;
}
constexpr std::array<uint8_t, 256> kClasses = MakeClasses();

// Words split from a line per token kept (MaskedLine::words_ is bounded by it).
constexpr size_t kWordsPerToken = 8;

inline uint8_t ClassOf(char c) { return kClasses[static_cast<uint8_t>(c)]; }
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsAlpha(char c) { return ClassOf(c) == kAlpha; }
inline bool IsAlnum(char c) { return (ClassOf(c) & (kDigit | kAlpha)) != 0; }
inline bool IsHexDigit(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
// Characters that separate a value from the text around it inside one token ("uid=0",
// "sessionid:0x1f", "mice.c(1766)"): every ASCII character that is neither alphanumeric nor word
// punctuation.
inline bool IsDelimiter(char c) { return ClassOf(c) == 0; }

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

bool HasDigit(std::string_view s) {
  for (char c : s) {
    if (IsDigit(c)) return true;
  }
  return false;
}

// A token split into leading brackets and quotes, its core, and trailing brackets, quotes and
// sentence punctuation: "(TID" is ("(", "TID", ""), "42)." is ("", "42", ").").
struct Wrapped {
  std::string_view prefix;
  std::string_view core;
  std::string_view suffix;
};

Wrapped Unwrap(std::string_view t) {
  size_t b = 0;
  while (b < t.size()) {
    char c = t[b];
    bool opening = c == '(' || c == '[' || c == '{' || c == '"' || c == '\'' ||
                   // "<1 sec" is a comparison, not a bracket.
                   (c == '<' && !(b + 1 < t.size() && IsDigit(t[b + 1])));
    if (!opening) break;
    ++b;
  }
  size_t e = t.size();
  while (e > b) {
    char c = t[e - 1];
    bool closing = c == ')' || c == ']' || c == '}' || c == '>' || c == '"' || c == '\'' ||
                   c == ',' || c == ';' || c == ':' || c == '.' || c == '!' || c == '?';
    if (!closing) break;
    --e;
  }
  return {t.substr(0, b), t.substr(b, e - b), t.substr(e)};
}

bool IsUrl(std::string_view s) {
  size_t p = s.find("://");
  if (p == std::string_view::npos || p == 0 || p + 3 >= s.size()) return false;
  for (size_t i = 0; i < p; ++i) {
    char c = s[i];
    if (!IsAlnum(c) && c != '+' && c != '.' && c != '-') return false;
  }
  return true;
}

// Absolute or explicitly relative paths: /var/log/x, ~/x, ./x, ../x, C:\x.
bool IsPath(std::string_view s) {
  if (s.size() < 2) return false;
  if (s[0] == '/') return s[1] != '/' || s.size() > 2;
  if (s[0] == '~' && s[1] == '/') return true;
  if (s.size() > 2 && s.substr(0, 2) == "./") return true;
  if (s.size() > 3 && s.substr(0, 3) == "../") return true;
  return s.size() > 3 && IsAlpha(s[0]) && s[1] == ':' && (s[2] == '\\' || s[2] == '/');
}

bool IsEmail(std::string_view s) {
  size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || s.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  for (size_t i = 0; i < at; ++i) {
    char c = s[i];
    if (!IsAlnum(c) && c != '.' && c != '_' && c != '%' && c != '+' && c != '-') return false;
  }
  std::string_view domain = s.substr(at + 1);
  size_t dot = domain.find('.');
  if (dot == std::string_view::npos || dot == 0 || domain.back() == '.') return false;
  for (char c : domain) {
    if (!IsAlnum(c) && c != '.' && c != '-') return false;
  }
  return true;
}

// Colon-separated hexadecimal groups: IPv6 (fe80::1, ::ffff:10.0.0.1), MAC addresses, times
// (07:07:00, 18:01:47.978) and PCI addresses (0000:00:1f.0). At least two colons and a digit.
bool IsColonGroups(std::string_view s) {
  int colons = 0;
  bool digit = false;
  size_t group = 0;
  for (char c : s) {
    if (c == ':') {
      ++colons;
      group = 0;
    } else if (IsHexDigit(c) || c == '.') {
      digit |= IsDigit(c);
      if (c != '.' && ++group > 4 && colons > 0) {
        // A long run is allowed only as a fraction after the last colon ("47.978123").
        if (s.find('.') == std::string_view::npos) return false;
      }
    } else if (c == '%' && colons >= 2) {
      break;  // zone index of a link-local IPv6 address
    } else {
      return false;
    }
  }
  return colons >= 2 && digit;
}

// hh:mm, hh:mm:ss, with an optional fraction after '.' or ','.
bool IsTime(std::string_view s) {
  size_t i = 0;
  auto digits = [&](size_t min, size_t max) {
    size_t n = 0;
    while (i < s.size() && IsDigit(s[i]) && n < max) ++i, ++n;
    return n >= min;
  };
  if (!digits(1, 2) || i >= s.size() || s[i] != ':') return false;
  ++i;
  if (!digits(2, 2)) return false;
  if (i < s.size() && s[i] == ':') {
    ++i;
    if (!digits(2, 2)) return false;
  }
  if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
    ++i;
    if (!digits(1, 9)) return false;
  }
  return i == s.size();
}

// a.b.c.d, optionally followed by :port or /prefix-length.
bool IsIpv4Endpoint(std::string_view s) {
  size_t i = 0;
  for (int octet = 0; octet < 4; ++octet) {
    size_t n = 0;
    while (i < s.size() && IsDigit(s[i]) && n < 3) ++i, ++n;
    if (n == 0) return false;
    if (octet < 3) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  if (i == s.size()) return true;
  if (s[i] != ':' && s[i] != '/') return false;
  std::string_view rest = s.substr(i + 1);
  return !rest.empty() && rest.size() <= 5 && AllDigits(rest);
}

// host.domain:port (a dotted name and a numeric port).
bool IsHostPort(std::string_view s) {
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view port = s.substr(colon + 1);
  if (port.empty() || port.size() > 5 || !AllDigits(port)) return false;
  std::string_view host = s.substr(0, colon);
  if (host.find('.') == std::string_view::npos || host.front() == '.' || host.back() == '.') {
    return false;
  }
  for (char c : host) {
    if (!IsAlnum(c) && c != '.' && c != '-' && c != '_') return false;
  }
  return true;
}

// A value as a whole, before the token is split at delimiters (these values contain delimiters
// themselves: ':' in addresses and times, '@' in e-mail addresses).
bool IsWholeValue(std::string_view core) {
  return IsUrl(core) || IsPath(core) || IsEmail(core) || IsIpv4Endpoint(core) || IsTime(core) ||
         IsColonGroups(core) || IsHostPort(core);
}

// Short names that carry a digit and are text, not values: letters and one trailing digit (eth0,
// tty2, SOCKS5, ipv6) or one or two digits inside a word (log4j, Slf4jLogger).
bool IsNameWithDigit(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && IsAlpha(s[i])) ++i;
  if (i < 2 || i == s.size()) return false;
  size_t d = i;
  while (i < s.size() && IsDigit(s[i])) ++i;
  size_t digits = i - d;
  if (i == s.size()) return digits == 1;
  if (digits > 2) return false;
  size_t letters = 0;
  while (i < s.size() && IsAlpha(s[i])) ++i, ++letters;
  return i == s.size() && letters > 0;
}

void AppendWildcard(std::string* out) { out->append(kLogWildcard); }

// A run of word characters between delimiters. `is_key`: it is followed by '=' (a key of a
// key=value pair, kept unless numeric).
void EmitSegment(std::string_view seg, bool is_key, std::string* out) {
  if (seg.empty()) return;
  if (seg[0] == '/' && seg.size() >= 2) {
    AppendWildcard(out);  // a path inside a token: "chdir(/tmp/x)"
    return;
  }
  if (!HasDigit(seg)) {
    out->append(seg);
    return;
  }
  bool numeric = true;  // digits and separators only: dates, versions, ranges ("17/06/09")
  for (char c : seg) {
    numeric &= IsDigit(c) || c == '.' || c == '-' || c == '/' || c == '_' || c == '+';
  }
  if (numeric) {
    AppendWildcard(out);
    return;
  }
  if (size_t slash = seg.find('/'); slash != std::string_view::npos) {
    // Values separated by '/': "8086/2410", "125312k/129720k", "PS/2".
    EmitSegment(seg.substr(0, slash), false, out);
    out->push_back('/');
    EmitSegment(seg.substr(slash + 1), is_key, out);
    return;
  }
  if (is_key && IsAlpha(seg[0])) {
    out->append(seg);  // "PSR0=..."
    return;
  }
  // A word before '-' or '.' and one alphanumeric value stays: "node-246" is "node-<*>",
  // "core.10019" "core.<*>"; "msra-sa-41" and "mesos-slave-07" are host names, values whole.
  size_t letters = 0;
  while (letters < seg.size() && IsAlpha(seg[letters])) ++letters;
  if (letters >= 2 && letters + 1 < seg.size() && (seg[letters] == '-' || seg[letters] == '.')) {
    std::string_view rest = seg.substr(letters + 1);
    bool alnum = true;
    for (char c : rest) alnum &= IsAlnum(c);
    if (alnum) {
      out->append(seg.substr(0, letters + 1));
      AppendWildcard(out);
      return;
    }
  }
  if (IsNameWithDigit(seg)) {
    out->append(seg);
    return;
  }
  AppendWildcard(out);
}

}  // namespace

void MaskLogToken(std::string_view token, std::string* out) {
  uint8_t classes = 0;
  bool special = false;
  for (char c : token) {
    classes |= ClassOf(c);
    special |= c == '/' || c == '@' || c == '=';
  }
  if ((classes & kDigit) == 0 && !special) {
    out->append(token);
    return;
  }
  Wrapped w = Unwrap(token);
  out->append(w.prefix);
  if (IsWholeValue(w.core)) {
    AppendWildcard(out);
  } else {
    std::string_view core = w.core;
    size_t i = 0;
    while (i < core.size()) {
      char c = core[i];
      if (IsDelimiter(c)) {
        out->push_back(c);
        ++i;
        continue;
      }
      if (c == '.' && i + 1 < core.size() && core[i + 1] == '.') {
        // Dot leaders are delimiters: "illegal instruction......0".
        while (i < core.size() && core[i] == '.') out->push_back(core[i++]);
        continue;
      }
      size_t j = i;
      while (j < core.size() && !IsDelimiter(core[j]) &&
             !(core[j] == '.' && j + 1 < core.size() && core[j + 1] == '.')) {
        ++j;
      }
      bool is_key = j < core.size() && core[j] == '=';
      if (i > 0 && core[i - 1] == '=') {
        AppendWildcard(out);  // the value of a key=value pair, whatever it looks like
      } else {
        EmitSegment(core.substr(i, j - i), is_key, out);
      }
      i = j;
    }
  }
  out->append(w.suffix);
}

namespace {

bool IsOneOf(std::string_view s, std::initializer_list<std::string_view> set) {
  for (std::string_view x : set) {
    if (s == x) return true;
  }
  return false;
}

// Names of months and weekdays start with a capital and have 3 to 9 letters; most words are
// rejected on that before any comparison.
bool MayBeCalendarName(std::string_view s) {
  return s.size() >= 3 && s.size() <= 9 && s[0] >= 'A' && s[0] <= 'Z';
}

bool IsMonth(std::string_view s) {
  if (!MayBeCalendarName(s)) return false;
  return IsOneOf(
      s, {"Jan",   "Feb",  "Mar",  "Apr",    "May",       "Jun",     "Jul",      "Aug",
          "Sep",   "Sept", "Oct",  "Nov",    "Dec",       "January", "February", "March",
          "April", "June", "July", "August", "September", "October", "November", "December"});
}

bool IsWeekday(std::string_view s) {
  if (!MayBeCalendarName(s)) return false;
  return IsOneOf(s, {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Monday", "Tuesday",
                     "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"});
}

std::string_view StripTrailingComma(std::string_view s) {
  if (!s.empty() && (s.back() == ',' || s.back() == '.')) s.remove_suffix(1);
  return s;
}

bool IsDay(std::string_view s) {
  s = StripTrailingComma(s);
  return !s.empty() && s.size() <= 2 && AllDigits(s);
}

bool IsYear(std::string_view s) {
  s = StripTrailingComma(s);
  return s.size() == 4 && AllDigits(s) && (s[0] == '1' || s[0] == '2');
}

// Time zone abbreviations (UTC, PDT, CEST) and numeric offsets (+0200).
bool IsTimeZone(std::string_view s) {
  if (s == "Z" || s == "UTC" || s == "GMT") return true;
  if ((s.size() == 3 || s.size() == 4) && s.back() == 'T') {
    for (char c : s) {
      if (c < 'A' || c > 'Z') return false;
    }
    return true;
  }
  return s.size() == 5 && (s[0] == '+' || s[0] == '-') && AllDigits(s.substr(1));
}

// Tokens from `i` that form a written-out date: [weekday] month day-or-year, then a time, a year
// and a time zone in any order ("Fri Jun 17 07:07:00 2005", "Sep 17 07:49:04 PDT 2005"). Returns
// how many tokens it spans, 0 when none starts at `i`.
size_t DateSpan(const std::vector<std::string_view>& words, size_t i) {
  size_t j = i;
  if (j + 1 < words.size() && IsWeekday(StripTrailingComma(words[j])) && IsMonth(words[j + 1])) {
    ++j;
  }
  if (j + 1 >= words.size() || !IsMonth(words[j])) return 0;
  if (!IsDay(words[j + 1]) && !IsYear(words[j + 1])) return 0;
  j += 2;
  bool time = false, year = false, zone = false;
  while (j < words.size()) {
    std::string_view w = words[j];
    if (!time && IsTime(StripTrailingComma(w))) {
      time = true;
    } else if (!year && IsYear(w)) {
      year = true;
    } else if (time && !zone && IsTimeZone(w)) {
      zone = true;
    } else {
      break;
    }
    ++j;
  }
  return j - i;
}

// Abbreviated units that belong to the number before them: "17.7 GB", "<1 sec", "21 ms".
bool IsAbbreviatedUnit(std::string_view s) {
  return IsOneOf(
      s, {"B",  "KB",        "kB", "KiB", "MB",  "MiB",  "GB",  "GiB",  "TB", "TiB", "PB", "ns",
          "us", "\xC2\xB5s", "ms", "s",   "sec", "secs", "min", "mins", "h",  "hr",  "hrs"});
}

// Unit words after which a parenthesised quantity restates the same amount:
// "1190 bytes (1.16 KB)".
bool IsQuantityUnitWord(std::string_view s) {
  return IsOneOf(
             s, {"bytes", "byte", "B", "octets", "seconds", "secs", "sec", "ms", "milliseconds"}) ||
         IsAbbreviatedUnit(s);
}

// "12", "3.5", "<1", "~20": a number that an abbreviated unit token may follow.
bool IsBareNumber(std::string_view s) {
  if (!s.empty() && (s[0] == '<' || s[0] == '>' || s[0] == '~')) s.remove_prefix(1);
  if (s.empty() || !IsDigit(s[0])) return false;
  bool dot = false;
  for (char c : s) {
    if (c == '.' && !dot) {
      dot = true;
    } else if (!IsDigit(c)) {
      return false;
    }
  }
  return s.back() != '.';
}

// Invalid UTF-8 sequences of `line` replaced by U+FFFD.
void SanitizeUtf8(std::string_view line, std::string* out) {
  out->clear();
  size_t i = 0;
  while (i < line.size()) {
    auto c = static_cast<uint8_t>(line[i]);
    if (c < 0x80) {
      out->push_back(line[i++]);
      continue;
    }
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (len > 1 && i + len <= line.size() && core::IsValidUtf8(line.substr(i, len))) {
      out->append(line.substr(i, len));
      i += len;
    } else {
      out->append("\xEF\xBF\xBD");
      ++i;
    }
  }
}

bool IsWildcardOnly(std::string_view t) {
  bool any = false;
  size_t i = 0;
  while (i < t.size()) {
    if (t.compare(i, kLogWildcard.size(), kLogWildcard) == 0) {
      any = true;
      i += kLogWildcard.size();
      continue;
    }
    if (ClassOf(t[i]) & (kDigit | kAlpha | kHigh)) return false;
    ++i;
  }
  return any;
}

// A masked token that stands in a list of values: "<*>", "<*>," or "<*>;".
bool IsListValue(std::string_view t) {
  return t == kLogWildcard ||
         (t.size() == 4 && t.substr(0, 3) == kLogWildcard && (t[3] == ',' || t[3] == ';'));
}

}  // namespace

std::string MaskedLine::Joined() const {
  std::string s;
  for (size_t i = 0; i < tokens_.size(); ++i) {
    if (i > 0) s.push_back(' ');
    s.append(token(i));
  }
  return s;
}

size_t MaskedLine::CapacityBytes() const {
  return text_.capacity() + sanitized_.capacity() + tokens_.capacity() * sizeof(MaskedToken) +
         words_.capacity() * sizeof(std::string_view);
}

void LogLineMasker::Mask(std::string_view line, MaskedLine* out) const {
  out->tokens_.clear();
  out->text_.clear();
  out->words_.clear();
  bool ascii = true;
  for (char c : line) ascii &= static_cast<uint8_t>(c) < 0x80;
  if (!ascii && !core::IsValidUtf8(line)) {
    SanitizeUtf8(line, &out->sanitized_);
    line = out->sanitized_;
  }

  std::vector<std::string_view>& words = out->words_;
  // Enough words for max_tokens tokens even when lists collapse; the rest of the line is dropped.
  size_t max_words = kWordsPerToken * max_tokens_;
  size_t i = 0;
  while (i < line.size() && words.size() < max_words) {
    while (i < line.size() && ClassOf(line[i]) == kSpace) ++i;
    size_t j = i;
    while (j < line.size() && ClassOf(line[j]) != kSpace) ++j;
    if (j > i) words.push_back(line.substr(i, j - i));
    i = j;
  }

  std::string& text = out->text_;
  // Masking at most triples a token's size ("0" becomes "<*>"); reserving up front keeps every
  // append below within capacity.
  text.reserve(3 * line.size() + 16);
  std::vector<MaskedToken>& tokens = out->tokens_;
  // The last finished token; `end` is where the token being built starts.
  auto last = [&](size_t end) {
    return std::string_view(text).substr(tokens.back().offset, end - tokens.back().offset);
  };
  // Ends the token that starts at `start`, collapsing it into the previous one when both are list
  // values.
  auto finish = [&](size_t start) {
    std::string_view t = std::string_view(text).substr(start);
    if (!tokens.empty() && IsListValue(t) && IsListValue(last(start))) {
      size_t prev = tokens.back().offset;
      std::memmove(text.data() + prev, text.data() + start, t.size());
      text.resize(prev + t.size());
      return;
    }
    tokens.push_back(MaskedToken{static_cast<uint32_t>(start), 0, 0, false});
  };

  for (size_t w = 0; w < words.size();) {
    if (tokens.size() >= max_tokens_) break;
    size_t start = text.size();
    if (size_t span = DateSpan(words, w); span > 0) {
      Wrapped end = Unwrap(words[w + span - 1]);
      AppendWildcard(&text);
      text.append(end.suffix);
      finish(start);
      w += span;
      continue;
    }
    bool quantity = false;
    std::string_view word = words[w];
    bool digit_first = IsDigit(word[0]) || (word.size() > 1 && IsDigit(word[1]));
    Wrapped first = digit_first ? Unwrap(word) : Wrapped{};
    if (digit_first && w + 1 < words.size() && IsBareNumber(first.core) && first.suffix.empty()) {
      Wrapped unit = Unwrap(words[w + 1]);
      if (unit.prefix.empty() && IsAbbreviatedUnit(unit.core)) {
        text.append(first.prefix);
        AppendWildcard(&text);
        text.append(unit.suffix);
        quantity = true;
        w += 2;
      }
    }
    if (!quantity) {
      MaskLogToken(words[w], &text);
      ++w;
    }
    std::string_view t = std::string_view(text).substr(start);
    // "(1.16 KB)" after "1190 bytes" restates the quantity: fold it in, keeping what follows
    // the parenthesis ("),") on the unit word.
    if (t.size() >= 5 && t.substr(0, 5) == "(<*>)" && tokens.size() >= 2 &&
        IsQuantityUnitWord(last(start))) {
      size_t before = tokens[tokens.size() - 2].offset;
      if (IsWildcardOnly(std::string_view(text).substr(before, tokens.back().offset - before))) {
        size_t rest = t.size() - 5;
        std::memmove(text.data() + start, text.data() + start + 5, rest);
        text.resize(start + rest);
        continue;
      }
    }
    finish(start);
    if (text.size() > max_bytes_) {
      // The token that crosses the limit is dropped, or cut when it is the only one.
      if (tokens.size() > 1) {
        text.resize(tokens.back().offset);
        tokens.pop_back();
      } else {
        text.resize(core::TruncateUtf8(text, max_bytes_).size());
      }
      break;
    }
  }
  for (size_t k = 0; k < tokens.size(); ++k) {
    size_t end = k + 1 < tokens.size() ? tokens[k + 1].offset : text.size();
    MaskedToken& tok = tokens[k];
    tok.size = static_cast<uint32_t>(end - tok.offset);
    std::string_view s = std::string_view(text).substr(tok.offset, tok.size);
    tok.hash = core::StableHash(s);
    tok.variable = IsWildcardOnly(s);
  }
}

}  // namespace augur::derive
