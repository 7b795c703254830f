#include "sim/core_shop.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/operation_factory.h"

namespace augur::sim {

std::vector<Peer> ShopPeers() {
  std::vector<Peer> peers(5);
  peers[kRedisPeer] = {PeerKind::kCache, "redis", "redis", "redis", 6379, "10.96.12.7", 0.0001};
  peers[kPostgresPeer] = {PeerKind::kDatabase, "postgresql", "postgresql", "postgresql", 5432,
                          "10.96.40.3",        0.0002};
  // Declines and provider outages: the payment provider fails most often.
  peers[kPaymentProviderPeer] = {PeerKind::kHttpApi,
                                 "payment-provider",
                                 "",
                                 "api.payment-provider.example",
                                 443,
                                 "203.0.113.10",
                                 0.003};
  peers[kCarrierApiPeer] = {PeerKind::kHttpApi, "carrier-api", "", "api.carrier.example", 443,
                            "203.0.113.45",     0.001};
  peers[kEmailProviderPeer] = {PeerKind::kHttpApi,
                               "email-provider",
                               "",
                               "api.email-provider.example",
                               443,
                               "203.0.113.80",
                               0.001};
  return peers;
}

namespace {

// Builds the core services and then wires them by name; any call whose caller or callee was left
// out (small fleets), or that would not go to a deeper level, is dropped.
class CoreShopBuilder {
 public:
  CoreShopBuilder(int max_services, Rng& rng, Fleet* fleet)
      : max_services_(max_services), rng_(rng), fleet_(fleet) {}

  void Build() {
    const int deepest = fleet_->levels - 1;
    AddServices(deepest);
    AddCalls();
  }

 private:
  // Adds the service unless the budget is spent; returns it, or nullptr.
  Service* Add(std::string_view name, std::string_view domain, int level, OperationKind protocol,
               Language language, std::string_view version) {
    if (static_cast<int>(fleet_->services.size()) >= max_services_) return nullptr;
    Service s;
    s.name = std::string(name);
    s.domain = std::string(domain);
    s.level = level;
    s.entry = level == 0;
    s.protocol = protocol;
    s.port = protocol == OperationKind::kHttp ? 8080 : 50051;
    s.language = language;
    s.version = std::string(version);
    fleet_->services.push_back(std::move(s));
    return &fleet_->services.back();
  }

  static void Http(Service* s, std::string_view method, std::string_view route, double weight,
                   double median_ms, double error_probability = 0.0005) {
    if (s == nullptr) return;
    Operation op = HttpOperation(method, route, weight, Latency(median_ms));
    op.error_probability = error_probability;
    s->operations.push_back(std::move(op));
  }
  static void Grpc(Service* s, std::string_view rpc_service, std::string_view method, double weight,
                   double median_ms, double error_probability = 0.0005) {
    if (s == nullptr) return;
    Operation op = GrpcOperation(rpc_service, method, weight, Latency(median_ms));
    op.error_probability = error_probability;
    s->operations.push_back(std::move(op));
  }

