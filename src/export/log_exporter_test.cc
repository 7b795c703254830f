#include "export/log_exporter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "core/http_server.h"
#include "export/clickhouse_target.h"
#include "export/elasticsearch_target.h"

namespace augur::exporter {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// An HTTP peer standing in for a log store: records every request and answers with `answer`.
class FakeStore {
 public:
  FakeStore() : server_(Options()) {
    server_.HandlePrefix("", "/", [this](const core::HttpRequest& q, core::HttpResponse* r) {
      std::function<void(const core::HttpRequest&, size_t, core::HttpResponse*)> answer;
      size_t n = 0;
      {
        std::lock_guard lock(mu_);
        requests_.push_back(q);
        times_.push_back(steady_clock::now());
        answer = answer_;
        n = requests_.size();
      }
      if (answer) answer(q, n, r);  // unlocked: an answer may wait while the test looks
    });
    EXPECT_TRUE(server_.Start().ok());
  }
  ~FakeStore() { server_.Stop(); }

  std::string endpoint() const { return fmt::format("http://127.0.0.1:{}", server_.port()); }
  void Answer(std::function<void(const core::HttpRequest&, size_t n, core::HttpResponse*)> f) {
    std::lock_guard lock(mu_);
    answer_ = std::move(f);
  }
  std::vector<core::HttpRequest> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::vector<steady_clock::time_point> times() {
    std::lock_guard lock(mu_);
    return times_;
  }

