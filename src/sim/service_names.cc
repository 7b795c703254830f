#include "sim/service_names.h"

#include <string_view>
#include <utility>

#include "sim/text.h"

namespace augur::sim {

namespace {

constexpr std::string_view kDomains[] = {
    "inventory",   "fraud",      "loyalty",      "search",        "pricing",      "tax",
    "review",      "wishlist",   "notification", "invoice",       "refund",       "warehouse",
    "fulfillment", "returns",    "coupon",       "promotion",     "session",      "profile",
    "address",     "order",      "stock",        "supplier",      "vendor",       "seller",
    "rating",      "banner",     "campaign",     "newsletter",    "subscription", "billing",
    "ledger",      "settlement", "payout",       "chargeback",    "risk",         "identity",
    "consent",     "preference", "locale",       "translation",   "media",        "image",
    "thumbnail",   "asset",      "feed",         "sitemap",       "seo",          "analytics",
    "clickstream", "audit",      "compliance",   "kyc",           "voucher",      "bundle",
    "variant",     "taxonomy",   "category",     "brand",         "price",        "discount",
    "reward",      "referral",   "affiliate",    "partner",       "geo",          "delivery",
    "pickup",      "carrier",    "label",        "tracking",      "dispatch",     "slot",
    "capacity",    "forecast",   "demand",       "replenishment", "procurement",  "purchase",
    "exchange",    "warranty",   "support",      "ticket",        "chat",         "survey",
    "feedback",    "experiment", "config",       "metadata",      "tenant",       "account",
    "password",    "token",      "otp",          "captcha",       "device",       "push",
    "sms",         "giftcard",   "basket",       "cms",           "storefront",   "merchandising",
};

struct RoleWord {
  std::string_view word;
  ServiceRole role;
};

constexpr RoleWord kRoles[] = {
    {"service", ServiceRole::kRpc},      {"api", ServiceRole::kApi},
    {"sync", ServiceRole::kWorker},      {"scoring", ServiceRole::kRpc},
    {"points", ServiceRole::kRpc},       {"indexer", ServiceRole::kWorker},
    {"worker", ServiceRole::kWorker},    {"gateway", ServiceRole::kApi},
    {"aggregator", ServiceRole::kRpc},   {"resolver", ServiceRole::kRpc},
    {"validator", ServiceRole::kRpc},    {"cache", ServiceRole::kDataStore},
    {"store", ServiceRole::kDataStore},  {"manager", ServiceRole::kRpc},
    {"scheduler", ServiceRole::kWorker}, {"processor", ServiceRole::kWorker},
    {"router", ServiceRole::kRpc},       {"exporter", ServiceRole::kWorker},
    {"importer", ServiceRole::kWorker},  {"tracker", ServiceRole::kRpc},
    {"engine", ServiceRole::kRpc},       {"planner", ServiceRole::kRpc},
    {"notifier", ServiceRole::kWorker},  {"writer", ServiceRole::kDataStore},
    {"reader", ServiceRole::kDataStore}, {"publisher", ServiceRole::kRpc},
    {"consumer", ServiceRole::kWorker},  {"enricher", ServiceRole::kWorker},
    {"calculator", ServiceRole::kRpc},   {"reconciler", ServiceRole::kWorker},
    {"monitor", ServiceRole::kRpc},      {"registry", ServiceRole::kDataStore},
    {"adapter", ServiceRole::kApi},      {"proxy", ServiceRole::kApi},
    {"orchestrator", ServiceRole::kRpc}, {"collector", ServiceRole::kWorker},
    {"builder", ServiceRole::kRpc},      {"archiver", ServiceRole::kWorker},
    {"renderer", ServiceRole::kApi},     {"ledger", ServiceRole::kDataStore},
};

}  // namespace

std::vector<GeneratedServiceName> GenerateServiceNames(
    int count, const absl::flat_hash_set<std::string>& taken, Rng& rng) {
  std::vector<std::pair<int, int>> pairs;
  for (int d = 0; d < static_cast<int>(std::size(kDomains)); ++d) {
    for (int r = 0; r < static_cast<int>(std::size(kRoles)); ++r) pairs.emplace_back(d, r);
  }
  rng.Shuffle(pairs);

  std::vector<GeneratedServiceName> out;
  out.reserve(count);
  absl::flat_hash_set<std::string> used(taken.begin(), taken.end());
  for (int round = 1; static_cast<int>(out.size()) < count; ++round) {
    for (const auto& [d, r] : pairs) {
      if (static_cast<int>(out.size()) == count) break;
      std::string name = Cat(kDomains[d], "-", kRoles[r].word);
      if (round > 1) Append(name, "-", round);
      if (!used.insert(name).second) continue;
      out.push_back({std::move(name), std::string(kDomains[d]), kRoles[r].role});
    }
  }
  return out;
}

}  // namespace augur::sim