  void AddServices(int deepest) {
    constexpr auto kHttp = OperationKind::kHttp;
    constexpr auto kGrpc = OperationKind::kGrpc;

    Service* s = Add("frontend", "storefront", 0, kHttp, Language::kNodeJs, "2.1.3");
    Http(s, "GET", "/", 30, 3.0);
    Http(s, "GET", "/api/products/{productId}", 25, 2.0);
    Http(s, "GET", "/api/products", 8, 2.5);
    Http(s, "GET", "/api/cart", 10, 2.0);
    Http(s, "POST", "/api/cart", 6, 2.5);
    Http(s, "POST", "/api/checkout", 2, 5.0);
    Http(s, "GET", "/api/recommendations", 7, 1.5);
    Http(s, "GET", "/api/data", 5, 1.0);
    Http(s, "GET", "/api/currency", 4, 0.8);
    Http(s, "GET", "/api/shipping", 3, 1.5);
    Http(s, "GET", "/api/search", 5, 1.5);

    s = Add("product-catalog", "product", 3, kGrpc, Language::kGo, "1.8.0");
    if (s) s->hub = true;
    Grpc(s, "oteldemo.ProductCatalogService", "ListProducts", 35, 2.0);
    Grpc(s, "oteldemo.ProductCatalogService", "GetProduct", 55, 0.8);
    Grpc(s, "oteldemo.ProductCatalogService", "SearchProducts", 10, 6.0);

    s = Add("cart", "cart", 2, kGrpc, Language::kDotNet, "1.5.2");
    Grpc(s, "oteldemo.CartService", "GetCart", 60, 0.6);
    Grpc(s, "oteldemo.CartService", "AddItem", 30, 0.9);
    Grpc(s, "oteldemo.CartService", "EmptyCart", 10, 0.5);

    s = Add("checkout", "order", 1, kGrpc, Language::kGo, "1.12.0");
    Grpc(s, "oteldemo.CheckoutService", "PlaceOrder", 80, 4.0, 0.001);
    Grpc(s, "oteldemo.CheckoutService", "GetOrder", 15, 1.0);
    Grpc(s, "oteldemo.CheckoutService", "ListOrders", 5, 3.0);

    s = Add("payment", "payment", 2, kGrpc, Language::kNodeJs, "1.4.7");
    Grpc(s, "oteldemo.PaymentService", "Charge", 85, 3.0);
    Grpc(s, "oteldemo.PaymentService", "Refund", 10, 3.0);
    Grpc(s, "oteldemo.PaymentService", "Authorize", 5, 2.0);

    s = Add("shipping", "shipment", 2, kHttp, Language::kGo, "1.3.1");
    Http(s, "POST", "/get-quote", 60, 1.2);
    Http(s, "POST", "/ship-order", 35, 2.0);
    Http(s, "GET", "/tracking/{trackingId}", 5, 1.0);

    s = Add("currency", "currency", 3, kGrpc, Language::kGo, "1.2.4");
    if (s) s->hub = true;
    Grpc(s, "oteldemo.CurrencyService", "Convert", 75, 0.3, 0.0002);
    Grpc(s, "oteldemo.CurrencyService", "GetSupportedCurrencies", 20, 0.2, 0.0002);
    Grpc(s, "oteldemo.CurrencyService", "GetRates", 5, 0.5, 0.0002);

    s = Add("email", "email", 2, kHttp, Language::kRuby, "1.1.0");
    Http(s, "POST", "/send_order_confirmation", 80, 8.0);
    Http(s, "POST", "/send_shipping_update", 15, 6.0);
    Http(s, "POST", "/send_password_reset", 5, 5.0);

    s = Add("recommendation", "recommendation", 1, kGrpc, Language::kPython, "1.6.0");
    Grpc(s, "oteldemo.RecommendationService", "ListRecommendations", 80, 8.0);
    Grpc(s, "oteldemo.RecommendationService", "GetTrending", 15, 4.0);
    Grpc(s, "oteldemo.RecommendationService", "GetSimilarProducts", 5, 10.0);

    s = Add("ad", "ad", 1, kGrpc, Language::kJava, "1.7.2");
    Grpc(s, "oteldemo.AdService", "GetAds", 85, 2.0);
    Grpc(s, "oteldemo.AdService", "GetAdsByCategory", 10, 2.5);
    Grpc(s, "oteldemo.AdService", "RecordImpression", 5, 1.0);

    s = Add("api-gateway", "gateway", 0, kHttp, Language::kGo, "3.0.1");
    Http(s, "GET", "/v1/products", 25, 0.6);
    Http(s, "GET", "/v1/products/{id}", 35, 0.5);
    Http(s, "POST", "/v1/orders", 5, 0.8);
    Http(s, "GET", "/v1/orders/{id}", 10, 0.5);
    Http(s, "GET", "/v1/cart", 15, 0.5);
    Http(s, "GET", "/v1/search", 10, 0.6);

    s = Add("auth", "session", deepest, kGrpc, Language::kGo, "2.4.0");
    if (s) s->hub = true;
    Grpc(s, "shop.auth.v1.AuthService", "ValidateToken", 85, 0.4, 0.0002);
    Grpc(s, "shop.auth.v1.AuthService", "IssueToken", 10, 1.5);
    Grpc(s, "shop.auth.v1.AuthService", "RevokeToken", 5, 0.8);

    s = Add("mobile-bff", "mobile", 0, kHttp, Language::kJava, "4.2.0");
    Http(s, "GET", "/bff/home", 40, 3.0);
    Http(s, "GET", "/bff/product/{id}", 35, 2.0);
    Http(s, "POST", "/bff/cart", 15, 2.0);
    Http(s, "POST", "/bff/checkout", 10, 3.0);

    s = Add("user-profile", "user", deepest - 1, kGrpc, Language::kPython, "1.9.3");
    if (s) s->hub = true;
    Grpc(s, "shop.profile.v1.UserProfileService", "GetProfile", 70, 1.0);
    Grpc(s, "shop.profile.v1.UserProfileService", "UpdateProfile", 10, 2.5);
    Grpc(s, "shop.profile.v1.UserProfileService", "GetPreferences", 20, 0.8);

    s = Add("feature-flags", "flag", deepest, kGrpc, Language::kGo, "0.11.1");
    if (s) s->hub = true;
    Grpc(s, "flagd.evaluation.v1.Service", "ResolveBoolean", 70, 0.15, 0.0001);
    Grpc(s, "flagd.evaluation.v1.Service", "ResolveString", 20, 0.15, 0.0001);
    Grpc(s, "flagd.evaluation.v1.Service", "ResolveAll", 10, 0.4, 0.0001);

    s = Add("inventory", "stock", 3, kGrpc, Language::kJava, "2.0.5");
    Grpc(s, "shop.inventory.v1.InventoryService", "CheckStock", 60, 0.8);
    Grpc(s, "shop.inventory.v1.InventoryService", "ReserveStock", 30, 1.5);
    Grpc(s, "shop.inventory.v1.InventoryService", "ReleaseStock", 10, 1.2);

    s = Add("search", "search", 2, kGrpc, Language::kGo, "1.3.0");
    Grpc(s, "shop.search.v1.SearchService", "Search", 70, 12.0);
    Grpc(s, "shop.search.v1.SearchService", "Suggest", 25, 3.0);
    Grpc(s, "shop.search.v1.SearchService", "Reindex", 5, 40.0);

    s = Add("accounting", "ledger", 2, kHttp, Language::kDotNet, "1.0.9");
    if (s) EnsureConsumerOperation(*s, "order.created", rng_);
    Http(s, "GET", "/ledger/{orderId}", 60, 1.5);
    Http(s, "GET", "/ledger/summary", 30, 8.0);
    Http(s, "POST", "/ledger/reconcile", 10, 25.0);

    s = Add("fraud-detection", "fraud", 2, kGrpc, Language::kJava, "1.2.0");
    if (s) EnsureConsumerOperation(*s, "order.created", rng_);
    Grpc(s, "shop.fraud.v1.FraudService", "ScoreOrder", 70, 6.0);
    Grpc(s, "shop.fraud.v1.FraudService", "GetRiskProfile", 20, 2.0);
    Grpc(s, "shop.fraud.v1.FraudService", "ReportChargeback", 10, 3.0);

    s = Add("quote", "quote", 3, kHttp, Language::kPhp, "1.0.4");
    Http(s, "POST", "/getquote", 90, 1.0);
    Http(s, "GET", "/rates", 7, 0.8);
    Http(s, "GET", "/zones", 3, 0.6);
  }

