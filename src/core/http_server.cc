#include "core/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <exception>
#include <future>
#include <limits>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace augur::core {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

// Spare capacity after a request body: simdjson and similar parsers read up to 64 bytes past the
// end and would otherwise copy the body to get it.
constexpr size_t kBodyPadding = 64;
// A declared body is received into memory committed in steps of at least this size, so that a
// client announcing a large Content-Length costs memory only as its bytes arrive.
constexpr size_t kMinBodyStepBytes = 64 << 10;
// First read of a request; the rest of the header, if any, is read by the parser.
constexpr size_t kFirstReadBytes = 8 << 10;
// After an error response the connection is drained for this long before closing, so that the
// client reads the response instead of a reset caused by its unread request body.
constexpr std::chrono::seconds kLingerTime{2};
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};

std::string ToString(beast::string_view s) { return std::string(s.data(), s.size()); }
std::string_view ToStringView(beast::string_view s) { return {s.data(), s.size()}; }

// True for errors of Beast's HTTP parser (bad method, bad field, ...) as opposed to transport ones.
bool IsHttpParseError(const beast::error_code& ec) {
  return &ec.category() == &http::make_error_code(http::error::bad_method).category();
}

bool IEquals(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(absl::string_view(a.data(), a.size()),
                                absl::string_view(b.data(), b.size()));
}

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

// Beast body type whose value is the std::string that becomes HttpRequest::body. Used for chunked
// bodies; declared bodies are read without the parser (see Session::ReadDeclaredBody).
// Member names are fixed by Beast's Body concept.
struct RequestBody {
  using value_type = std::string;  // NOLINT(readability-identifier-naming)

  class reader {  // NOLINT(readability-identifier-naming)
   public:
    template <bool kIsRequest, class Fields>
    reader(http::header<kIsRequest, Fields>&, value_type& body) : body_(body) {}

    // NOLINTNEXTLINE(readability-identifier-naming)
    void init(const boost::optional<std::uint64_t>& length, beast::error_code& ec) {
      if (length) body_.reserve(*length + kBodyPadding);
      ec = {};
    }

    template <class ConstBufferSequence>
    // NOLINTNEXTLINE(readability-identifier-naming)
    std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      size_t bytes = 0;
      for (auto buffer : beast::buffers_range_ref(buffers)) {
        body_.append(static_cast<const char*>(buffer.data()), buffer.size());
        bytes += buffer.size();
      }
      ec = {};
      return bytes;
    }

    void finish(beast::error_code& ec) {  // NOLINT(readability-identifier-naming)
      if (body_.capacity() < body_.size() + kBodyPadding) {
        body_.reserve(body_.size() + kBodyPadding);
      }
      ec = {};
    }

   private:
    value_type& body_;
  };
};

struct Route {
  std::string method;  // "" = any
  HttpHandler handler;
};

// The outcome of routing one request: a handler, or the status (404/405) to answer with.
struct RouteMatch {
  const HttpHandler* handler = nullptr;
  std::string allow;  // non-empty with 405
};

std::string FormatEndpoint(const tcp::endpoint& endpoint) {
  const asio::ip::address address = endpoint.address();
  if (address.is_v6()) return absl::StrCat("[", address.to_string(), "]:", endpoint.port());
  return absl::StrCat(address.to_string(), ":", endpoint.port());
}

// Splits a request target into the raw path and the query; absolute-form targets
// ("http://host/p") lose their scheme and authority.
std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target) {
  if (target.size() > 7 && IEquals(target.substr(0, 7), "http://")) {
    size_t slash = target.find('/', 7);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  size_t question = target.find('?');
  if (question == std::string_view::npos) return {target, {}};
  return {target.substr(0, question), target.substr(question + 1)};
}

}  // namespace

struct HttpServer::Impl {
  class Session;

  explicit Impl(HttpServerOptions server_options) : options(std::move(server_options)) {
    options.threads = std::max(options.threads, 1);
  }
  ~Impl() {
    Stop();
    // Pending handlers own sessions, and sessions use the fields above: destroy them first.
    accept_retry_timer.reset();
    acceptor.reset();
    io_context.reset();
  }

  absl::Status Start();
  void StopAccepting();
  void Stop();
  void Accept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  void CloseAcceptor();
  RouteMatch FindRoute(std::string_view method, std::string_view path) const;

