#include "derive/log_masker.h"

#include <string>

#include <gtest/gtest.h>

#include "core/utf8.h"

namespace augur::derive {
namespace {

std::string Masked(std::string_view line) {
  LogLineMasker masker(128, 4096);
  MaskedLine out;
  masker.Mask(line, &out);
  return out.Joined();
}

TEST(LogMaskerTest, Numbers) {
  EXPECT_EQ(Masked("retry 3 of 10"), "retry <*> of <*>");
  EXPECT_EQ(Masked("progress 0.023958297 delta -26 exp 1.5e-3"), "progress <*> delta <*> exp <*>");
  EXPECT_EQ(Masked("Running task 0.0 in stage 10.0 (TID 402)"),
            "Running task <*> in stage <*> (TID <*>)");
}

TEST(LogMaskerTest, IdsWithDigits) {
  EXPECT_EQ(Masked("Receiving block blk_-1608999687919862906"), "Receiving block <*>");
  EXPECT_EQ(Masked("Launching attempt_1445144423722_0020_m_000000_0"), "Launching <*>");
  EXPECT_EQ(Masked("domain storage1024 full"), "domain <*> full");
  // A word before '-' or '.' stays.
  EXPECT_EQ(Masked("node node-246 up"), "node node-<*> up");
  EXPECT_EQ(Masked("generating core.10019"), "generating core.<*>");
}

TEST(LogMaskerTest, NamesWithOneDigitStay) {
  EXPECT_EQ(Masked("via interface eth0 tty2"), "via interface eth0 tty2");
  EXPECT_EQ(Masked("open through proxy SOCKS5"), "open through proxy SOCKS5");
  EXPECT_EQ(Masked("Slf4jLogger started with log4j"), "Slf4jLogger started with log4j");
}

TEST(LogMaskerTest, IpAddressesAndEndpoints) {
  EXPECT_EQ(Masked("from 10.251.91.84 port"), "from <*> port");
  EXPECT_EQ(Masked("to 10.251.91.84:50010 ok"), "to <*> ok");
  EXPECT_EQ(Masked("request /10.10.34.11:45307"), "request <*>");
  EXPECT_EQ(Masked("net 10.0.0.0/8"), "net <*>");
  EXPECT_EQ(Masked("peer fe80::1ff:fe23:4567:890a up"), "peer <*> up");
  EXPECT_EQ(Masked("peer 2001:db8:85a3::8a2e:370:7334 up"), "peer <*> up");
  EXPECT_EQ(Masked("proxy.cse.cuhk.edu.hk:5070 open"), "<*> open");
  EXPECT_EQ(Masked("mac 00:1A:2B:3C:4D:5E"), "mac <*>");
}

TEST(LogMaskerTest, HexAndUuid) {
  EXPECT_EQ(Masked("at 0x12af93a0, mask 0x08"), "at <*>, mask <*>");
  EXPECT_EQ(Masked("iar 001007a8 dear 065b4cac"), "iar <*> dear <*>");
  EXPECT_EQ(Masked("request 550e8400-e29b-41d4-a716-446655440000 done"), "request <*> done");
}

TEST(LogMaskerTest, PathsUrlsAndEmails) {
  EXPECT_EQ(Masked("Deleting file /mnt/hadoop/dfs/data/blk_1"), "Deleting file <*>");
  EXPECT_EQ(Masked("log source = /proc/kmsg started."), "log source = <*> started.");
  EXPECT_EQ(Masked("chdir(/tmp/run) failed"), "chdir(<*>) failed");
  EXPECT_EQ(Masked("loading C:\\Windows\\system32\\x.dll"), "loading <*>");
  EXPECT_EQ(Masked("GET https://example.com/a?b=1 done"), "GET <*> done");
  EXPECT_EQ(Masked("mail to alice@example.com"), "mail to <*>");
}

TEST(LogMaskerTest, DurationsAndSizes) {
  EXPECT_EQ(Masked("took 12ms and 3.5s"), "took <*> and <*>");
  EXPECT_EQ(Masked("lifetime <1 sec"), "lifetime <*>");
  EXPECT_EQ(Masked("took 21 ms"), "took <*>");
  EXPECT_EQ(Masked("capacity 17.7 GB"), "capacity <*>");
  EXPECT_EQ(Masked("cache: 16K"), "cache: <*>");
  EXPECT_EQ(Masked("(estimated size 93.0 B, free 317.1 KB)"), "(estimated size <*>, free <*>)");
  // A parenthesised restatement of a byte count folds into it, so both forms have one length.
  EXPECT_EQ(Masked("451 bytes sent, 18846 bytes (18.4 KB) received"),
            "<*> bytes sent, <*> bytes received");
  EXPECT_EQ(Masked("0 bytes sent, 0 bytes received"), "<*> bytes sent, <*> bytes received");
}

TEST(LogMaskerTest, DatesAndTimes) {
  EXPECT_EQ(Masked("connection at Fri Jun 17 07:07:00 2005"), "connection at <*>");
  EXPECT_EQ(Masked("status=M Sat Sep 17 07:49:04 PDT 2005"), "status=<*> <*>");
  EXPECT_EQ(Masked("started 2015-10-18 18:01:47,978 ok"), "started <*> ok");
  EXPECT_EQ(Masked("lifetime 00:01"), "lifetime <*>");
  EXPECT_EQ(Masked("date 17/06/09"), "date <*>");
  // Month names mean a date only beside a day or a year.
  EXPECT_EQ(Masked("May I help"), "May I help");
}

TEST(LogMaskerTest, KeyValuePairs) {
  EXPECT_EQ(Masked("logname= uid=0 euid=0 user=root"), "logname= uid=<*> euid=<*> user=<*>");
  EXPECT_EQ(Masked("session opened by (uid=509)"), "session opened by (uid=<*>)");
  // The key stays even when it carries digits.
  EXPECT_EQ(Masked("PSR0=00001f01 r24=1"), "PSR0=<*> r24=<*>");
}

TEST(LogMaskerTest, ListsOfValuesCollapse) {
  EXPECT_EQ(Masked("ask 10.0.0.1:50010 to delete blk_1 blk_2 blk_-3"), "ask <*> to delete <*>");
  EXPECT_EQ(Masked("ask 10.0.0.1:50010 to delete blk_1"), "ask <*> to delete <*>");
  EXPECT_EQ(Masked("ids 1, 2, 3 done"), "ids <*> done");
  EXPECT_EQ(Masked("Fan speeds ( 3534 3534 **** 3497 )"), "Fan speeds ( <*> **** <*> )");
}

TEST(LogMaskerTest, WhitespaceAndEmptyLines) {
  EXPECT_EQ(Masked(""), "");
  EXPECT_EQ(Masked(" \t \r\n"), "");
  EXPECT_EQ(Masked("  a\tb  c \r"), "a b c");
}

TEST(LogMaskerTest, InvalidUtf8BecomesReplacementCharacter) {
  std::string masked = Masked("caf\xC3 \xFF\xFE value=\xC0\xAF ok");
  EXPECT_TRUE(core::IsValidUtf8(masked));
  EXPECT_EQ(masked, "caf\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD value=<*> ok");
  EXPECT_EQ(Masked("caf\xC3\xA9 ok"), "caf\xC3\xA9 ok");
}

TEST(LogMaskerTest, LimitsTokensAndBytes) {
  LogLineMasker masker(3, 4096);
  MaskedLine out;
  masker.Mask("a b c d e", &out);
  EXPECT_EQ(out.Joined(), "a b c");

  LogLineMasker small(128, 16);
  small.Mask("alpha beta gamma delta epsilon", &out);
  EXPECT_EQ(out.Joined(), "alpha beta gamma");
  small.Mask(std::string(100, 'x'), &out);
  EXPECT_EQ(out.Joined(), std::string(16, 'x'));
}

TEST(LogMaskerTest, TokensCarryHashAndVariableFlag) {
  LogLineMasker masker(128, 4096);
  MaskedLine a, b;
  masker.Mask("user 42 (uid=7) <*>:<*>", &a);
  masker.Mask("user 43 x", &b);
  ASSERT_EQ(a.size(), 4u);
  EXPECT_FALSE(a.info(0).variable);
  EXPECT_TRUE(a.info(1).variable);
  EXPECT_FALSE(a.info(2).variable);  // "(uid=<*>)" has a word
  EXPECT_TRUE(a.info(3).variable);
  EXPECT_EQ(a.info(0).hash, b.info(0).hash);
  EXPECT_EQ(a.info(1).hash, b.info(1).hash);
}

}  // namespace
}  // namespace augur::derive