  int ServiceIndex(std::string_view name) const { return fleet_->FindService(name); }

  static int OperationIndex(const Service& s, std::string_view key) {
    for (int i = 0; i < static_cast<int>(s.operations.size()); ++i) {
      const Operation& op = s.operations[i];
      if (op.name == key || op.rpc_method == key) return i;
    }
    return -1;
  }

  // The step list of `caller`'s operation `op`, or nullptr when either is absent.
  std::vector<CallStep>* Steps(std::string_view caller, std::string_view op) {
    const int s = ServiceIndex(caller);
    if (s < 0) return nullptr;
    const int o = OperationIndex(fleet_->services[s], op);
    return o < 0 ? nullptr : &fleet_->services[s].operations[o].steps;
  }

  // Appends a call of `callee`'s `callee_op` ("" for any) and returns it for tweaking, or a
  // scratch step when the call is dropped.
  CallStep& Call(std::string_view caller, std::string_view op, std::string_view callee,
                 std::string_view callee_op, double probability) {
    std::vector<CallStep>* steps = Steps(caller, op);
    const int target = ServiceIndex(callee);
    if (steps == nullptr || target < 0 ||
        fleet_->services[target].level <= fleet_->services[ServiceIndex(caller)].level) {
      return scratch_ = CallStep{};
    }
    const int target_op =
        callee_op.empty() ? -1 : OperationIndex(fleet_->services[target], callee_op);
    CallStep step = CallTo(target, target_op, probability);
    step.tunable = false;
    steps->push_back(std::move(step));
    return steps->back();
  }

