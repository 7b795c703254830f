#include "core/config_node.h"

#include <gtest/gtest.h>

namespace augur::core {
namespace {

ConfigNode Root(std::string_view yaml) { return ConfigNode(*ConfigNode::Parse(yaml, "test"), ""); }

TEST(ConfigNodeTest, ReadsTypedValuesAndKeepsDefaultsForAbsentKeys) {
  ConfigNode root = Root(R"(
limits:
  max_request_bytes: 4MiB
  max_items: 10
pipeline:
  window: 10s
  lateness: 1m30s
  buckets: [1, 2.5, 10]
  peers: [peer.service, db.system]
  enabled: true
)");
  size_t bytes = 0;
  ASSERT_TRUE(root.Child("limits").GetBytes("max_request_bytes", &bytes).ok());
  EXPECT_EQ(bytes, 4u << 20);
  int items = 0;
  ASSERT_TRUE(root.Child("limits").Get("max_items", &items).ok());
  EXPECT_EQ(items, 10);
  int untouched = 7;
  ASSERT_TRUE(root.Child("limits").Get("absent", &untouched).ok());
  EXPECT_EQ(untouched, 7);
  TimeNs window = 0, lateness = 0;
  ASSERT_TRUE(root.Child("pipeline").GetDuration("window", &window).ok());
  ASSERT_TRUE(root.Child("pipeline").GetDuration("lateness", &lateness).ok());
  EXPECT_EQ(window, 10 * kNsPerSecond);
  EXPECT_EQ(lateness, 90 * kNsPerSecond);
  std::vector<double> buckets;
  ASSERT_TRUE(root.Child("pipeline").Get("buckets", &buckets).ok());
  EXPECT_EQ(buckets, (std::vector<double>{1, 2.5, 10}));
  std::vector<std::string> peers;
  ASSERT_TRUE(root.Child("pipeline").Get("peers", &peers).ok());
  EXPECT_EQ(peers.size(), 2u);
  bool enabled = false;
  ASSERT_TRUE(root.Child("pipeline").Get("enabled", &enabled).ok());
  EXPECT_TRUE(enabled);
}

TEST(ConfigNodeTest, ErrorsNameTheKeyAndTheReason) {
  ConfigNode root = Root("limits:\n  max_items: lots\n  window: 10q\n  buckets: [1, x]\n");
  int items = 0;
  EXPECT_EQ(root.Child("limits").Get("max_items", &items).message(),
            "limits.max_items: expected an integer, got 'lots'");
  TimeNs d = 0;
  EXPECT_EQ(root.Child("limits").GetDuration("window", &d).message(),
            "limits.window: invalid duration '10q' (use e.g. 500ms, 10s, 5m, 1h30m)");
  std::vector<double> b;
  EXPECT_EQ(root.Child("limits").Get("buckets", &b).message(),
            "limits.buckets[1]: expected a number, got 'x'");
}

TEST(ConfigNodeTest, RejectsUnknownKeys) {
  ConfigNode root = Root("receivers:\n  otlp:\n    grcp: {}\n");
  absl::Status s = root.Child("receivers").Child("otlp").CheckKeys({"grpc", "http"});
  EXPECT_EQ(s.message(), "unknown key 'receivers.otlp.grcp' (known here: grpc, http)");
}

TEST(ConfigNodeTest, ReportsYamlSyntaxErrorsWithPosition) {
  auto parsed = ConfigNode::Parse("a: [1, 2\n", "augur.yaml");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(std::string(parsed.status().message()).rfind("augur.yaml:", 0), 0u);
}

TEST(ConfigNodeTest, SetOverridesNestedValues) {
  YAML::Node root = *ConfigNode::Parse("limits:\n  max_items: 5\n", "test");
  ASSERT_TRUE(SetYamlValue(&root, "limits.max_items=9").ok());
  ASSERT_TRUE(SetYamlValue(&root, "pipeline.buckets=[1, 2]").ok());
  ConfigNode node(root, "");
  int items = 0;
  ASSERT_TRUE(node.Child("limits").Get("max_items", &items).ok());
  EXPECT_EQ(items, 9);
  std::vector<double> buckets;
  ASSERT_TRUE(node.Child("pipeline").Get("buckets", &buckets).ok());
  EXPECT_EQ(buckets.size(), 2u);
  EXPECT_FALSE(SetYamlValue(&root, "novalue").ok());
}

TEST(DurationTest, ParsesAndFormats) {
  EXPECT_EQ(*ParseDuration("500ms"), 500 * kNsPerMillisecond);
  EXPECT_EQ(*ParseDuration("1h30m"), 90 * kNsPerMinute);
  EXPECT_EQ(*ParseDuration("0"), 0);
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("10").ok());
  EXPECT_FALSE(ParseDuration("s").ok());
  EXPECT_EQ(FormatDuration(90 * kNsPerMinute), "1h30m");
  EXPECT_EQ(FormatDuration(250 * kNsPerMillisecond), "250ms");
  EXPECT_EQ(FormatDuration(10 * kNsPerSecond), "10s");
}

TEST(BytesTest, ParsesAndFormats) {
  EXPECT_EQ(*ParseBytes("4096"), 4096u);
  EXPECT_EQ(*ParseBytes("20MiB"), 20u << 20);
  EXPECT_EQ(*ParseBytes("4MB"), 4'000'000u);
  EXPECT_FALSE(ParseBytes("MiB").ok());
  EXPECT_FALSE(ParseBytes("12 parsecs").ok());
  EXPECT_EQ(FormatBytes(20u << 20), "20MiB");
  EXPECT_EQ(FormatBytes(1000), "1000");
}

}  // namespace
}  // namespace augur::core
