// What a reload can change: the configuration and the peer policy built from it. Immutable;
// each worker holds a shared_ptr to the current one and swaps it when the control thread posts
// a new one (SIGHUP), so the relay path reads plain memory and never takes a lock.
#pragma once

#include <memory>
#include <vector>

#include "config/config.hpp"
#include "net/peer_policy.hpp"
#include "net/tls_context.hpp"

namespace turn {

struct Settings {
  /// `listeners`: every bound listener address (their ports are never peers); `live`: the
  /// server's live relay ports, which must outlive the settings.
  Settings(Config c, const std::vector<stun::SocketAddress>& listeners, const LiveRelays* live,
           TlsContextPtr tls = {});

  Config config;
  PeerPolicy policy;
  /// TLS/DTLS contexts for new connections; null when no certificate is configured.
  TlsContextPtr tls;
};

using SettingsPtr = std::shared_ptr<const Settings>;

}  // namespace turn