  CallStep& Peer(std::string_view caller, std::string_view op, CallStep step) {
    std::vector<CallStep>* steps = Steps(caller, op);
    if (steps == nullptr) return scratch_ = CallStep{};
    step.tunable = false;
    steps->push_back(std::move(step));
    return steps->back();
  }

  void Publish(std::string_view caller, std::string_view op, std::string_view topic,
               std::initializer_list<std::string_view> consumers) {
    std::vector<CallStep>* steps = Steps(caller, op);
    if (steps == nullptr) return;
    const int caller_level = fleet_->services[ServiceIndex(caller)].level;
    CallStep step = PublishTo(topic, 1.0);
    step.tunable = false;
    for (std::string_view c : consumers) {
      const int target = ServiceIndex(c);
      if (target < 0 || fleet_->services[target].level <= caller_level) continue;
      step.consumers.push_back(target);
      step.consumer_operations.push_back(
          EnsureConsumerOperation(fleet_->services[target], topic, rng_));
    }
    if (!step.consumers.empty()) steps->push_back(std::move(step));
  }

  void AddCalls() {
    const auto db = [](std::string_view operation, std::string_view table, double median_ms,
                       double probability = 1.0) {
      return DatabaseQuery(kPostgresPeer, operation, table, probability,
                           Latency(median_ms, 0.5, 0.01, 1.8));
    };
    const auto cache = [](std::string_view command, std::string_view key, double miss,
                          double probability = 1.0) {
      return CacheCommand(kRedisPeer, command, key, probability, miss, Latency(0.35, 0.35));
    };
    const auto after_miss = [](CallStep step) {
      step.after_cache_miss = true;
      return step;
    };

    // frontend: each page fans out to the services that render it, partly in parallel.
    Call("frontend", "GET /", "feature-flags", "ResolveAll", 0.5);
    Call("frontend", "GET /", "user-profile", "GetProfile", 0.6);
    Call("frontend", "GET /", "currency", "GetSupportedCurrencies", 1.0);
    Call("frontend", "GET /", "product-catalog", "ListProducts", 1.0);
    Call("frontend", "GET /", "cart", "GetCart", 1.0).parallel = true;
    Call("frontend", "GET /", "recommendation", "ListRecommendations", 0.9).parallel = true;
    Call("frontend", "GET /", "ad", "GetAds", 0.9).parallel = true;
    Call("frontend", "GET /", "currency", "Convert", 1.0).max_repeat = 6;
    Peer("frontend", "GET /", InternalWork("render home page", 1.0, Latency(1.5)));
    Call("frontend", "GET /api/products/{productId}", "product-catalog", "GetProduct", 1.0);
    Call("frontend", "GET /api/products/{productId}", "recommendation", "ListRecommendations", 0.8)
        .critical = false;
    Call("frontend", "GET /api/products/{productId}", "ad", "GetAds", 0.8).parallel = true;
    Call("frontend", "GET /api/products/{productId}", "currency", "Convert", 1.0).max_repeat = 3;
    Call("frontend", "GET /api/products", "product-catalog", "ListProducts", 1.0);
    Call("frontend", "GET /api/products", "currency", "Convert", 1.0).max_repeat = 8;
    Call("frontend", "GET /api/cart", "cart", "GetCart", 1.0);
    Call("frontend", "GET /api/cart", "product-catalog", "GetProduct", 1.0).max_repeat = 4;
    Call("frontend", "GET /api/cart", "currency", "Convert", 1.0).max_repeat = 4;
    Call("frontend", "GET /api/cart", "shipping", "POST /get-quote", 0.8).critical = false;
    Call("frontend", "POST /api/cart", "product-catalog", "GetProduct", 1.0);
    Call("frontend", "POST /api/cart", "cart", "AddItem", 1.0);
    Call("frontend", "POST /api/checkout", "auth", "ValidateToken", 1.0);
    Call("frontend", "POST /api/checkout", "checkout", "PlaceOrder", 1.0);
    Call("frontend", "GET /api/recommendations", "recommendation", "ListRecommendations", 1.0);
    Call("frontend", "GET /api/recommendations", "product-catalog", "GetProduct", 1.0).max_repeat =
        4;
    Call("frontend", "GET /api/data", "ad", "GetAds", 1.0);
    Call("frontend", "GET /api/currency", "currency", "GetSupportedCurrencies", 1.0);
    Call("frontend", "GET /api/shipping", "shipping", "POST /get-quote", 1.0);
    Call("frontend", "GET /api/shipping", "currency", "Convert", 1.0);
    Call("frontend", "GET /api/search", "search", "Search", 1.0);

    // product-catalog: cache-aside over its database.
    Peer("product-catalog", "ListProducts", cache("HGETALL", "products", 0.3));
    Peer("product-catalog", "ListProducts", after_miss(db("SELECT", "products", 3.0)));
    Peer("product-catalog", "GetProduct", cache("GET", "product", 0.15));
    Peer("product-catalog", "GetProduct", after_miss(db("SELECT", "products", 1.2)));
    Peer("product-catalog", "SearchProducts", db("SELECT", "products", 6.0));

    Peer("cart", "GetCart", cache("HGETALL", "cart", 0.0));
    Call("cart", "AddItem", "inventory", "CheckStock", 0.5);
    Peer("cart", "AddItem", cache("HSET", "cart", 0.0));
    Peer("cart", "AddItem", cache("EXPIRE", "cart", 0.0));
    Peer("cart", "EmptyCart", cache("DEL", "cart", 0.0));
    Call("cart", "GetCart", "feature-flags", "ResolveBoolean", 0.3);

    // checkout: the OpenTelemetry demo's PlaceOrder sequence, then an order.created event.
    Call("checkout", "PlaceOrder", "user-profile", "GetProfile", 1.0);
    Call("checkout", "PlaceOrder", "cart", "GetCart", 1.0);
    Call("checkout", "PlaceOrder", "product-catalog", "GetProduct", 1.0).max_repeat = 4;
    Call("checkout", "PlaceOrder", "currency", "Convert", 1.0).max_repeat = 4;
    Call("checkout", "PlaceOrder", "shipping", "POST /get-quote", 1.0);
    Call("checkout", "PlaceOrder", "inventory", "ReserveStock", 1.0);
    Call("checkout", "PlaceOrder", "payment", "Charge", 1.0);
    Call("checkout", "PlaceOrder", "shipping", "POST /ship-order", 1.0);
    Call("checkout", "PlaceOrder", "cart", "EmptyCart", 1.0).critical = false;
    Peer("checkout", "PlaceOrder", db("INSERT", "orders", 2.5));
    Call("checkout", "PlaceOrder", "email", "POST /send_order_confirmation", 1.0).critical = false;
    Publish("checkout", "PlaceOrder", "order.created", {"accounting", "fraud-detection"});
    Peer("checkout", "GetOrder", db("SELECT", "orders", 1.5));
    Peer("checkout", "ListOrders", db("SELECT", "orders", 4.0));

    Call("payment", "Charge", "currency", "Convert", 0.3);
    Peer("payment", "Charge",
         ExternalApiCall(kPaymentProviderPeer, "POST", "/v1/charges", 1.0,
                         Latency(140, 0.35, 0.02, 1.8)));
    Peer("payment", "Charge", db("INSERT", "payments", 2.0));
    Peer("payment", "Refund",
         ExternalApiCall(kPaymentProviderPeer, "POST", "/v1/refunds", 1.0,
                         Latency(160, 0.35, 0.02, 1.8)));
    Peer("payment", "Refund", db("UPDATE", "payments", 2.0));
    Peer("payment", "Authorize",
         ExternalApiCall(kPaymentProviderPeer, "POST", "/v1/payment_intents", 1.0,
                         Latency(120, 0.35, 0.02, 1.8)));

    Call("shipping", "POST /get-quote", "quote", "POST /getquote", 1.0);
    Call("shipping", "POST /get-quote", "currency", "Convert", 0.5);
    Peer("shipping", "POST /ship-order",
         ExternalApiCall(kCarrierApiPeer, "POST", "/v2/shipments", 1.0,
                         Latency(90, 0.4, 0.02, 1.8)));
    Peer("shipping", "POST /ship-order", db("INSERT", "shipments", 2.0));
    Peer("shipping", "GET /tracking/{trackingId}",
         ExternalApiCall(kCarrierApiPeer, "GET", "/v2/tracking", 1.0, Latency(60, 0.4)));

    Peer("currency", "GetRates", cache("GET", "rates", 0.0));

    Call("email", "POST /send_order_confirmation", "user-profile", "GetPreferences", 0.5);
    Peer("email", "POST /send_order_confirmation",
         InternalWork("render confirmation template", 1.0, Latency(6.0)));
    for (std::string_view op : {"POST /send_order_confirmation", "POST /send_shipping_update",
                                "POST /send_password_reset"}) {
      Peer("email", op,
           ExternalApiCall(kEmailProviderPeer, "POST", "/v3/mail/send", 1.0,
                           Latency(70, 0.4, 0.02, 1.8)));
    }

    Call("recommendation", "ListRecommendations", "feature-flags", "ResolveBoolean", 1.0);
    Call("recommendation", "ListRecommendations", "product-catalog", "ListProducts", 1.0);
    Peer("recommendation", "GetTrending", cache("ZREVRANGE", "trending", 0.0));
    Call("recommendation", "GetSimilarProducts", "product-catalog", "GetProduct", 1.0).max_repeat =
        3;

    Call("ad", "GetAds", "feature-flags", "ResolveBoolean", 1.0);
    Call("ad", "GetAdsByCategory", "feature-flags", "ResolveBoolean", 1.0);
    Peer("ad", "RecordImpression", db("INSERT", "ad_impressions", 1.5));

    for (std::string_view op : {"GET /v1/products", "GET /v1/products/{id}", "POST /v1/orders",
                                "GET /v1/orders/{id}", "GET /v1/cart", "GET /v1/search"}) {
      Call("api-gateway", op, "auth", "ValidateToken", 1.0);
    }
    Call("api-gateway", "GET /v1/products", "product-catalog", "ListProducts", 1.0);
    Call("api-gateway", "GET /v1/products/{id}", "product-catalog", "GetProduct", 1.0);
    Call("api-gateway", "POST /v1/orders", "checkout", "PlaceOrder", 1.0);
    Call("api-gateway", "GET /v1/orders/{id}", "checkout", "GetOrder", 1.0);
    Call("api-gateway", "GET /v1/cart", "cart", "GetCart", 1.0);
    Call("api-gateway", "GET /v1/search", "search", "Search", 1.0);

    Peer("auth", "ValidateToken", cache("GET", "session", 0.05));
    Peer("auth", "ValidateToken", after_miss(db("SELECT", "sessions", 1.0)));
    Peer("auth", "IssueToken", db("INSERT", "sessions", 1.5));
    Peer("auth", "IssueToken", cache("SET", "session", 0.0));
    Peer("auth", "RevokeToken", cache("DEL", "session", 0.0));
    Peer("auth", "RevokeToken", db("DELETE", "sessions", 1.2));

    Call("mobile-bff", "GET /bff/home", "auth", "ValidateToken", 1.0);
    Call("mobile-bff", "GET /bff/home", "user-profile", "GetProfile", 1.0);
    Call("mobile-bff", "GET /bff/home", "product-catalog", "ListProducts", 1.0);
    Call("mobile-bff", "GET /bff/home", "recommendation", "ListRecommendations", 1.0).parallel =
        true;
    Call("mobile-bff", "GET /bff/home", "ad", "GetAds", 1.0).parallel = true;
    Call("mobile-bff", "GET /bff/product/{id}", "product-catalog", "GetProduct", 1.0);
    Call("mobile-bff", "GET /bff/product/{id}", "recommendation", "GetSimilarProducts", 1.0);
    Call("mobile-bff", "POST /bff/cart", "auth", "ValidateToken", 1.0);
    Call("mobile-bff", "POST /bff/cart", "cart", "AddItem", 1.0);
    Call("mobile-bff", "POST /bff/checkout", "auth", "ValidateToken", 1.0);
    Call("mobile-bff", "POST /bff/checkout", "checkout", "PlaceOrder", 1.0);

    Peer("user-profile", "GetProfile", cache("GET", "profile", 0.2));
    Peer("user-profile", "GetProfile", after_miss(db("SELECT", "users", 1.5)));
    Peer("user-profile", "UpdateProfile", db("UPDATE", "users", 2.5));
    Peer("user-profile", "GetPreferences", db("SELECT", "preferences", 1.0));

    Peer("inventory", "CheckStock", cache("GET", "stock", 0.3));
    Peer("inventory", "CheckStock", after_miss(db("SELECT", "stock", 1.2)));
    Peer("inventory", "ReserveStock", db("UPDATE", "stock", 2.5));
    Peer("inventory", "ReleaseStock", db("UPDATE", "stock", 2.5));

    Call("search", "Search", "product-catalog", "SearchProducts", 1.0);
    Peer("search", "Suggest", cache("ZRANGEBYLEX", "suggest", 0.0));
    Peer("search", "Reindex", db("SELECT", "products", 30.0));

    Peer("accounting", "process order.created", db("INSERT", "ledger_entries", 2.0));
    Peer("accounting", "GET /ledger/{orderId}", db("SELECT", "ledger_entries", 1.5));
    Peer("accounting", "GET /ledger/summary", db("SELECT", "ledger_entries", 12.0));
    Peer("accounting", "POST /ledger/reconcile", db("UPDATE", "ledger_entries", 20.0));

    Peer("fraud-detection", "process order.created",
         InternalWork("score order risk", 1.0, Latency(4.0)));
    Peer("fraud-detection", "process order.created", db("INSERT", "risk_scores", 1.5));
    Peer("fraud-detection", "GetRiskProfile", db("SELECT", "risk_scores", 1.5));

    Peer("quote", "POST /getquote", InternalWork("calculate shipping cost", 0.5, Latency(0.4)));
  }

  int max_services_;
  Rng& rng_;
  Fleet* fleet_;
  CallStep scratch_;
};

}  // namespace

void AddCoreShop(int max_services, Rng& rng, Fleet* fleet) {
  CoreShopBuilder(max_services, rng, fleet).Build();
}

}  // namespace augur::sim
