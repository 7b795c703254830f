#include "core/http_server.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/http_client.h"

namespace augur::core {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A blocking client socket for what HttpClient cannot send: raw bytes, pipelining, half requests.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{.tv_sec = 5, .tv_usec = 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawConnection() { close(fd_); }

  bool Connected() const { return connected_; }

  void Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      bytes.remove_prefix(n);
    }
  }

  // Reads until `bytes_wanted` bytes are buffered or the peer closes; returns what was read.
  std::string ReadAtLeast(size_t bytes_wanted) {
    while (buffer_.size() < bytes_wanted && Fill()) {
    }
    std::string out = std::move(buffer_);
    buffer_.clear();
    return out;
  }

  // Reads a response header only (through the blank line).
  std::string ReadHeader() {
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::exchange(buffer_, "");
    }
    std::string header = buffer_.substr(0, header_end + 4);
    buffer_.erase(0, header_end + 4);
    return header;
  }

  // Reads one response with a Content-Length body (or none) and returns it whole.
  std::string ReadResponse() {
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::exchange(buffer_, "");
    }
    size_t length = 0;
    size_t at = buffer_.find("Content-Length: ");
    if (at != std::string::npos && at < header_end) length = std::stoul(buffer_.substr(at + 16));
    size_t total = header_end + 4 + length;
    while (buffer_.size() < total && Fill()) {
    }
    std::string response = buffer_.substr(0, total);
    buffer_.erase(0, total);
    return response;
  }

  // True when the server closes the connection (EOF or reset) within the receive timeout.
  bool ClosedByPeer() {
    char byte;
    ssize_t n = recv(fd_, &byte, 1, 0);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }

 private:
  bool Fill() {
    char chunk[16 << 10];
    ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer_.append(chunk, n);
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

HttpServerOptions LocalOptions() {
  HttpServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  return options;
}

void Echo(const HttpRequest& request, HttpResponse* response) {
  response->content_type = "application/octet-stream";
  response->body = *request.body;
}

TEST(HttpServerTest, RoutesExactPathFirstThenLongestPrefix) {
  HttpServer server(LocalOptions());
  auto reply = [](const std::string& name) {
    return [name](const HttpRequest& request, HttpResponse* response) {
      response->body = absl::StrCat(name, " ", request.path);
    };
  };
  server.Handle("GET", "/api/v1/services", reply("exact"));
  server.HandlePrefix("GET", "/api/", reply("api"));
  server.HandlePrefix("GET", "/api/v1/services/", reply("service"));
  server.HandlePrefix("", "/", reply("root"));
  ASSERT_TRUE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());

  auto body_of = [&](std::string_view target) {
    auto response = client.Get(target);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->body : "";
  };
  EXPECT_EQ(body_of("/api/v1/services"), "exact /api/v1/services");
  EXPECT_EQ(body_of("/api/v1/services/checkout"), "service /api/v1/services/checkout");
  EXPECT_EQ(body_of("/api/v1/other"), "api /api/v1/other");
  EXPECT_EQ(body_of("/index.html"), "root /index.html");
}

TEST(HttpServerTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  HttpServer server(LocalOptions());
  server.Handle("POST", "/v1/traces", Echo);
  server.Handle("GET", "/v1/traces", Echo);
  server.HandlePrefix("DELETE", "/v1/", Echo);
  ASSERT_TRUE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());

  auto missing = client.Get("/nowhere");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->body, "no handler for /nowhere");

  auto wrong_method = client.Send("PUT", "/v1/traces", {}, "x");
  ASSERT_TRUE(wrong_method.ok()) << wrong_method.status();
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(wrong_method->Header("Allow"), "DELETE, GET, HEAD, POST");

  // The connection survives both answers.
  auto fine = client.Send("POST", "/v1/traces", {}, "spans");
  ASSERT_TRUE(fine.ok()) << fine.status();
  EXPECT_EQ(fine->status, 200);
  EXPECT_EQ(fine->body, "spans");
}

