#include "core/gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "absl/strings/match.h"

namespace {

// Largest single operator-new allocation since the last reset, so the bomb test can prove that
// inflating never allocates beyond the bound.
std::atomic<size_t> largest_allocation_bytes{0};

}  // namespace

// GCC cannot see that the replaced operator new below allocates with malloc.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(size_t size) {
  size_t seen = largest_allocation_bytes.load(std::memory_order_relaxed);
  while (size > seen &&
         !largest_allocation_bytes.compare_exchange_weak(seen, size, std::memory_order_relaxed)) {
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace augur::core {
namespace {

// 1 GiB of zeros as gzip, deflated from a small buffer so the plain data never exists in memory.
const std::string& GzipBomb() {
  static const std::string* bomb = [] {
    constexpr size_t kPlainBytes = size_t{1} << 30;
    z_stream zs;
    std::memset(&zs, 0, sizeof(zs));
    deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_RLE);
    std::string zeros(1 << 20, '\0');
    auto* out = new std::string;
    char buffer[64 << 10];
    for (size_t fed = 0; fed < kPlainBytes; fed += zeros.size()) {
      zs.next_in = reinterpret_cast<Bytef*>(zeros.data());
      zs.avail_in = static_cast<uInt>(zeros.size());
      int flush = fed + zeros.size() == kPlainBytes ? Z_FINISH : Z_NO_FLUSH;
      do {
        zs.next_out = reinterpret_cast<Bytef*>(buffer);
        zs.avail_out = sizeof(buffer);
        deflate(&zs, flush);
        out->append(buffer, sizeof(buffer) - zs.avail_out);
      } while (zs.avail_out == 0);
    }
    deflateEnd(&zs);
    return out;
  }();
  return *bomb;
}

std::string Pseudorandom(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 12345;
  for (auto& c : s) {
    x = x * 1103515245 + 12345;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

TEST(GzipTest, RoundTripsTextBinaryAndEmpty) {
  for (const std::string& plain : {std::string(), std::string("hello, gzip"), Pseudorandom(1 << 20),
                                   std::string(300000, 'a') + Pseudorandom(1000)}) {
    std::string compressed = Gzip(plain);
    ASSERT_GE(compressed.size(), 18u);  // header + trailer
    EXPECT_EQ(static_cast<unsigned char>(compressed[0]), 0x1f);
    EXPECT_EQ(static_cast<unsigned char>(compressed[1]), 0x8b);
    auto inflated = GunzipBounded(compressed, plain.size());
    ASSERT_TRUE(inflated.ok()) << inflated.status();
    EXPECT_EQ(*inflated, plain);
  }
}

TEST(GzipTest, AcceptsZlibFormatToo) {
  std::string plain = "zlib wrapped payload";
  uLongf size = compressBound(plain.size());
  std::string compressed(size, '\0');
  ASSERT_EQ(compress(reinterpret_cast<Bytef*>(compressed.data()), &size,
                     reinterpret_cast<const Bytef*>(plain.data()), plain.size()),
            Z_OK);
  compressed.resize(size);
  auto inflated = GunzipBounded(compressed, 1000);
  ASSERT_TRUE(inflated.ok()) << inflated.status();
  EXPECT_EQ(*inflated, plain);
}

TEST(GzipTest, OutputExactlyAtTheBoundIsAccepted) {
  std::string plain(100000, 'x');
  auto inflated = GunzipBounded(Gzip(plain), plain.size());
  ASSERT_TRUE(inflated.ok()) << inflated.status();
  EXPECT_EQ(inflated->size(), plain.size());

  auto over = GunzipBounded(Gzip(plain), plain.size() - 1);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(GzipTest, RefusesBombAtTheBoundWithoutAllocatingBeyondIt) {
  const std::string& bomb = GzipBomb();
  EXPECT_LT(bomb.size(), 2u << 20);  // ~1000:1, the deflate maximum

  constexpr size_t kBound = 8 << 20;
  largest_allocation_bytes = 0;
  auto inflated = GunzipBounded(bomb, kBound);
  size_t largest = largest_allocation_bytes.load();
  ASSERT_EQ(inflated.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(inflated.status().message(), "decompressed body exceeds 8388608 bytes");
  EXPECT_LE(largest, kBound + 64);
}

TEST(GzipTest, RejectsTruncatedInput) {
  std::string compressed = Gzip(Pseudorandom(10000));
  for (size_t keep : {size_t{0}, size_t{5}, size_t{10}, compressed.size() / 2,
                      compressed.size() - 4, compressed.size() - 1}) {
    auto inflated = GunzipBounded(compressed.substr(0, keep), 1 << 20);
    EXPECT_EQ(inflated.status().code(), absl::StatusCode::kInvalidArgument) << "kept " << keep;
    EXPECT_TRUE(absl::StartsWith(inflated.status().message(), "invalid gzip data: "))
        << inflated.status();
  }
}

TEST(GzipTest, RejectsCorruptInput) {
  EXPECT_EQ(GunzipBounded("this is not gzip at all", 1000).status().code(),
            absl::StatusCode::kInvalidArgument);

  std::string compressed = Gzip(Pseudorandom(10000));
  compressed[compressed.size() - 6] ^= 0x55;  // inside the CRC-32 trailer
  auto inflated = GunzipBounded(compressed, 1 << 20);
  EXPECT_EQ(inflated.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(inflated.status().message(), "invalid gzip data: incorrect data check");
}

TEST(GzipTest, AcceptsConcatenatedMembers) {
  std::string compressed = Gzip("first member, ") + Gzip("") + Gzip("second member");
  auto inflated = GunzipBounded(compressed, 1000);
  ASSERT_TRUE(inflated.ok()) << inflated.status();
  EXPECT_EQ(*inflated, "first member, second member");

  // The bound covers all members together.
  EXPECT_EQ(GunzipBounded(compressed, 20).status().code(), absl::StatusCode::kResourceExhausted);
  // A member followed by garbage is corrupt.
  EXPECT_EQ(GunzipBounded(Gzip("ok") + "junk", 1000).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace augur::core