 private:
  static core::HttpServerOptions Options() {
    core::HttpServerOptions o;
    o.address = "127.0.0.1";
    o.threads = 1;
    return o;
  }
  core::HttpServer server_;
  std::mutex mu_;
  std::vector<core::HttpRequest> requests_;
  std::vector<steady_clock::time_point> times_;
  std::function<void(const core::HttpRequest&, size_t, core::HttpResponse*)> answer_;
};

// One record per line of the body: what a fake target sends.
class LineTarget final : public LogTarget {
 public:
  std::string_view name() const override { return "test"; }
  HttpCall Encode(std::span<const model::MinedLogRecord* const> records) const override {
    HttpCall call;
    call.target = "/push";
    for (const auto* r : records) call.body += r->body + "\n";
    return call;
  }
};

std::shared_ptr<const model::MinedLogBatch> Batch(int n, int first = 0) {
  auto b = std::make_shared<model::MinedLogBatch>();
  for (int i = 0; i < n; ++i) {
    model::MinedLogRecord& r = b->emplace_back();
    r.service = "cart";
    r.body = fmt::format("line {}", first + i);
    r.time_ns = 1'700'000'000'000'000'000 + i;
  }
  return b;
}

LogExporterConfig Config(std::string endpoint) {
  LogExporterConfig c;
  c.enabled = true;
  c.endpoint = std::move(endpoint);
  c.batch_size = 3;
  c.flush_interval_ns = 50 * core::kNsPerMillisecond;
  c.queue_size = 100;
  c.max_retries = 3;
  c.initial_backoff_ns = 40 * core::kNsPerMillisecond;
  c.max_backoff_ns = 200 * core::kNsPerMillisecond;
  c.timeout_ns = 2 * core::kNsPerSecond;
  return c;
}

size_t Lines(const std::vector<core::HttpRequest>& requests) {
  size_t n = 0;
  for (const auto& r : requests)
    n += static_cast<size_t>(std::count(r.body->begin(), r.body->end(), '\n'));
  return n;
}

template <typename Pred>
bool Eventually(Pred pred) {
  for (int i = 0; i < 300; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return pred();
}

TEST(LogExporterTest, SendsFullBatchesAtOnceAndTheRestAfterTheFlushInterval) {
  FakeStore store;
  core::SelfMetrics metrics;
  LogExporter exporter(Config(store.endpoint()), std::make_unique<LineTarget>(), &metrics);
  ASSERT_TRUE(exporter.Start().ok());
  exporter.Offer(Batch(7));
  ASSERT_TRUE(Eventually([&] { return Lines(store.requests()) == 7; }));
  auto requests = store.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(*requests[0].body, "line 0\nline 1\nline 2\n");
  EXPECT_EQ(requests[0].path, "/push");
  EXPECT_EQ(*requests[2].body, "line 6\n");
  exporter.Stop();
  EXPECT_EQ(metrics.Value("augur_export_test_sent"), 7);
  EXPECT_EQ(metrics.Value("augur_export_test_dropped"), 0);
  EXPECT_EQ(metrics.Value("augur_export_test_errors"), 0);
}

TEST(LogExporterTest, RetriesRetryableFailuresWithGrowingJitteredBackoff) {
  FakeStore store;
  store.Answer([](const core::HttpRequest&, size_t n, core::HttpResponse* r) {
    if (n == 1) r->status = 503;
    if (n == 2) r->status = 429;
  });
  core::SelfMetrics metrics;
  LogExporter exporter(Config(store.endpoint()), std::make_unique<LineTarget>(), &metrics, 1);
  ASSERT_TRUE(exporter.Start().ok());
  exporter.Offer(Batch(3));
  ASSERT_TRUE(Eventually([&] { return metrics.Value("augur_export_test_sent") == 3; }));
  auto times = store.times();
  ASSERT_EQ(times.size(), 3u);
  // Waits are drawn from [backoff/2, backoff]: 20-40 ms, then 40-80 ms.
  EXPECT_GE(times[1] - times[0], milliseconds(19));
  EXPECT_GE(times[2] - times[1], milliseconds(39));
  EXPECT_EQ(*store.requests()[2].body, "line 0\nline 1\nline 2\n");  // the same records again
  exporter.Stop();
  EXPECT_EQ(metrics.Value("augur_export_test_retries"), 2);
  EXPECT_EQ(metrics.Value("augur_export_test_errors"), 2);
  EXPECT_EQ(metrics.Value("augur_export_test_dropped"), 0);
}

TEST(LogExporterTest, PermanentFailuresAreDroppedWithoutRetrying) {
  FakeStore store;
  store.Answer([](const core::HttpRequest&, size_t, core::HttpResponse* r) {
    r->status = 400;
    r->body = "bad row";
  });
  core::SelfMetrics metrics;
  LogExporter exporter(Config(store.endpoint()), std::make_unique<LineTarget>(), &metrics);
  ASSERT_TRUE(exporter.Start().ok());
  exporter.Offer(Batch(3));
  ASSERT_TRUE(Eventually([&] { return metrics.Value("augur_export_test_dropped") == 3; }));
  exporter.Stop();
  EXPECT_EQ(store.requests().size(), 1u);
  EXPECT_EQ(metrics.Value("augur_export_test_retries"), 0);
  EXPECT_EQ(metrics.Value("augur_export_test_sent"), 0);
}

TEST(LogExporterTest, AStoreThatIsDownCostsRetriesThenDrops) {
  // A port nothing listens on: bind a server, note its port, stop it.
  uint16_t port;
  {
    core::HttpServerOptions o;
    o.address = "127.0.0.1";
    core::HttpServer s(o);
    ASSERT_TRUE(s.Start().ok());
    port = s.port();
    s.Stop();
  }
  core::SelfMetrics metrics;
  LogExporterConfig config = Config(fmt::format("http://127.0.0.1:{}", port));
  config.max_retries = 2;
  config.initial_backoff_ns = 5 * core::kNsPerMillisecond;
  LogExporter exporter(config, std::make_unique<LineTarget>(), &metrics);
  ASSERT_TRUE(exporter.Start().ok());
  exporter.Offer(Batch(3));
  ASSERT_TRUE(Eventually([&] { return metrics.Value("augur_export_test_dropped") == 3; }));
  EXPECT_EQ(metrics.Value("augur_export_test_retries"), 2);
  EXPECT_EQ(metrics.Value("augur_export_test_errors"), 3);
}

TEST(LogExporterTest, AFullQueueDropsAndCountsWithoutBlocking) {
  FakeStore store;
  std::atomic<bool> release{false};
  store.Answer([&](const core::HttpRequest&, size_t, core::HttpResponse*) {
    while (!release.load()) std::this_thread::sleep_for(milliseconds(5));
  });
  core::SelfMetrics metrics;
  LogExporterConfig config = Config(store.endpoint());
  config.queue_size = 6;
  LogExporter exporter(config, std::make_unique<LineTarget>(), &metrics);
  ASSERT_TRUE(exporter.Start().ok());
  exporter.Offer(Batch(3));  // taken by the sender, which then waits on the store
  ASSERT_TRUE(Eventually([&] { return store.requests().size() == 1; }));
  // Offer returns while the sender is stuck on the store (this would hang otherwise).
  for (int i = 0; i < 100; ++i) exporter.Offer(Batch(10, 100 * i));
  EXPECT_EQ(exporter.queued(), 6u);
  EXPECT_EQ(metrics.Value("augur_export_test_dropped"), 994);
  EXPECT_EQ(metrics.Value("augur_export_test_queue_records"), 6);
  release = true;
  ASSERT_TRUE(Eventually([&] { return metrics.Value("augur_export_test_sent") == 9; }));
  exporter.Stop();
}

TEST(LogExporterTest, StopSendsWhatIsQueued) {
  FakeStore store;
  core::SelfMetrics metrics;
  LogExporterConfig config = Config(store.endpoint());
  config.batch_size = 100;
  config.flush_interval_ns = 10 * core::kNsPerSecond;  // only Stop() sends
  LogExporter exporter(config, std::make_unique<LineTarget>(), &metrics);
  ASSERT_TRUE(exporter.Start().ok());
  exporter.Offer(Batch(5));
  exporter.Stop();
  EXPECT_EQ(Lines(store.requests()), 5u);
  EXPECT_EQ(metrics.Value("augur_export_test_sent"), 5);
  exporter.Offer(Batch(2));  // after Stop: dropped
  EXPECT_EQ(metrics.Value("augur_export_test_dropped"), 2);
}

TEST(LogExporterTest, ClickHouseSetsUpItsTableFirstAndAgainAfterAFailure) {
  FakeStore store;
  std::atomic<int> inserts{0};
  store.Answer([&](const core::HttpRequest& q, size_t, core::HttpResponse* r) {
    if (q.query.find("INSERT") != std::string::npos && inserts++ == 0) {
      // What clickhouse-server 18.16 answers when the table was dropped: the batch is retried
      // after the table is created again, not dropped.
      r->status = 404;
      r->body = "Code: 60, e.displayText() = DB::Exception: Table augur.logs doesn't exist.";
    }
    if (q.body->find("MATERIALIZED VIEW") != std::string::npos) r->status = 500;  // optional
  });
  core::SelfMetrics metrics;
  ClickHouseExporterConfig config;
  config.exporter = Config(store.endpoint());
  LogExporter exporter(config.exporter, std::make_unique<ClickHouseTarget>(config), &metrics);
  ASSERT_TRUE(exporter.Start().ok());
  exporter.Offer(Batch(2));
  ASSERT_TRUE(Eventually([&] { return metrics.Value("augur_export_clickhouse_sent") == 2; }));
  exporter.Stop();
  EXPECT_EQ(metrics.Value("augur_export_clickhouse_dropped"), 0);
  EXPECT_EQ(metrics.Value("augur_export_clickhouse_retries"), 1);
  std::vector<std::string> kinds;
  for (const auto& r : store.requests()) {
    if (r.query.find("INSERT") != std::string::npos) {
      kinds.push_back("insert");
    } else if (r.body->find("CREATE DATABASE") != std::string::npos) {
      kinds.push_back("database");
    } else if (r.body->find("CREATE TABLE") != std::string::npos) {
      kinds.push_back("table");
    } else if (r.body->find("CREATE MATERIALIZED VIEW") != std::string::npos) {
      kinds.push_back("view");
    }
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"database", "table", "view", "insert", "database",
                                             "table", "view", "insert"}));
  EXPECT_NE(store.requests()[3].query.find("FORMAT%20JSONEachRow"), std::string::npos);
}