TEST(HttpServerTest, PassesRequestPartsToTheHandler) {
  HttpServer server(LocalOptions());
  HttpRequest seen;
  server.HandlePrefix("POST", "/files/", [&](const HttpRequest& request, HttpResponse* response) {
    seen = request;
    response->status = 202;
    response->content_type = "application/json";
    response->headers.emplace_back("X-Augur", "yes");
    response->headers.emplace_back("X-Injected", "a\r\nEvil: 1");  // dropped, not split
    response->body = "{}";
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());

  auto response = client.Send("POST", "/files/my%20report%2Fq3.txt?limit=5&name=a%26b+c&flag",
                              {{"X-Tenant", "shop"}}, "payload");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 202);
  EXPECT_EQ(response->content_type, "application/json");
  EXPECT_EQ(response->Header("X-Augur"), "yes");
  EXPECT_EQ(response->Header("X-Injected"), "");
  EXPECT_EQ(response->Header("Evil"), "");
  EXPECT_EQ(response->body, "{}");

  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/files/my%20report%2Fq3.txt?limit=5&name=a%26b+c&flag");
  EXPECT_EQ(seen.path, "/files/my report/q3.txt");
  EXPECT_EQ(seen.query, "limit=5&name=a%26b+c&flag");
  EXPECT_EQ(seen.QueryParam("limit"), "5");
  EXPECT_EQ(seen.QueryParam("name"), "a&b c");
  EXPECT_EQ(seen.QueryParam("flag"), "");
  EXPECT_EQ(seen.Header("x-tenant"), "shop");
  EXPECT_EQ(seen.Header("User-Agent"), "augur");
  EXPECT_EQ(*seen.body, "payload");
  EXPECT_THAT(seen.remote_address, StartsWith("127.0.0.1:"));
}

