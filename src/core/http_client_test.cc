#include "core/http_client.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/http_server.h"

namespace augur::core {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A loopback TCP socket bound to a free port; listening or not.
class LoopbackSocket {
 public:
  explicit LoopbackSocket(bool listening) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    socklen_t length = sizeof(address);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    if (listening) listen(fd_, 16);
  }
  ~LoopbackSocket() { close(fd_); }
  uint16_t Port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

HttpServerOptions LocalOptions() {
  HttpServerOptions options;
  options.address = "127.0.0.1";
  return options;
}

TEST(HttpClientTest, RefusedConnectionIsUnavailable) {
  // Bound but not listening: connecting is refused.
  LoopbackSocket closed_port(/*listening=*/false);
  HttpClient client("127.0.0.1", closed_port.Port());
  auto response = client.Get("/");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(response.status().message()),
              StartsWith(absl::StrCat("connect to 127.0.0.1:", closed_port.Port(), ": ")));
  EXPECT_THAT(std::string(response.status().message()), HasSubstr("refused"));
}

TEST(HttpClientTest, SilentServerTimesOut) {
  // The kernel completes the handshake from the backlog; nobody ever reads or answers.
  LoopbackSocket silent(/*listening=*/true);
  HttpClientOptions options;
  options.request_timeout = std::chrono::milliseconds(200);
  HttpClient client("127.0.0.1", silent.Port(), options);
  auto start = std::chrono::steady_clock::now();
  auto response = client.Send("POST", "/v1/traces", {}, "spans");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(response.status().message()), HasSubstr("timed out after 200 ms"));
}

TEST(HttpClientTest, ReconnectsWhenTheServerClosedTheIdleConnection) {
  HttpServerOptions server_options = LocalOptions();
  server_options.idle_timeout = std::chrono::milliseconds(50);
  HttpServer server(server_options);
  server.Handle("POST", "/echo", [](const HttpRequest& request, HttpResponse* response) {
    response->body = absl::StrCat(request.remote_address, " ", *request.body);
  });
  ASSERT_TRUE(server.Start().ok());

  HttpClient client("127.0.0.1", server.port());
  auto first = client.Send("POST", "/echo", {}, "one");
  ASSERT_TRUE(first.ok()) << first.status();
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the server hangs up meanwhile
  auto second = client.Send("POST", "/echo", {}, "two");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->status, 200);
  EXPECT_THAT(second->body, testing::EndsWith(" two"));
  // A new connection, hence a new client port.
  EXPECT_NE(first->body.substr(0, first->body.find(' ')),
            second->body.substr(0, second->body.find(' ')));
}

TEST(HttpClientTest, SendsStandardHeadersAndReadsTheResponse) {
  HttpServer server(LocalOptions());
  HttpRequest seen;
  server.Handle("", "/api/v1/push", [&](const HttpRequest& request, HttpResponse* response) {
    seen = request;
    response->status = 204;
    response->headers.emplace_back("X-Request-Id", "42");
  });
  ASSERT_TRUE(server.Start().ok());

  HttpClient client("127.0.0.1", server.port());
  auto response = client.Send(
      "PUT", "/api/v1/push",
      {{"Content-Type", "application/x-protobuf"}, {"Content-Encoding", "snappy"}}, "body");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 204);
  EXPECT_EQ(response->Header("X-Request-Id"), "42");
  EXPECT_EQ(response->body, "");

  EXPECT_EQ(seen.method, "PUT");
  EXPECT_EQ(seen.Header("Host"), absl::StrCat("127.0.0.1:", server.port()));
  EXPECT_EQ(seen.Header("User-Agent"), "augur");
  EXPECT_EQ(seen.Header("Content-Length"), "4");
  EXPECT_EQ(seen.Header("Content-Type"), "application/x-protobuf");
  EXPECT_EQ(seen.Header("Content-Encoding"), "snappy");

  auto text = client.Send("POST", "/api/v1/push", {}, "");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(seen.Header("Content-Length"), "0");
}

TEST(HttpClientTest, ReportsContentTypeOfTheResponse) {
  HttpServer server(LocalOptions());
  server.Handle("GET", "/metrics", [](const HttpRequest&, HttpResponse* response) {
    response->content_type = "text/plain; version=0.0.4";
    response->body = "augur_up 1\n";
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());
  auto response = client.Get("/metrics");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->content_type, "text/plain; version=0.0.4");
  EXPECT_EQ(response->body, "augur_up 1\n");
}

TEST(HttpClientTest, RefusesResponsesOverTheLimit) {
  HttpServer server(LocalOptions());
  server.Handle("GET", "/big", [](const HttpRequest&, HttpResponse* response) {
    response->body = std::string(10'000, 'x');
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClientOptions options;
  options.max_response_bytes = 1000;
  HttpClient client("127.0.0.1", server.port(), options);
  auto response = client.Get("/big");
  EXPECT_EQ(response.status().code(), absl::StatusCode::kResourceExhausted);
  // The client recovers on a fresh connection.
  options.max_response_bytes = 20'000;
  HttpClient roomy("127.0.0.1", server.port(), options);
  EXPECT_TRUE(roomy.Get("/big").ok());
}

TEST(HttpClientTest, ParsesHttpUrls) {
  auto full = ParseHttpUrl("http://collector.internal:4318/v1/traces?x=1");
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(full->host, "collector.internal");
  EXPECT_EQ(full->port, 4318);
  EXPECT_EQ(full->target, "/v1/traces?x=1");

  auto bare = ParseHttpUrl("http://alertmanager");
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_EQ(bare->host, "alertmanager");
  EXPECT_EQ(bare->port, 80);
  EXPECT_EQ(bare->target, "/");

  auto query_only = ParseHttpUrl("HTTP://10.0.0.1:9090?q=up#frag");
  ASSERT_TRUE(query_only.ok()) << query_only.status();
  EXPECT_EQ(query_only->host, "10.0.0.1");
  EXPECT_EQ(query_only->port, 9090);
  EXPECT_EQ(query_only->target, "/?q=up");

  auto ipv6 = ParseHttpUrl("http://[::1]:8080/api/v1/write");
  ASSERT_TRUE(ipv6.ok()) << ipv6.status();
  EXPECT_EQ(ipv6->host, "::1");
  EXPECT_EQ(ipv6->port, 8080);
  EXPECT_EQ(ipv6->target, "/api/v1/write");

  for (std::string_view bad :
       {"https://example.com/", "ftp://example.com", "example.com:80/", "http://", "http:///path",
        "http://host:/", "http://host:0/", "http://host:65536/", "http://host:80x/",
        "http://user@host/", "http://ho st/", "http://[::1/", "http://host/a b", ""}) {
    auto parsed = ParseHttpUrl(bad);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_THAT(std::string(ParseHttpUrl("https://example.com/").status().message()),
              HasSubstr("https is not supported"));
}

}  // namespace
}  // namespace augur::core
