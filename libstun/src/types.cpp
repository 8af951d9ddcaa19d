#include "stun/types.hpp"

namespace stun {

std::string_view method_name(Method m) {
  switch (m) {
    case Method::kBinding:
      return "Binding";
    case Method::kAllocate:
      return "Allocate";
    case Method::kRefresh:
      return "Refresh";
    case Method::kSend:
      return "Send";
    case Method::kData:
      return "Data";
    case Method::kCreatePermission:
      return "CreatePermission";
    case Method::kChannelBind:
      return "ChannelBind";
    case Method::kConnect:
      return "Connect";
    case Method::kConnectionBind:
      return "ConnectionBind";
    case Method::kConnectionAttempt:
      return "ConnectionAttempt";
  }
  return "unknown";
}

std::string_view attribute_name(std::uint16_t type) {
  switch (static_cast<AttrType>(type)) {
    case AttrType::kMappedAddress:
      return "MAPPED-ADDRESS";
    case AttrType::kResponseAddress:
      return "RESPONSE-ADDRESS";
    case AttrType::kChangeRequest:
      return "CHANGE-REQUEST";
    case AttrType::kUsername:
      return "USERNAME";
    case AttrType::kMessageIntegrity:
      return "MESSAGE-INTEGRITY";
    case AttrType::kErrorCode:
      return "ERROR-CODE";
    case AttrType::kUnknownAttributes:
      return "UNKNOWN-ATTRIBUTES";
    case AttrType::kChannelNumber:
      return "CHANNEL-NUMBER";
    case AttrType::kLifetime:
      return "LIFETIME";
    case AttrType::kXorPeerAddress:
      return "XOR-PEER-ADDRESS";
    case AttrType::kData:
      return "DATA";
    case AttrType::kRealm:
      return "REALM";
    case AttrType::kNonce:
      return "NONCE";
    case AttrType::kXorRelayedAddress:
      return "XOR-RELAYED-ADDRESS";
    case AttrType::kRequestedAddressFamily:
      return "REQUESTED-ADDRESS-FAMILY";
    case AttrType::kEvenPort:
      return "EVEN-PORT";
    case AttrType::kRequestedTransport:
      return "REQUESTED-TRANSPORT";
    case AttrType::kDontFragment:
      return "DONT-FRAGMENT";
    case AttrType::kAccessToken:
      return "ACCESS-TOKEN";
    case AttrType::kMessageIntegritySha256:
      return "MESSAGE-INTEGRITY-SHA256";
    case AttrType::kPasswordAlgorithm:
      return "PASSWORD-ALGORITHM";
    case AttrType::kUserhash:
      return "USERHASH";
    case AttrType::kXorMappedAddress:
      return "XOR-MAPPED-ADDRESS";
    case AttrType::kReservationToken:
      return "RESERVATION-TOKEN";
    case AttrType::kPadding:
      return "PADDING";
    case AttrType::kResponsePort:
      return "RESPONSE-PORT";
    case AttrType::kConnectionId:
      return "CONNECTION-ID";
    case AttrType::kAdditionalAddressFamily:
      return "ADDITIONAL-ADDRESS-FAMILY";
    case AttrType::kAddressErrorCode:
      return "ADDRESS-ERROR-CODE";
    case AttrType::kPasswordAlgorithms:
      return "PASSWORD-ALGORITHMS";
    case AttrType::kAlternateDomain:
      return "ALTERNATE-DOMAIN";
    case AttrType::kIcmp:
      return "ICMP";
    case AttrType::kSoftware:
      return "SOFTWARE";
    case AttrType::kAlternateServer:
      return "ALTERNATE-SERVER";
    case AttrType::kResponseOrigin:
      return "RESPONSE-ORIGIN";
    case AttrType::kOtherAddress:
      return "OTHER-ADDRESS";
    case AttrType::kFingerprint:
      return "FINGERPRINT";
  }
  return "unknown";
}

bool is_known_attribute(std::uint16_t type) {
  return attribute_name(type) != "unknown";
}

}  // namespace stun