TEST(HttpServerTest, BodyKeepsSpareCapacityForParsers) {
  HttpServer server(LocalOptions());
  size_t size = 0;
  size_t capacity = 0;
  server.Handle("POST", "/v1/logs", [&](const HttpRequest& request, HttpResponse*) {
    size = request.body->size();
    capacity = request.body->capacity();
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());
  ASSERT_TRUE(client.Send("POST", "/v1/logs", {}, std::string(250'000, 'x')).ok());
  EXPECT_EQ(size, 250'000u);
  EXPECT_GE(capacity, size + 64);
}

TEST(HttpServerTest, ReceivesLargeBodiesIntact) {
  HttpServerOptions options = LocalOptions();
  options.max_body_bytes = 8 << 20;
  HttpServer server(options);
  server.Handle("POST", "/echo", Echo);
  ASSERT_TRUE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());
  std::string body(5 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7 + i / 4096);
  for (int i = 0; i < 3; ++i) {
    auto response = client.Send("POST", "/echo", {}, body);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_TRUE(response->body == body);
  }
}

TEST(HttpServerTest, KeepsConnectionsAliveAndAnswersPipelinedRequests) {
  HttpServer server(LocalOptions());
  std::vector<std::string> peers;
  server.Handle("POST", "/echo", [&](const HttpRequest& request, HttpResponse* response) {
    peers.push_back(request.remote_address);
    Echo(request, response);
  });
  ASSERT_TRUE(server.Start().ok());

  HttpClient client("127.0.0.1", server.port());
  for (int i = 0; i < 5; ++i) {
    auto response = client.Send("POST", "/echo", {}, absl::StrCat("request ", i));
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->body, absl::StrCat("request ", i));
  }
  ASSERT_EQ(peers.size(), 5u);
  for (const std::string& peer : peers) EXPECT_EQ(peer, peers.front());

  RawConnection raw(server.port());
  raw.Send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\none"
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\ntwo");
  EXPECT_THAT(raw.ReadResponse(),
              AllOf(StartsWith("HTTP/1.1 200 OK\r\n"), HasSubstr("\r\n\r\none")));
  EXPECT_THAT(raw.ReadResponse(),
              AllOf(StartsWith("HTTP/1.1 200 OK\r\n"), HasSubstr("\r\n\r\ntwo")));
  raw.Send("GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string last = raw.ReadResponse();
  EXPECT_THAT(last, StartsWith("HTTP/1.1 405"));
  EXPECT_THAT(last, HasSubstr("Connection: close\r\n"));
  EXPECT_TRUE(raw.ClosedByPeer());
}

TEST(HttpServerTest, HeadGetsTheGetHeadersWithoutBody) {
  HttpServer server(LocalOptions());
  server.Handle("GET", "/healthz",
                [](const HttpRequest&, HttpResponse* response) { response->body = "ok\n"; });
  ASSERT_TRUE(server.Start().ok());
  RawConnection raw(server.port());
  raw.Send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string head = raw.ReadHeader();
  EXPECT_THAT(head, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(head, HasSubstr("Content-Length: 3\r\n"));
  // No body follows the HEAD response: the next bytes are the GET response.
  EXPECT_THAT(raw.ReadResponse(),
              AllOf(StartsWith("HTTP/1.1 200 OK\r\n"), HasSubstr("\r\n\r\nok\n")));
}

TEST(HttpServerTest, DeclaredBodyOverLimitGets413AndServerStaysUp) {
  HttpServerOptions options = LocalOptions();
  options.max_body_bytes = 1024;
  HttpServer server(options);
  std::atomic<int> calls{0};
  server.Handle("POST", "/v1/traces", [&](const HttpRequest& request, HttpResponse* response) {
    ++calls;
    Echo(request, response);
  });
  ASSERT_TRUE(server.Start().ok());

  {
    RawConnection raw(server.port());
    // No body follows: the answer must come from the header alone.
    raw.Send("POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n");
    std::string response = raw.ReadResponse();
    EXPECT_THAT(response, StartsWith("HTTP/1.1 413 Payload Too Large\r\n"));
    EXPECT_THAT(response, HasSubstr("Connection: close\r\n"));
    EXPECT_THAT(
        response,
        HasSubstr("\r\n\r\nrequest body of 10000000 bytes exceeds the limit of 1024 bytes"));
    EXPECT_TRUE(raw.ClosedByPeer());
  }
  {
    // A client that sends the body anyway still reads the 413.
    HttpClient client("127.0.0.1", server.port());
    auto response = client.Send("POST", "/v1/traces", {}, std::string(100'000, 'x'));
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 413);
  }
  HttpClient client("127.0.0.1", server.port());
  auto response = client.Send("POST", "/v1/traces", {}, std::string(1024, 'y'));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(calls.load(), 1);
}

TEST(HttpServerTest, ChunkedBodiesAreAssembledAndBounded) {
  HttpServerOptions options = LocalOptions();
  options.max_body_bytes = 10;
  HttpServer server(options);
  server.Handle("POST", "/echo", Echo);
  ASSERT_TRUE(server.Start().ok());

  RawConnection raw(server.port());
  raw.Send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\nspan\r\n2\r\ns!\r\n0\r\n\r\n");
  EXPECT_THAT(raw.ReadResponse(),
              AllOf(StartsWith("HTTP/1.1 200 OK\r\n"), HasSubstr("\r\n\r\nspans!")));

  raw.Send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n");
  EXPECT_THAT(raw.ReadResponse(),
              AllOf(StartsWith("HTTP/1.1 413 "),
                    HasSubstr("\r\n\r\nrequest body exceeds the limit of 10 bytes")));
  EXPECT_TRUE(raw.ClosedByPeer());
}

TEST(HttpServerTest, HonoursExpectContinue) {
  HttpServerOptions options = LocalOptions();
  options.max_body_bytes = 100;
  HttpServer server(options);
  server.Handle("POST", "/echo", Echo);
  ASSERT_TRUE(server.Start().ok());

  RawConnection raw(server.port());
  raw.Send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(raw.ReadAtLeast(25), "HTTP/1.1 100 Continue\r\n\r\n");
  raw.Send("hello");
  EXPECT_THAT(raw.ReadResponse(),
              AllOf(StartsWith("HTTP/1.1 200 OK\r\n"), HasSubstr("\r\n\r\nhello")));

  // Too large: refused at once, without inviting the body.
  raw.Send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 500\r\n\r\n");
  EXPECT_THAT(raw.ReadResponse(), StartsWith("HTTP/1.1 413 "));
}

TEST(HttpServerTest, MalformedRequestsGet400AndClose) {
  HttpServer server(LocalOptions());
  server.Handle("GET", "/", Echo);
  ASSERT_TRUE(server.Start().ok());
  for (std::string_view garbage :
       {"GARBAGE\r\n\r\n", "GET / HTTP/1.1 trailing\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Header\r\n\r\n", "POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"}) {
    RawConnection raw(server.port());
    raw.Send(garbage);
    std::string response = raw.ReadResponse();
    EXPECT_THAT(response, StartsWith("HTTP/1.1 400 Bad Request\r\n")) << garbage;
    EXPECT_THAT(response, HasSubstr("\r\n\r\nmalformed request: ")) << garbage;
    EXPECT_TRUE(raw.ClosedByPeer()) << garbage;
  }
}

TEST(HttpServerTest, OversizedHeaderGets431) {
  HttpServerOptions options = LocalOptions();
  options.max_header_bytes = 1024;
  HttpServer server(options);
  server.Handle("GET", "/", Echo);
  ASSERT_TRUE(server.Start().ok());
  RawConnection raw(server.port());
  raw.Send(absl::StrCat("GET / HTTP/1.1\r\nX-Big: ", std::string(4000, 'a'), "\r\n\r\n"));
  EXPECT_THAT(raw.ReadResponse(), StartsWith("HTTP/1.1 431 "));
}

TEST(HttpServerTest, HandlerExceptionGives500AndServerKeepsServing) {
  HttpServer server(LocalOptions());
  server.Handle("GET", "/boom", [](const HttpRequest&, HttpResponse* response) {
    response->body = "partial";
    throw std::runtime_error("decoder exploded");
  });
  server.Handle("GET", "/ok",
                [](const HttpRequest&, HttpResponse* response) { response->body = "fine"; });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client("127.0.0.1", server.port());
  auto boom = client.Get("/boom");
  ASSERT_TRUE(boom.ok()) << boom.status();
  EXPECT_EQ(boom->status, 500);
  EXPECT_EQ(boom->body, "internal error: decoder exploded");
  auto ok = client.Get("/ok");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->body, "fine");
}

TEST(HttpServerTest, ServesConcurrentClients) {
  HttpServerOptions options = LocalOptions();
  options.threads = 4;
  HttpServer server(options);
  std::atomic<int> calls{0};
  server.Handle("POST", "/echo", [&](const HttpRequest& request, HttpResponse* response) {
    ++calls;
    Echo(request, response);
  });
  ASSERT_TRUE(server.Start().ok());

  constexpr int kThreads = 8;
  constexpr int kRequests = 50;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      HttpClient client("127.0.0.1", server.port());
      for (int i = 0; i < kRequests; ++i) {
        std::string body =
            absl::StrCat("thread ", t, " request ", i, std::string(size_t{100} * i, '.'));
        auto response = client.Send("POST", "/echo", {}, body);
        if (response.ok() && response->status == 200 && response->body == body) ++good;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(good.load(), kThreads * kRequests);
  EXPECT_EQ(calls.load(), kThreads * kRequests);
}

TEST(HttpServerTest, StopAcceptingLetsTheRequestInFlightFinish) {
  HttpServer server(LocalOptions());
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  server.Handle("GET", "/slow", [&](const HttpRequest&, HttpResponse* response) {
    entered.set_value();
    released.wait();
    response->body = "done";
  });
  ASSERT_TRUE(server.Start().ok());
  uint16_t port = server.port();

  auto in_flight = std::async(std::launch::async, [port] {
    HttpClient client("127.0.0.1", port);
    return client.Get("/slow");
  });
  entered.get_future().wait();
  server.StopAccepting();
  EXPECT_FALSE(RawConnection(port).Connected());
  release.set_value();

  auto response = in_flight.get();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body, "done");
  EXPECT_EQ(response->Header("Connection"), "close");
  server.Stop();
}

TEST(HttpServerTest, StopClosesIdleConnectionsAndIsIdempotent) {
  auto server = std::make_unique<HttpServer>(LocalOptions());
  server->Handle("GET", "/", Echo);
  ASSERT_TRUE(server->Start().ok());
  RawConnection idle(server->port());
  RawConnection kept_alive(server->port());
  kept_alive.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(kept_alive.ReadResponse(), StartsWith("HTTP/1.1 200"));

  auto start = std::chrono::steady_clock::now();
  server->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_TRUE(idle.ClosedByPeer());
  EXPECT_TRUE(kept_alive.ClosedByPeer());
  EXPECT_FALSE(RawConnection(server->port()).Connected());
  server->Stop();
  server.reset();  // the destructor stops again
}

TEST(HttpServerTest, ClosesIdleAndSlowConnections) {
  HttpServerOptions options = LocalOptions();
  options.idle_timeout = std::chrono::milliseconds(100);
  options.read_timeout = std::chrono::milliseconds(300);
  HttpServer server(options);
  server.Handle("GET", "/", Echo);
  ASSERT_TRUE(server.Start().ok());

  RawConnection idle(server.port());
  idle.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(idle.ReadResponse(), StartsWith("HTTP/1.1 200"));
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(idle.ClosedByPeer());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));

  RawConnection slow(server.port());
  slow.Send("GET / HTTP/1.1\r\nHo");
  start = std::chrono::steady_clock::now();
  EXPECT_TRUE(slow.ClosedByPeer());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(HttpServerTest, ClosesConnectionsBeyondTheLimit) {
  HttpServerOptions options = LocalOptions();
  options.max_connections = 1;
  HttpServer server(options);
  server.Handle("GET", "/", Echo);
  ASSERT_TRUE(server.Start().ok());

  RawConnection first(server.port());
  first.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(first.ReadResponse(), StartsWith("HTTP/1.1 200"));
  RawConnection second(server.port());
  second.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(second.ClosedByPeer());
  // The first connection is unaffected.
  first.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(first.ReadResponse(), StartsWith("HTTP/1.1 200"));
}

TEST(HttpServerTest, StartFailsWithAddressAndReasonWhenThePortIsTaken) {
  HttpServer first(LocalOptions());
  ASSERT_TRUE(first.Start().ok());
  HttpServerOptions options = LocalOptions();
  options.port = first.port();
  HttpServer second(options);
  absl::Status status = second.Start();
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.message(),
            absl::StrCat("cannot bind 127.0.0.1:", first.port(), ": Address already in use"));

  HttpServerOptions bad_address = LocalOptions();
  bad_address.address = "not-an-ip";
  EXPECT_EQ(HttpServer(bad_address).Start().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace augur::core
