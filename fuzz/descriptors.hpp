// Every attribute descriptor of stun::attr, for fuzz targets that exercise them all.
#pragma once

#include "stun/attributes.hpp"

namespace stun_fuzz {

/// Calls `f(descriptor)` for each descriptor in stun::attr, in IANA code order.
template <typename F>
void for_each_descriptor(F&& f) {
  using namespace stun::attr;
  f(kMappedAddress);
  f(kChangeRequest);
  f(kUsername);
  f(kMessageIntegrity);
  f(kErrorCode);
  f(kUnknownAttributes);
  f(kChannelNumber);
  f(kLifetime);
  f(kXorPeerAddress);
  f(kData);
  f(kRealm);
  f(kNonce);
  f(kXorRelayedAddress);
  f(kRequestedAddressFamily);
  f(kEvenPort);
  f(kRequestedTransport);
  f(kDontFragment);
  f(kAccessToken);
  f(kMessageIntegritySha256);
  f(kPasswordAlgorithm);
  f(kUserhash);
  f(kXorMappedAddress);
  f(kReservationToken);
  f(kPadding);
  f(kResponsePort);
  f(kConnectionId);
  f(kAdditionalAddressFamily);
  f(kAddressErrorCode);
  f(kPasswordAlgorithms);
  f(kAlternateDomain);
  f(kIcmp);
  f(kSoftware);
  f(kAlternateServer);
  f(kFingerprint);
  f(kResponseOrigin);
  f(kOtherAddress);
}

}  // namespace stun_fuzz
