#include "core/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace augur::core {
namespace {

// zlib counts in uInt; larger buffers are fed in slices of this size.
constexpr size_t kMaxZlibSlice = size_t{1} << 30;
constexpr size_t kMinOutputChunk = 16 << 10;

// Releases the inflate state on every return path.
class InflateStream {
 public:
  InflateStream() { std::memset(&stream_, 0, sizeof(stream_)); }
  ~InflateStream() {
    if (initialised_) inflateEnd(&stream_);
  }
  InflateStream(const InflateStream&) = delete;
  InflateStream& operator=(const InflateStream&) = delete;

  // windowBits 15 + 32: up to a 32 KiB window, gzip or zlib header detected automatically.
  int Init() {
    int rc = inflateInit2(&stream_, 15 + 32);
    initialised_ = rc == Z_OK;
    return rc;
  }
  z_stream* Stream() { return &stream_; }

 private:
  z_stream stream_;
  bool initialised_ = false;
};

absl::Status InvalidGzip(const z_stream& stream, const char* fallback) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid gzip data: ", stream.msg != nullptr ? stream.msg : fallback));
}

// Grows `out` to exactly `size` bytes keeping the first `used`. std::string::resize may double the
// capacity, which would allocate past the caller's bound.
void GrowExactly(std::string* out, size_t used, size_t size) {
  std::string grown;
  grown.reserve(size);
  grown.append(out->data(), used);
  grown.resize(size);
  out->swap(grown);
}

bool AllZero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == '\0'; });
}

}  // namespace

absl::StatusOr<std::string> GunzipBounded(std::string_view compressed, size_t max_output_bytes) {
  InflateStream inflater;
  if (inflater.Init() != Z_OK) return absl::ResourceExhaustedError("cannot initialise zlib");
  z_stream* zs = inflater.Stream();

  std::string out;
  size_t produced = 0;
  size_t in_pos = 0;  // bytes of `compressed` handed to zlib so far
  // Start near a typical ratio so that small bodies need no regrowth, but never above the bound.
  out.resize(std::min(max_output_bytes, std::max(kMinOutputChunk, compressed.size() * 4)));

  // Once the output has reached the bound, zlib writes into this one-byte probe: if it fills, the
  // stream holds more than the bound allows.
  char probe = 0;
  for (;;) {
    if (zs->avail_in == 0 && in_pos < compressed.size()) {
      size_t slice = std::min(compressed.size() - in_pos, kMaxZlibSlice);
      zs->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data() + in_pos));
      zs->avail_in = static_cast<uInt>(slice);
      in_pos += slice;
    }
    bool probing = false;
    if (produced == out.size()) {
      if (out.size() >= max_output_bytes) {
        probing = true;
      } else {
        GrowExactly(&out, produced,
                    std::min(std::max(out.size() * 2, kMinOutputChunk), max_output_bytes));
      }
    }
    if (probing) {
      zs->next_out = reinterpret_cast<Bytef*>(&probe);
      zs->avail_out = 1;
    } else {
      zs->next_out = reinterpret_cast<Bytef*>(out.data() + produced);
      zs->avail_out = static_cast<uInt>(std::min(out.size() - produced, kMaxZlibSlice));
    }
    uInt out_before = zs->avail_out;
    int rc = inflate(zs, Z_NO_FLUSH);
    size_t written = out_before - zs->avail_out;
    if (probing && written > 0) {
      return absl::ResourceExhaustedError(
          absl::StrCat("decompressed body exceeds ", max_output_bytes, " bytes"));
    }
    produced += written;

    if (rc == Z_STREAM_END) {
      std::string_view rest(reinterpret_cast<const char*>(zs->next_in), zs->avail_in);
      std::string_view unfed = compressed.substr(in_pos);
      // Trailing zero padding (tape-style) ends the data; anything else is another member.
      if (AllZero(rest) && AllZero(unfed)) break;
      if (inflateReset(zs) != Z_OK) return InvalidGzip(*zs, "cannot reset stream");
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR) {
      // No progress: either the output is full (grown or probed on the next turn) or the input ran
      // out before the end of the stream.
      if (zs->avail_out == 0) continue;
      if (zs->avail_in == 0 && in_pos == compressed.size()) {
        return InvalidGzip(*zs, "truncated input");
      }
      continue;
    }
    if (rc == Z_MEM_ERROR) return absl::ResourceExhaustedError("zlib out of memory");
    return InvalidGzip(*zs, rc == Z_NEED_DICT ? "preset dictionary required" : "corrupt stream");
  }
  out.resize(produced);
  return out;
}

std::string Gzip(std::string_view data) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  // windowBits 15 + 16 writes a gzip header and trailer instead of zlib's.
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return {};
  }
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(std::min(data.size(), size_t{ULONG_MAX}))));
  size_t produced = 0;
  size_t in_pos = 0;
  for (;;) {
    if (zs.avail_in == 0 && in_pos < data.size()) {
      size_t slice = std::min(data.size() - in_pos, kMaxZlibSlice);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + in_pos));
      zs.avail_in = static_cast<uInt>(slice);
      in_pos += slice;
    }
    if (produced == out.size()) out.resize(out.size() * 2 + 64);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(std::min(out.size() - produced, kMaxZlibSlice));
    uInt out_before = zs.avail_out;
    int flush = in_pos == data.size() ? Z_FINISH : Z_NO_FLUSH;
    int rc = deflate(&zs, flush);
    produced += out_before - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;  // cannot happen with valid arguments
  }
  deflateEnd(&zs);
  out.resize(produced);
  return out;
}

}  // namespace augur::core