  HttpServerOptions options;
  // Immutable once Start() has been called; read by io threads without locking.
  absl::flat_hash_map<std::string, std::vector<Route>> exact_routes;
  std::vector<std::pair<std::string, std::vector<Route>>> prefix_routes;  // longest prefix first

  std::atomic<bool> draining{false};  // StopAccepting(): answer with Connection: close
  std::atomic<bool> stopping{false};  // Stop(): close every connection
  std::atomic<int> connection_count{0};
  uint16_t bound_port = 0;
  bool started = false;
  bool stopped = false;

  absl::Mutex sessions_mu;
  absl::flat_hash_set<Session*> sessions ABSL_GUARDED_BY(sessions_mu);

  std::optional<asio::io_context> io_context;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  // Both use one strand so that accepting and closing never race.
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> accept_retry_timer;
  std::vector<std::thread> threads;
};

// One client connection. Every member is touched only on the connection's strand.
class HttpServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Impl* server, tcp::socket socket) : server_(server), stream_(std::move(socket)) {
    beast::error_code ec;
    tcp::endpoint peer = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_address_ = FormatEndpoint(peer);
  }

  ~Session() {
    {
      absl::MutexLock lock(&server_->sessions_mu);
      server_->sessions.erase(this);
    }
    server_->connection_count.fetch_sub(1, std::memory_order_relaxed);
  }

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->WaitForRequest(); });
  }

  // Closes the connection; pending operations complete with operation_aborted.
  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  asio::any_io_executor Executor() { return stream_.get_executor(); }

 private:
  const HttpServerOptions& Options() const { return server_->options; }

  // Waits for the first byte of the next request under the idle (keep-alive) timeout; the whole
  // request is then due within read_timeout.
  void WaitForRequest() {
    if (server_->stopping.load(std::memory_order_relaxed)) {
      Close();
      return;
    }
    parser_.reset();
    response_ = HttpResponse();
    if (buffer_.size() > 0) {  // pipelined request already buffered
      ReadHeader();
      return;
    }
    stream_.expires_after(first_request_ ? Options().read_timeout : Options().idle_timeout);
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = shared_from_this()](beast::error_code ec, size_t bytes) {
                              if (ec) {
                                self->Close();
                                return;
                              }
                              self->buffer_.commit(bytes);
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    first_request_ = false;
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(
        std::min<size_t>(Options().max_header_bytes, std::numeric_limits<uint32_t>::max())));
    // The declared length is checked in OnHeader so that the 413 can name it. (Not boost::none:
    // Beast 1.74 compares the length against the optional, and any value exceeds none.)
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(Options().read_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) {
      FailRead(ec);
      return;
    }
    boost::optional<std::uint64_t> length = parser_->content_length();
    if (length && *length > Options().max_body_bytes) {
      RefuseTooLarge(absl::StrCat("request body of ", *length, " bytes exceeds the limit of ",
                                  Options().max_body_bytes, " bytes"));
      return;
    }
    if (parser_->is_done()) {
      Dispatch(std::string());
      return;
    }
    if (IEquals(ToStringView(parser_->get()[http::field::expect]), "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = shared_from_this()](beast::error_code ec, size_t) {
                          if (ec) {
                            self->Close();
                            return;
                          }
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    if (parser_->chunked()) {
      parser_->body_limit(Options().max_body_bytes);
      http::async_read(stream_, buffer_, *parser_,
                       [self = shared_from_this()](beast::error_code ec, size_t) {
                         if (ec) {
                           self->FailRead(ec);
                           return;
                         }
                         self->Dispatch(std::move(self->parser_->get().body()));
                       });
      return;
    }
    // A declared length: read straight into the body string, not through the parser, so the
    // bytes are copied once (from the header read buffer) or not at all.
    body_length_ = *parser_->content_length();
    body_ = std::string();
    body_.reserve(body_length_ + kBodyPadding);
    size_t buffered = std::min(buffer_.size(), body_length_);
    body_.append(static_cast<const char*>(buffer_.data().data()), buffered);
    buffer_.consume(buffered);
    body_received_ = buffered;
    ReadDeclaredBody();
  }

  // body_ is sized to the bytes committed so far; body_received_ of them hold data.
  void ReadDeclaredBody() {
    if (body_received_ == body_length_) {
      body_.resize(body_received_);
      Dispatch(std::move(body_));
      return;
    }
    if (body_received_ == body_.size()) {
      size_t step = std::max(kMinBodyStepBytes, body_.size());
      body_.resize(body_.size() + std::min(step, body_length_ - body_.size()));
    }
    stream_.async_read_some(
        asio::buffer(body_.data() + body_received_, body_.size() - body_received_),
        [self = shared_from_this()](beast::error_code ec, size_t bytes) {
          if (ec) {
            self->Close();
            return;
          }
          self->body_received_ += bytes;
          self->ReadDeclaredBody();
        });
  }

  void FailRead(const beast::error_code& ec) {
    if (ec == http::error::header_limit) {
      FailRequest(431, absl::StrCat("request header exceeds the limit of ",
                                    Options().max_header_bytes, " bytes"));
    } else if (ec == http::error::body_limit) {
      RefuseTooLarge(
          absl::StrCat("request body exceeds the limit of ", Options().max_body_bytes, " bytes"));
    } else if (IsHttpParseError(ec) && ec != http::error::end_of_stream &&
               ec != http::error::partial_message) {
      FailRequest(400, absl::StrCat("malformed request: ", ec.message()));
    } else {
      Close();  // timeout, reset, or the peer went away
    }
  }

  // The request whose header the parser holds, with `body`.
  HttpRequest RequestFromHeader(std::string body) const {
    const auto& message = parser_->get();
    std::string_view target(message.target().data(), message.target().size());
    auto [raw_path, query] = SplitTarget(target);
    HttpRequest request{
        .method = ToString(message.method_string()),
        .target = std::string(target),
        .path = PercentDecode(raw_path, /*plus_as_space=*/false),
        .query = std::string(query),
        .headers = {},
        .body = std::make_shared<std::string>(std::move(body)),
        .remote_address = remote_address_,
    };
    for (const auto& field : message) {
      request.headers.emplace_back(ToString(field.name_string()), ToString(field.value()));
    }
    return request;
  }

  // 413 for a request whose header was read; the owner may shape the body (on_refused).
  void RefuseTooLarge(std::string message) {
    head_request_ = false;
    response_ = HttpResponse{.status = 413, .body = std::move(message)};
    if (Options().on_refused && parser_ && parser_->is_header_done()) {
      try {
        Options().on_refused(RequestFromHeader(std::string()), &response_);
      } catch (...) {
        // The refusal stands as prepared.
      }
      response_.status = 413;
    }
    WriteResponse(/*keep_alive=*/false, /*linger=*/true);
  }

  void Dispatch(std::string body) {
    const auto& message = parser_->get();
    HttpRequest request = RequestFromHeader(std::move(body));
    bool keep_alive = parser_->keep_alive();
    head_request_ = message.method() == http::verb::head;

    RouteMatch match = server_->FindRoute(request.method, request.path);
    if (match.handler == nullptr) {
      response_.status = match.allow.empty() ? 404 : 405;
      response_.body = match.allow.empty() ? absl::StrCat("no handler for ", request.path)
                                           : absl::StrCat("method ", request.method,
                                                          " not allowed for ", request.path);
      if (!match.allow.empty()) response_.headers.emplace_back("Allow", std::move(match.allow));
    } else {
      try {
        (*match.handler)(request, &response_);
      } catch (const std::exception& e) {
        response_ = HttpResponse{.status = 500, .body = absl::StrCat("internal error: ", e.what())};
      } catch (...) {
        response_ = HttpResponse{.status = 500, .body = "internal error: unknown exception"};
      }
    }
    WriteResponse(keep_alive, /*linger=*/false);
  }

  // Answers with a one-line error and closes the connection.
  void FailRequest(int status, std::string message) {
    head_request_ = false;
    response_ = HttpResponse{.status = status, .body = std::move(message)};
    WriteResponse(/*keep_alive=*/false, /*linger=*/true);
  }

  void WriteResponse(bool keep_alive, bool linger) {
    if (server_->draining.load(std::memory_order_relaxed) ||
        IEquals(response_.Header("Connection"), "close")) {
      keep_alive = false;
    }
    // A handler answers with a final status; 1xx would leave the client waiting for another.
    if (response_.status < 200 || response_.status > 999) {
      response_ = HttpResponse{
          .status = 500,
          .body = absl::StrCat("internal error: handler set invalid status ", response_.status)};
    }
    // RFC 9110: 204 and 304 carry no content; HEAD gets the length without the bytes.
    bool no_content = response_.status == 204 || response_.status == 304;
    bool send_body = !no_content && !head_request_;

    std::string& head = response_head_;
    head.clear();
    http::status status = http::int_to_status(static_cast<unsigned>(response_.status));
    beast::string_view reason = http::obsolete_reason(status);
    absl::StrAppend(&head, "HTTP/1.1 ", response_.status, " ",
                    status == http::status::unknown ? "Unknown" : ToString(reason), "\r\n");
    if (!no_content && !response_.content_type.empty() && !HasLineBreak(response_.content_type)) {
      absl::StrAppend(&head, "Content-Type: ", response_.content_type, "\r\n");
    }
    for (const auto& [name, value] : response_.headers) {
      // The server owns framing; a handler's line breaks must not split the header.
      if (name.empty() || HasLineBreak(name) || HasLineBreak(value) ||
          IEquals(name, "Content-Length") || IEquals(name, "Transfer-Encoding") ||
          IEquals(name, "Connection")) {
        continue;
      }
      absl::StrAppend(&head, name, ": ", value, "\r\n");
    }
    if (!no_content) absl::StrAppend(&head, "Content-Length: ", response_.body.size(), "\r\n");
    if (!keep_alive) {
      head += "Connection: close\r\n";
    } else if (parser_ && parser_->get().version() < 11) {
      head += "Connection: keep-alive\r\n";
    }
    head += "\r\n";

    std::array<asio::const_buffer, 2> buffers = {
        asio::buffer(head),
        send_body ? asio::buffer(response_.body) : asio::const_buffer(),
    };
    stream_.expires_after(Options().read_timeout);
    asio::async_write(
        stream_, buffers,
        [self = shared_from_this(), keep_alive, linger](beast::error_code ec, size_t) {
          if (ec) {
            self->Close();
          } else if (linger) {
            self->Linger();
          } else if (keep_alive) {
            self->WaitForRequest();
          } else {
            beast::error_code ignored;
            self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
            self->Close();
          }
        });
  }

  void Linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
    buffer_.clear();
    DrainUntilClosed();
  }

  void DrainUntilClosed() {
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) {
                                self->Close();
                                return;
                              }
                              self->DrainUntilClosed();
                            });
  }

  Impl* server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<RequestBody>> parser_;
  std::string body_;
  size_t body_length_ = 0;
  size_t body_received_ = 0;
  HttpResponse response_;
  std::string response_head_;
  std::string remote_address_;
  bool first_request_ = true;
  bool head_request_ = false;
};