TEST(LogExporterTest, ElasticsearchRetriesOnlyTheItemsThatAskForIt) {
  FakeStore store;
  store.Answer([](const core::HttpRequest& q, size_t n, core::HttpResponse* r) {
    r->content_type = "application/json";
    if (n == 1) {
      r->body = R"({"took":3,"errors":true,"items":[
        {"create":{"_index":"x","status":201}},
        {"create":{"_index":"x","status":429,"error":{"type":"es_rejected_execution_exception"}}},
        {"create":{"_index":"x","status":400,"error":{"type":"mapper_parsing_exception"}}}]})";
    } else {
      r->body = R"({"took":1,"errors":false,"items":[{"create":{"status":201}}]})";
    }
  });
  core::SelfMetrics metrics;
  ElasticsearchExporterConfig config;
  config.exporter = Config(store.endpoint());
  LogExporter exporter(config.exporter, std::make_unique<ElasticsearchTarget>(config), &metrics);
  ASSERT_TRUE(exporter.Start().ok());
  exporter.Offer(Batch(3));
  ASSERT_TRUE(Eventually([&] { return metrics.Value("augur_export_elasticsearch_sent") == 2; }));
  exporter.Stop();
  auto requests = store.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].path, "/_bulk");
  EXPECT_NE(requests[1].body->find("line 1"), std::string::npos);  // the 429 item only
  EXPECT_EQ(std::count(requests[1].body->begin(), requests[1].body->end(), '\n'), 2);
  EXPECT_EQ(metrics.Value("augur_export_elasticsearch_dropped"), 1);
  EXPECT_EQ(metrics.Value("augur_export_elasticsearch_retries"), 1);
}

TEST(LogExporterConfigTest, ValidatesWithTheKey) {
  LogExporterConfig c = Config("ftp://x");
  EXPECT_NE(c.Validate("exporters.loki").message().find("exporters.loki.endpoint"),
            std::string::npos);
  c = Config("http://127.0.0.1:1");
  c.queue_size = 1;
  EXPECT_EQ(c.Validate("exporters.loki").message(),
            "exporters.loki.queue_size must be at least batch_size");
  c.enabled = false;
  EXPECT_TRUE(c.Validate("exporters.loki").ok());  // off: not checked
  ClickHouseExporterConfig ch;
  ch.exporter.enabled = true;
  ch.table = "logs; DROP TABLE x";
  EXPECT_FALSE(ch.Validate().ok());
}

}  // namespace
}  // namespace augur::exporter
