// deploy/elasticsearch/ holds what users install once before enabling the Elasticsearch exporter:
// the index template and the ILM policy. Elasticsearch is not packaged here, so this checks them
// against what the exporter writes: every field of a document is mapped with the intended type,
// the template applies to the exporter's daily indices and names the policy.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "export/elasticsearch_target.h"

namespace augur::exporter {
namespace {

using nlohmann::json;

json Load(std::string_view name) {
  const std::string path =
      std::string(AUGUR_TESTDATA_DIR) + "/../deploy/elasticsearch/" + std::string(name);
  std::ifstream in(path);
  EXPECT_TRUE(in) << "missing " << path;
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());  // throws, failing the test, when it is not JSON
}

// The mapping of a dotted field path in `properties`, or null.
const json* MappingOf(const json& properties, const std::string& path) {
  const json* level = &properties;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? dot : dot - start);
    if (!level->contains(part)) return nullptr;
    const json& field = (*level)[part];
    if (dot == std::string::npos) return &field;
    if (field.value("type", "object") == "flattened") return &field;  // leaves live inside
    if (!field.contains("properties")) return nullptr;
    level = &field["properties"];
    start = dot + 1;
  }
}

// Dotted paths of a document's leaves ("log.level"); objects under flattened fields stay whole.
void Leaves(const json& doc, const std::string& prefix, const json& properties,
            std::vector<std::string>* out) {
  for (const auto& [key, value] : doc.items()) {
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    const json* mapping = MappingOf(properties, path);
    if (value.is_object() && !(mapping != nullptr && mapping->value("type", "") == "flattened")) {
      Leaves(value, path, properties, out);
    } else {
      out->push_back(path);
    }
  }
}

TEST(ElasticsearchDeployTest, TheIndexTemplateMapsEveryFieldTheExporterWrites) {
  const json tmpl = Load("index_template.json");
  const json& properties = tmpl["template"]["mappings"]["properties"];
  EXPECT_EQ(tmpl["template"]["mappings"]["dynamic"], false);

  model::MinedLogRecord r;
  r.time_ns = 1'795'255'200'123'456'789;
  r.service = "checkout";
  r.severity = model::Severity::kError;
  r.template_id = model::kOverflowTemplateId;  // the largest id: needs a long
  r.template_text = "<overflow>";
  r.body = "Payment failed";
  r.trace_id = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  r.span_id = {1, 2, 3, 4, 5, 6, 7, 8};
  r.attributes = {{"order.id", "991", false}, {"retry", "{\"n\":2}", true}};
  r.resource_attributes = {{"host.name", "node-1", false}};
  const model::MinedLogRecord* records[] = {&r};
  ElasticsearchExporterConfig config;
  const HttpCall call = ElasticsearchTarget(config).Encode(records);
  std::stringstream lines(call.body);
  std::string action, document;
  ASSERT_TRUE(std::getline(lines, action));
  ASSERT_TRUE(std::getline(lines, document));
  const json doc = json::parse(document);

  std::vector<std::string> leaves;
  Leaves(doc, "", properties, &leaves);
  EXPECT_EQ(leaves.size(), 10u);
  for (const std::string& leaf : leaves) {
    EXPECT_NE(MappingOf(properties, leaf), nullptr) << leaf << " is not mapped";
  }
  const std::map<std::string, std::string> types = {
      {"@timestamp", "date_nanos"},  {"message", "match_only_text"}, {"log.level", "keyword"},
      {"service.name", "keyword"},   {"trace.id", "keyword"},        {"span.id", "keyword"},
      {"augur.template_id", "long"}, {"augur.template", "keyword"},  {"attributes", "flattened"},
      {"resource", "flattened"}};
  for (const auto& [field, type] : types) {
    const json* m = MappingOf(properties, field);
    ASSERT_NE(m, nullptr) << field;
    EXPECT_EQ((*m)["type"], type) << field;
  }

  // The template applies to the exporter's daily indices, and manages them with the policy.
  const std::string index = json::parse(action)["create"]["_index"];
  ASSERT_EQ(tmpl["index_patterns"].size(), 1u);
  std::string pattern = tmpl["index_patterns"][0];
  ASSERT_TRUE(pattern.ends_with("*"));
  pattern.pop_back();
  EXPECT_TRUE(index.starts_with(pattern)) << index;
  EXPECT_TRUE(pattern == config.index_prefix + "-") << pattern;
  EXPECT_EQ(tmpl["template"]["settings"]["index.lifecycle.name"], "augur-logs");
}

TEST(ElasticsearchDeployTest, TheIlmPolicyDeletesAfterThirtyDaysWithoutRollover) {
  const json policy = Load("ilm_policy.json");
  const json& phases = policy["policy"]["phases"];
  EXPECT_EQ(phases["delete"]["min_age"], "30d");
  EXPECT_TRUE(phases["delete"]["actions"].contains("delete"));
  for (const auto& [name, phase] : phases.items()) {
    // Augur names each day's index itself: a rollover action would need an alias it never writes.
    EXPECT_FALSE(phase["actions"].contains("rollover")) << name;
  }
}

}  // namespace
}  // namespace augur::exporter