RouteMatch HttpServer::Impl::FindRoute(std::string_view method, std::string_view path) const {
  // Visits the routes of every registered path that matches, the most specific first (the exact
  // path, then prefixes longest first), until `visit` returns true. Allocates nothing.
  auto for_each_matching = [&](auto visit) {
    if (auto it = exact_routes.find(absl::string_view(path.data(), path.size()));
        it != exact_routes.end()) {
      for (const Route& route : it->second) {
        if (visit(route)) return;
      }
    }
    for (const auto& [prefix, routes] : prefix_routes) {
      if (path.substr(0, prefix.size()) != prefix) continue;
      for (const Route& route : routes) {
        if (visit(route)) return;
      }
    }
  };
  RouteMatch match;
  for_each_matching([&](const Route& route) {
    if (route.method.empty() || route.method == method) match.handler = &route.handler;
    return match.handler != nullptr;
  });
  if (match.handler == nullptr && method == "HEAD") {
    // A GET handler answers HEAD; the server drops the body.
    for_each_matching([&](const Route& route) {
      if (route.method == "GET") match.handler = &route.handler;
      return match.handler != nullptr;
    });
  }
  if (match.handler != nullptr) return match;

  std::vector<std::string_view> methods;
  for_each_matching([&](const Route& route) {
    methods.push_back(route.method);
    if (route.method == "GET") methods.push_back("HEAD");
    return false;
  });
  std::sort(methods.begin(), methods.end());
  methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
  for (std::string_view m : methods) {
    if (!match.allow.empty()) match.allow += ", ";
    match.allow.append(m.data(), m.size());
  }
  return match;
}

