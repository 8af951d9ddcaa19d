#include "stun/attributes.hpp"

#include <cstring>

namespace stun::codec {
namespace {

/// Shared by MAPPED-ADDRESS and XOR-MAPPED-ADDRESS (RFC 8489 §14.1-§14.2): 1 reserved byte,
/// family, port, address.
Result<SocketAddress> decode_plain_address(Bytes in) {
  if (in.size() < 4)
    return ParseError::kBadAddressLength;
  const std::uint8_t family = in[1];
  SocketAddress a;
  if (family == kFamilyIpv4) {
    if (in.size() != 8)
      return ParseError::kBadAddressLength;
  } else if (family == kFamilyIpv6) {
    if (in.size() != 20)
      return ParseError::kBadAddressLength;
  } else {
    return ParseError::kBadAddressFamily;
  }
  a.family = family;
  a.port = load_u16(in.data() + 2);
  std::memcpy(a.ip.data(), in.data() + 4, a.ip_size());
  return a;
}

void encode_plain_address(MutableBytes out, const SocketAddress& a) {
  out[0] = 0;
  out[1] = a.family;
  store_u16(out.data() + 2, a.port);
  std::memcpy(out.data() + 4, a.ip.data(), a.ip_size());
}

/// The XOR mask: magic cookie, then the transaction id (RFC 8489 §14.2).
void apply_xor(SocketAddress& a, const TransactionId& tid) {
  std::uint8_t mask[16];
  store_u32(mask, kMagicCookie);
  std::memcpy(mask + 4, tid.data(), tid.size());
  a.port ^= static_cast<std::uint16_t>(kMagicCookie >> 16);
  for (std::size_t i = 0; i < a.ip_size(); ++i)
    a.ip[i] ^= mask[i];
}

/// ERROR-CODE layout shared with ADDRESS-ERROR-CODE: class in the low 3 bits of byte 2, number
/// in byte 3, then the reason phrase (RFC 8489 §14.8).
Result<std::uint16_t> decode_class_number(Bytes in) {
  const unsigned cls = in[2] & 0x07;
  const unsigned number = in[3];
  if (cls < 3 || cls > 6 || number > 99)
    return ParseError::kBadAttributeValue;
  return static_cast<std::uint16_t>(cls * 100 + number);
}

void encode_class_number(MutableBytes out, std::uint16_t code) {
  out[2] = static_cast<std::uint8_t>((code / 100) & 0x07);
  out[3] = static_cast<std::uint8_t>(code % 100);
}

void copy_text(MutableBytes out, std::string_view text) {
  if (!text.empty())
    std::memcpy(out.data(), text.data(), text.size());
}

std::string_view as_text(Bytes in) {
  return {reinterpret_cast<const char*>(in.data()), in.size()};
}

}  // namespace

Result<SocketAddress> Address::decode(Bytes in, const TransactionId&) {
  return decode_plain_address(in);
}

void Address::encode(MutableBytes out, const Value& v, const TransactionId&) {
  encode_plain_address(out, v);
}

Result<SocketAddress> XorAddress::decode(Bytes in, const TransactionId& tid) {
  auto a = decode_plain_address(in);
  if (!a)
    return a;
  SocketAddress v = *a;
  apply_xor(v, tid);
  return v;
}

void XorAddress::encode(MutableBytes out, const Value& v, const TransactionId& tid) {
  SocketAddress x = v;
  apply_xor(x, tid);
  encode_plain_address(out, x);
}

Result<std::uint32_t> U32::decode(Bytes in, const TransactionId&) {
  if (in.size() != 4)
    return ParseError::kBadAttributeLength;
  return load_u32(in.data());
}

void U32::encode(MutableBytes out, const Value& v, const TransactionId&) {
  store_u32(out.data(), v);
}

Result<std::uint64_t> U64::decode(Bytes in, const TransactionId&) {
  if (in.size() != 8)
    return ParseError::kBadAttributeLength;
  return load_u64(in.data());
}

void U64::encode(MutableBytes out, const Value& v, const TransactionId&) {
  store_u64(out.data(), v);
}

Result<std::uint16_t> U16Rffu::decode(Bytes in, const TransactionId&) {
  if (in.size() != 4)
    return ParseError::kBadAttributeLength;
  return load_u16(in.data());
}

void U16Rffu::encode(MutableBytes out, const Value& v, const TransactionId&) {
  store_u16(out.data(), v);
  out[2] = out[3] = 0;
}

Result<std::uint8_t> U8Rffu::decode(Bytes in, const TransactionId&) {
  if (in.size() != 4)
    return ParseError::kBadAttributeLength;
  return in[0];
}

void U8Rffu::encode(MutableBytes out, const Value& v, const TransactionId&) {
  out[0] = v;
  out[1] = out[2] = out[3] = 0;
}

Result<bool> EvenPort::decode(Bytes in, const TransactionId&) {
  if (in.size() != 1)
    return ParseError::kBadAttributeLength;
  return (in[0] & 0x80) != 0;
}

void EvenPort::encode(MutableBytes out, const Value& v, const TransactionId&) {
  out[0] = v ? 0x80 : 0x00;
}

Result<Empty::Value> Empty::decode(Bytes in, const TransactionId&) {
  if (!in.empty())
    return ParseError::kBadAttributeLength;
  return Value{};
}

void Opaque::encode(MutableBytes out, const Value& v, const TransactionId&) {
  if (!v.empty())
    std::memcpy(out.data(), v.data(), v.size());
}

Result<ErrorCode::Value> ErrorCode::decode(Bytes in, const TransactionId&) {
  // RFC 8489 §14.8: the reason phrase is at most 128 characters (763 bytes).
  if (in.size() < 4 || in.size() > 4 + 763)
    return ParseError::kBadAttributeLength;
  auto code = decode_class_number(in);
  if (!code)
    return code.error();
  return Value{*code, as_text(in.subspan(4))};
}

void ErrorCode::encode(MutableBytes out, const Value& v, const TransactionId&) {
  out[0] = out[1] = 0;
  encode_class_number(out, v.code);
  copy_text(out.subspan(4), v.reason);
}

Result<AddressErrorCode::Value> AddressErrorCode::decode(Bytes in, const TransactionId&) {
  if (in.size() < 4 || in.size() > 4 + 763)
    return ParseError::kBadAttributeLength;
  if (in[0] != kFamilyIpv4 && in[0] != kFamilyIpv6)
    return ParseError::kBadAddressFamily;
  auto code = decode_class_number(in);
  if (!code)
    return code.error();
  return Value{in[0], *code, as_text(in.subspan(4))};
}

void AddressErrorCode::encode(MutableBytes out, const Value& v, const TransactionId&) {
  out[0] = v.family;
  out[1] = 0;
  encode_class_number(out, v.code);
  copy_text(out.subspan(4), v.reason);
}

Result<Icmp::Value> Icmp::decode(Bytes in, const TransactionId&) {
  if (in.size() != 8)
    return ParseError::kBadAttributeLength;
  return Value{in[2], in[3], load_u32(in.data() + 4)};
}

void Icmp::encode(MutableBytes out, const Value& v, const TransactionId&) {
  out[0] = out[1] = 0;
  out[2] = v.type;
  out[3] = v.code;
  store_u32(out.data() + 4, v.data);
}

Result<UnknownAttributes::Value> UnknownAttributes::decode(Bytes in, const TransactionId&) {
  if (in.size() % 2 != 0)
    return ParseError::kBadAttributeLength;
  Value list;
  for (std::size_t i = 0; i + 1 < in.size(); i += 2) {
    if (!list.push(load_u16(in.data() + i)))
      return ParseError::kBadAttributeLength;
  }
  return list;
}

void UnknownAttributes::encode(MutableBytes out, const Value& v, const TransactionId&) {
  for (std::size_t i = 0; i < v.size(); ++i)
    store_u16(out.data() + 2 * i, v[i]);
}

namespace {

/// One algorithm entry: 2-byte algorithm, 2-byte parameter length, parameters padded to 4
/// (RFC 8489 §14.11). Returns the entry and the bytes it used.
Result<std::pair<PasswordAlgorithmEntry, std::size_t>> decode_algorithm(Bytes in) {
  if (in.size() < 4)
    return ParseError::kBadAttributeLength;
  const std::size_t params = load_u16(in.data() + 2);
  const std::size_t used = 4 + pad4(params);
  if (4 + params > in.size())
    return ParseError::kBadAttributeLength;
  PasswordAlgorithmEntry e{load_u16(in.data()), in.subspan(4, params)};
  return std::pair{e, used > in.size() ? in.size() : used};
}

void encode_algorithm(MutableBytes out, const PasswordAlgorithmEntry& e) {
  store_u16(out.data(), e.algorithm);
  store_u16(out.data() + 2, static_cast<std::uint16_t>(e.parameters.size()));
  std::memset(out.data() + 4, 0, pad4(e.parameters.size()));
  if (!e.parameters.empty())
    std::memcpy(out.data() + 4, e.parameters.data(), e.parameters.size());
}

}  // namespace

Result<PasswordAlgorithmEntry> PasswordAlgorithm::decode(Bytes in, const TransactionId&) {
  auto e = decode_algorithm(in);
  if (!e)
    return e.error();
  if (e->second != in.size())
    return ParseError::kBadAttributeLength;
  return e->first;
}

void PasswordAlgorithm::encode(MutableBytes out, const Value& v, const TransactionId&) {
  encode_algorithm(out, v);
}

Result<PasswordAlgorithms::Value> PasswordAlgorithms::decode(Bytes in, const TransactionId&) {
  Value list;
  while (!in.empty()) {
    auto e = decode_algorithm(in);
    if (!e)
      return e.error();
    if (!list.push(e->first))
      return ParseError::kBadAttributeLength;
    in = in.subspan(e->second);
  }
  return list;
}

std::size_t PasswordAlgorithms::size(const Value& v) {
  std::size_t n = 0;
  for (const auto& e : v)
    n += 4 + pad4(e.parameters.size());
  return n;
}

void PasswordAlgorithms::encode(MutableBytes out, const Value& v, const TransactionId&) {
  std::size_t at = 0;
  for (const auto& e : v) {
    encode_algorithm(out.subspan(at), e);
    at += 4 + pad4(e.parameters.size());
  }
}

}  // namespace stun::codec
