// The hand-written core of the simulated shop: the OpenTelemetry demo's services (frontend,
// product-catalog, cart, checkout, payment, shipping, currency, email, recommendation, ad), the
// well-known services around them when the fleet is big enough (api-gateway, auth, mobile-bff,
// user-profile, feature-flags, inventory, search, accounting, fraud-detection, quote), and the
// uninstrumented peers (redis, postgresql, and three external APIs).
#pragma once

#include "sim/fleet.h"
#include "sim/random.h"

namespace augur::sim {

// Indices into Fleet::peers, as ShopPeers() lays them out.
inline constexpr int kRedisPeer = 0;
inline constexpr int kPostgresPeer = 1;
inline constexpr int kPaymentProviderPeer = 2;
inline constexpr int kCarrierApiPeer = 3;
inline constexpr int kEmailProviderPeer = 4;

std::vector<Peer> ShopPeers();

// Appends up to `max_services` core services to `fleet->services`, with their operations and the
// calls among them (calls to services left out are dropped). `fleet->levels` must be set (>= 4):
// the hubs auth and feature-flags sit at the deepest level, user-profile one above.
void AddCoreShop(int max_services, Rng& rng, Fleet* fleet);

}  // namespace augur::sim