absl::Status HttpServer::Impl::Start() {
  if (started) return absl::FailedPreconditionError("http server already started");
  beast::error_code ec;
  asio::ip::address address = asio::ip::make_address(options.address, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid listen address \"", options.address, "\": ", ec.message()));
  }
  std::string where = absl::StrCat(options.address, ":", options.port);
  io_context.emplace(options.threads);
  acceptor.emplace(asio::make_strand(*io_context));
  tcp::endpoint endpoint(address, options.port);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (ec) {
    acceptor.reset();
    return absl::UnavailableError(absl::StrCat("cannot bind ", where, ": ", ec.message()));
  }
  acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor.reset();
    return absl::UnavailableError(absl::StrCat("cannot listen on ", where, ": ", ec.message()));
  }
  bound_port = acceptor->local_endpoint(ec).port();
  accept_retry_timer.emplace(acceptor->get_executor());
  started = true;
  work.emplace(io_context->get_executor());
  Accept();
  for (int i = 0; i < options.threads; ++i) {
    threads.emplace_back([this] {
      // Handlers catch their own exceptions; this keeps a thread alive through anything else
      // (e.g. bad_alloc) so that one request cannot take the server down.
      for (;;) {
        try {
          io_context->run();
          return;
        } catch (const std::exception&) {
        }
      }
    });
  }
  return absl::OkStatus();
}

void HttpServer::Impl::Accept() {
  acceptor->async_accept(
      asio::make_strand(*io_context),
      [this](beast::error_code ec, tcp::socket socket) { OnAccept(ec, std::move(socket)); });
}

void HttpServer::Impl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (!acceptor->is_open()) return;
  if (ec) {
    // Out of descriptors and the like: back off rather than spin on the failing accept.
    accept_retry_timer->expires_after(kAcceptRetryDelay);
    accept_retry_timer->async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && acceptor->is_open()) Accept();
    });
    return;
  }
  if (stopping.load() ||
      connection_count.load(std::memory_order_relaxed) >= options.max_connections) {
    beast::error_code ignored;
    socket.close(ignored);
  } else {
    connection_count.fetch_add(1, std::memory_order_relaxed);
    auto session = std::make_shared<Session>(this, std::move(socket));
    {
      absl::MutexLock lock(&sessions_mu);
      sessions.insert(session.get());
    }
    session->Start();
  }
  Accept();
}

// Runs on the acceptor's strand.
void HttpServer::Impl::CloseAcceptor() {
  beast::error_code ignored;
  acceptor->close(ignored);
  accept_retry_timer->cancel();
}

void HttpServer::Impl::StopAccepting() {
  if (!started || stopped) return;
  draining = true;
  std::promise<void> closed;
  asio::post(acceptor->get_executor(), [this, &closed] {
    CloseAcceptor();
    closed.set_value();
  });
  closed.get_future().wait();
}

void HttpServer::Impl::Stop() {
  if (!started || stopped) return;
  stopped = true;
  draining = true;
  stopping = true;
  asio::post(acceptor->get_executor(), [this] {
    CloseAcceptor();
    // Sessions created after this point see `stopping` and close themselves.
    std::vector<std::shared_ptr<Session>> live;
    {
      absl::MutexLock lock(&sessions_mu);
      live.reserve(sessions.size());
      for (Session* session : sessions) {
        // A session whose last reference is going away has nothing left to close.
        if (auto locked = session->weak_from_this().lock()) live.push_back(std::move(locked));
      }
    }
    // Posted outside the lock: dropping the last reference runs ~Session, which takes it.
    for (auto& session : live) {
      asio::post(session->Executor(), [session] { session->Close(); });
    }
  });
  work.reset();
  for (std::thread& thread : threads) thread.join();
  threads.clear();
}

HttpServer::HttpServer(HttpServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpServer::~HttpServer() = default;

void HttpServer::Handle(std::string method, std::string path, HttpHandler handler) {
  auto& routes = impl_->exact_routes.emplace(std::move(path), std::vector<Route>()).first->second;
  routes.push_back({std::move(method), std::move(handler)});
}

void HttpServer::HandlePrefix(std::string method, std::string prefix, HttpHandler handler) {
  auto& routes = impl_->prefix_routes;
  auto it = std::find_if(routes.begin(), routes.end(),
                         [&](const auto& entry) { return entry.first == prefix; });
  if (it == routes.end()) {
    // Keep longest first so that the first match is the most specific.
    it = std::find_if(routes.begin(), routes.end(),
                      [&](const auto& entry) { return entry.first.size() < prefix.size(); });
    it = routes.emplace(it, std::move(prefix), std::vector<Route>());
  }
  it->second.push_back({std::move(method), std::move(handler)});
}

absl::Status HttpServer::Start() { return impl_->Start(); }
uint16_t HttpServer::port() const { return impl_->bound_port; }
void HttpServer::StopAccepting() { impl_->StopAccepting(); }
void HttpServer::Stop() { impl_->Stop(); }

}  // namespace augur::core
