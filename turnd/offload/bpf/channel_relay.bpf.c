/* turnd's kernel fast path: a TC (cls_bpf, direct-action) ingress program that relays the
 * ChannelData of bound channels (RFC 8656 §12) without waking turnd. turnd installs a flow in
 * both maps when a UDP client's channel to a permitted UDP peer is bound, and removes it the
 * moment the channel, the permission or the allocation ends; the program never decides policy.
 *
 *   client -> listener, ChannelData on a flow's channel: the 4-byte header (and padding) is
 *     removed, the datagram leaves from the relay address to the peer (RFC 8656 §12.4);
 *   peer -> relay port of a flow: the 4-byte header is added, the datagram leaves from the
 *     listener to the client (§12.5: over UDP, no padding);
 *   client -> listener on a channel whose peer is another relay of this turnd, itself
 *     offloaded with a channel back: the two relays' hops in one pass, ChannelData in and
 *     ChannelData out with the other flow's channel, from its listener to its client.
 *
 * Headers stay where they are and the payload moves by 4 bytes (locally sent packets carry
 * CHECKSUM_PARTIAL, whose checksum start bpf_skb_adjust_room does not move). Anything it
 * cannot relay exactly (a fragment, IP options, a GSO super-packet, a length mismatch, a payload
 * past what it moves or past the egress MTU, no route) goes up untouched and is counted. */
/* clang -O2 -target bpf; UAPI headers and libbpf's bpf_helpers.h only (no BTF needed). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "flow_maps.h"

char LICENSE[] SEC("license") = "GPL";

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, TURND_MAX_FLOWS);
  __type(key, struct turnd_c2p_key);
  __type(value, struct turnd_c2p_value);
} turnd_c2p SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, TURND_MAX_FLOWS);
  __type(key, struct turnd_p2c_key);
  __type(value, struct turnd_p2c_value);
} turnd_p2c SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, TURND_MAX_FLOWS);
  __uint(map_flags, BPF_F_MMAPABLE);
  __type(key, __u32);
  __type(value, struct turnd_flow_stats);
} turnd_stats SEC(".maps");

/* Where the payload passes through as it moves: 512 bytes, the whole BPF stack. */
struct chunk {
  __u8 bytes[512];
};
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct chunk);
} turnd_scratch SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, TURND_FB_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} turnd_fallbacks SEC(".maps");

/* Not ours, or not for the fast path: the next filter on the device (another turnd's, say) and
 * then the stack see it as it came. */
#define PASS TC_ACT_UNSPEC
#define ETH_HLEN_ 14
#define CHUNK 512
#define MAX_CHUNKS 3 /* payloads up to 1,536 bytes move; larger ones go up */
#define MAX_PAYLOAD (CHUNK * MAX_CHUNKS)
#define LOOPBACK_IFINDEX 1
#define LOCAL 0 /* route(): deliver here (no device has index 0) */
#define IP_MF 0x2000
#define IP_OFFSET 0x1FFF

struct packet {
  __u32 l3;     /* the IP header */
  __u32 l4;     /* the UDP header */
  __u32 ip_len; /* from l3 to the end of the IP datagram */
  __u16 payload;
  __u8 family;
  __u8 fragment;
  __u8 options;
  __u8 src[16];
  __u8 dst[16];
  __be16 sport;
  __be16 dport;
  __be16 check;
};

/* Addresses and the length as the UDP pseudo-header sums them (RFC 768, RFC 8200 §8.1): one
 * buffer per side, so bpf_csum_diff gives the whole pseudo-header change at once. */
struct pseudo {
  __u8 src[16];
  __u8 dst[16];
  __be32 len;
};

static __always_inline void count_fallback(__u32 reason) {
  __u64* n = bpf_map_lookup_elem(&turnd_fallbacks, &reason);
  if (n)
    *n += 1;
}

static __always_inline int live(__u64 expires_ns) {
  if (bpf_ktime_get_ns() < expires_ns)
    return 1;
  count_fallback(TURND_FB_EXPIRED);
  return 0;
}

/* A length the verifier can see is 1..CHUNK (clang 14 otherwise loses the bound). */
static __always_inline __u32 chunk_bound(__u32 n) {
  asm volatile("" : "+r"(n));
  return n & (2 * CHUNK - 1);
}

static __always_inline int parse(struct __sk_buff* skb, struct packet* p) {
  p->l3 = ETH_HLEN_;
  if (skb->protocol == bpf_htons(ETH_P_IP)) {
    struct iphdr ip;
    if (bpf_skb_load_bytes(skb, p->l3, &ip, sizeof ip) < 0 || ip.version != 4 ||
        ip.protocol != IPPROTO_UDP)
      return -1;
    const __u16 frag = bpf_ntohs(ip.frag_off);
    if (frag & IP_OFFSET)
      return -1; /* no UDP header in this fragment */
    p->fragment = (frag & IP_MF) != 0;
    p->options = ip.ihl != 5;
    p->family = 4;
    p->ip_len = bpf_ntohs(ip.tot_len);
    p->l4 = p->l3 + ((__u32)ip.ihl & 0xF) * 4;
    __builtin_memset(p->src, 0, 16);
    __builtin_memset(p->dst, 0, 16);
    __builtin_memcpy(p->src, &ip.saddr, 4);
    __builtin_memcpy(p->dst, &ip.daddr, 4);
  } else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
    struct ipv6hdr ip6;
    if (bpf_skb_load_bytes(skb, p->l3, &ip6, sizeof ip6) < 0 || ip6.nexthdr != IPPROTO_UDP)
      return -1; /* extension headers (a fragment header among them) go up uncounted */
    p->fragment = 0;
    p->options = 0;
    p->family = 6;
    p->ip_len = sizeof ip6 + bpf_ntohs(ip6.payload_len);
    p->l4 = p->l3 + sizeof ip6;
    __builtin_memcpy(p->src, &ip6.saddr, 16);
    __builtin_memcpy(p->dst, &ip6.daddr, 16);
  } else {
    return -1;
  }
  struct udphdr udp;
  if (bpf_skb_load_bytes(skb, p->l4, &udp, sizeof udp) < 0)
    return -1;
  const __u32 udp_len = bpf_ntohs(udp.len);
  /* The UDP length must be what the IP length says (else the kernel drops it anyway). */
  if (udp_len < sizeof udp || p->l4 - p->l3 + udp_len != p->ip_len ||
      p->l3 + p->ip_len > skb->len)
    return -1;
  p->payload = udp_len - sizeof udp;
  p->sport = udp.source;
  p->dport = udp.dest;
  p->check = udp.check;
  return 0;
}

/* What makes a packet of a flow unfit for the fast path, before anything was touched. */
static __always_inline int unfit(struct __sk_buff* skb, const struct packet* p, __u32 payload) {
  if (p->fragment) {
    count_fallback(TURND_FB_FRAGMENT);
    return 1;
  }
  if (p->options) {
    count_fallback(TURND_FB_IP_OPTIONS);
    return 1;
  }
  if (skb->gso_segs > 1 || skb->gso_size != 0) {
    count_fallback(TURND_FB_GSO);
    return 1;
  }
  if (payload > MAX_PAYLOAD) {
    count_fallback(TURND_FB_TOO_BIG);
    return 1;
  }
  return 0;
}

/* Where the rewritten packet goes: LOCAL to deliver it here (only on lo: a local source
 * arriving elsewhere is a martian), else the device turnd's route lookup named, if the packet,
 * `len_diff` bytes longer, fits its MTU; -1 to go up instead. */
static __always_inline long route(struct __sk_buff* skb, __u32 egress, __s32 len_diff) {
  if (egress == 0) {
    if (skb->ifindex == LOOPBACK_IFINDEX)
      return LOCAL;
    count_fallback(TURND_FB_ROUTE);
    return -1;
  }
  __u32 mtu = 0;
  if (bpf_check_mtu(skb, egress, &mtu, len_diff, 0) != BPF_MTU_CHK_RET_SUCCESS) {
    count_fallback(TURND_FB_TOO_BIG);
    return -1;
  }
  return egress;
}

static __always_inline long deliver(long where) {
  return where == LOCAL ? TC_ACT_OK : bpf_redirect_neigh((__u32)where, 0, 0, 0);
}

/* Moves `len` payload bytes from `from` to `to` (offsets in the packet), `to` < `from`. */
static __always_inline int move_down(struct __sk_buff* skb, __u32 from, __u32 to, __u32 len) {
  const __u32 zero = 0;
  struct chunk* c = bpf_map_lookup_elem(&turnd_scratch, &zero);
  if (!c)
    return -1;
  __u8* buf = c->bytes;
  for (int i = 0; i < MAX_CHUNKS; i++) {
    const __u32 off = (__u32)i * CHUNK;
    if (off >= len)
      break;
    __u32 n = chunk_bound(len - off > CHUNK ? CHUNK : len - off);
    if (n == 0 || n > CHUNK)
      return -1;
    if (bpf_skb_load_bytes(skb, from + off, buf, n) < 0 ||
        bpf_skb_store_bytes(skb, to + off, buf, n, 0) < 0)
      return -1;
  }
  return 0;
}

/* Moves `len` payload bytes from `from` to `to` = `from` + 4, last chunk first. */
static __always_inline int move_up(struct __sk_buff* skb, __u32 from, __u32 to, __u32 len) {
  const __u32 zero = 0;
  struct chunk* c = bpf_map_lookup_elem(&turnd_scratch, &zero);
  if (!c)
    return -1;
  __u8* buf = c->bytes;
  for (int i = 0; i < MAX_CHUNKS; i++) {
    const __u32 done = (__u32)i * CHUNK;
    if (done >= len)
      break;
    const __u32 end = len - done;
    __u32 n = chunk_bound(end > CHUNK ? CHUNK : end);
    if (n == 0 || n > CHUNK)
      return -1;
    const __u32 start = end - n;
    if (bpf_skb_load_bytes(skb, from + start, buf, n) < 0 ||
        bpf_skb_store_bytes(skb, to + start, buf, n, 0) < 0)
      return -1;
  }
  return 0;
}

/* Rewrites the IP and UDP headers to (src, sport) -> (dst, dport) with `payload` bytes, and
 * fixes the checksums: the pseudo-header part with BPF_F_PSEUDO_HDR (it alone counts for a
 * CHECKSUM_PARTIAL packet), the UDP header and `l4_extra` (the ChannelData words removed or
 * added, already summed) as the L4 part. A UDP checksum of 0 (IPv4: none) stays 0. */
static __always_inline int rewrite(struct __sk_buff* skb, const struct packet* p, const __u8* src,
                                   const __u8* dst, __be16 sport, __be16 dport, __u32 payload,
                                   __s64 l4_extra) {
  const __u32 udp_len = payload + sizeof(struct udphdr);
  const __u32 old_udp_len = p->payload + sizeof(struct udphdr);
  struct pseudo before = {}, after = {};
  __builtin_memcpy(before.src, p->src, 16);
  __builtin_memcpy(before.dst, p->dst, 16);
  before.len = bpf_htonl(old_udp_len);
  __builtin_memcpy(after.src, src, 16);
  __builtin_memcpy(after.dst, dst, 16);
  after.len = bpf_htonl(udp_len);
  const __s64 pseudo = bpf_csum_diff((__be32*)&before, sizeof before, (__be32*)&after,
                                     sizeof after, 0);
  /* The UDP header: ports, then the length (its checksum field stays out of the sum). */
  __be32 old_hdr[2] = {((__be32)p->dport << 16) | p->sport, bpf_htonl(old_udp_len << 16)};
  __be32 new_hdr[2] = {((__be32)dport << 16) | sport, bpf_htonl(udp_len << 16)};
  const __s64 l4 = bpf_csum_diff(old_hdr, sizeof old_hdr, new_hdr, sizeof new_hdr, l4_extra);
  if (pseudo < 0 || l4 < 0)
    return -1;

  const __u32 check = p->l4 + 6;
  const __u64 flags = BPF_F_MARK_MANGLED_0;
  if (bpf_l4_csum_replace(skb, check, 0, pseudo, flags | BPF_F_PSEUDO_HDR) < 0 ||
      bpf_l4_csum_replace(skb, check, 0, l4, flags) < 0)
    return -1;

  struct udphdr udp = {.source = sport, .dest = dport, .len = bpf_htons(udp_len)};
  if (bpf_skb_store_bytes(skb, p->l4, &udp, 6, 0) < 0) /* not the checksum just fixed */
    return -1;

  if (p->family == 4) {
    const __u32 ip_len = p->ip_len - p->payload + payload;
    __be32 old_ip[3] = {0, 0, bpf_htonl((__u32)p->ip_len << 16)};
    __be32 new_ip[3] = {0, 0, bpf_htonl(ip_len << 16)};
    __builtin_memcpy(&old_ip[0], p->src, 4);
    __builtin_memcpy(&old_ip[1], p->dst, 4);
    __builtin_memcpy(&new_ip[0], src, 4);
    __builtin_memcpy(&new_ip[1], dst, 4);
    const __s64 l3 = bpf_csum_diff(old_ip, sizeof old_ip, new_ip, sizeof new_ip, 0);
    const __be16 tot_len = bpf_htons(ip_len);
    if (l3 < 0 || bpf_l3_csum_replace(skb, p->l3 + offsetof(struct iphdr, check), 0, l3, 0) < 0 ||
        bpf_skb_store_bytes(skb, p->l3 + offsetof(struct iphdr, tot_len), &tot_len, 2, 0) < 0 ||
        bpf_skb_store_bytes(skb, p->l3 + offsetof(struct iphdr, saddr), src, 4, 0) < 0 ||
        bpf_skb_store_bytes(skb, p->l3 + offsetof(struct iphdr, daddr), dst, 4, 0) < 0)
      return -1;
  } else {
    const __be16 payload_len = bpf_htons(udp_len);
    if (bpf_skb_store_bytes(skb, p->l3 + offsetof(struct ipv6hdr, payload_len), &payload_len, 2,
                            0) < 0 ||
        bpf_skb_store_bytes(skb, p->l3 + offsetof(struct ipv6hdr, saddr), src, 16, 0) < 0 ||
        bpf_skb_store_bytes(skb, p->l3 + offsetof(struct ipv6hdr, daddr), dst, 16, 0) < 0)
      return -1;
  }
  return 0;
}

/* The L4 checksum change of the ChannelData header `hdr` and `pad` bytes of padding after the
 * data leaving the datagram, and `added` (4 bytes, or none) taking the header's place. Each
 * padding byte counts in the half of its 16-bit word its offset puts it in (data starts at an
 * even offset, so padding after odd data starts in a low half). */
static __always_inline int removed_sum(struct __sk_buff* skb, const struct packet* p,
                                       const __u8* hdr, __u32 data_len, __u32 pad,
                                       const __u8* added, __s64* sum) {
  __u8 tail[8] = {};
  if (pad != 0) {
    __u8 bytes[3] = {};
    const __u32 at_pad = p->l4 + 12 + data_len;
    const long loaded = pad == 1   ? bpf_skb_load_bytes(skb, at_pad, bytes, 1)
                        : pad == 2 ? bpf_skb_load_bytes(skb, at_pad, bytes, 2)
                                   : bpf_skb_load_bytes(skb, at_pad, bytes, 3);
    if (loaded < 0)
      return -1;
    /* Bytes not loaded stay 0. Branches, not tail[data_len & 1]: clang turns that index into
     * an OR on the stack pointer, which the verifier refuses. */
    if (data_len & 1) {
      tail[1] = bytes[0];
      tail[2] = bytes[1];
      tail[3] = bytes[2];
    } else {
      tail[0] = bytes[0];
      tail[1] = bytes[1];
      tail[2] = bytes[2];
    }
  }
  __u8 gone[8] = {hdr[0], hdr[1], hdr[2], hdr[3], tail[0], tail[1], tail[2], tail[3]};
  *sum = added ? bpf_csum_diff((__be32*)gone, sizeof gone, (__be32*)added, 4, 0)
               : bpf_csum_diff((__be32*)gone, sizeof gone, 0, 0, 0);
  return *sum < 0 ? -1 : 0;
}

/* Whether a client's ChannelData of `data_len` bytes is one the program relays exactly: the UDP
 * payload is the header and the data, padded or not (§12.5: over UDP the padding may or may not
 * be there; nothing else may follow), and nothing in unfit() holds. */
static __always_inline int channel_data_fits(struct __sk_buff* skb, const struct packet* p,
                                             __u32 data_len) {
  const __u32 padded = (data_len + 3) & ~3u;
  if (p->payload != data_len + 4 && p->payload != padded + 4) {
    count_fallback(TURND_FB_LENGTH);
    return 0;
  }
  return !unfit(skb, p, data_len);
}

/* Client -> peer: strip the ChannelData header (and any padding) and send the data on. */
static __always_inline long client_to_peer(struct __sk_buff* skb, const struct packet* p,
                                           const struct turnd_c2p_value* flow, const __u8* hdr) {
  const __u32 data_len = ((__u32)hdr[2] << 8) | hdr[3];
  if (!channel_data_fits(skb, p, data_len))
    return PASS;
  const __u32 removed = p->payload - data_len;
  const long where = route(skb, flow->egress, -(__s32)removed);
  if (where < 0)
    return PASS;

  __s64 extra = 0;
  if (removed_sum(skb, p, hdr, data_len, removed - 4, 0, &extra) < 0)
    return PASS;

  if (move_down(skb, p->l4 + 12, p->l4 + 8, data_len) < 0 ||
      bpf_skb_change_tail(skb, p->l3 + p->ip_len - removed, 0) < 0 ||
      rewrite(skb, p, flow->relay_ip, flow->peer_ip, flow->relay_port, flow->peer_port, data_len,
              extra) < 0) {
    count_fallback(TURND_FB_REWRITE);
    return TC_ACT_SHOT; /* half rewritten: it cannot go up as it was */
  }
  struct turnd_flow_stats* s = bpf_map_lookup_elem(&turnd_stats, &flow->slot);
  if (s) {
    __sync_fetch_and_add(&s->c2p_packets, 1);
    __sync_fetch_and_add(&s->c2p_bytes, data_len);
  }
  return deliver(where);
}

/* Peer -> client: prepend the ChannelData header (no padding over UDP) and send it back. */
static __always_inline long peer_to_client(struct __sk_buff* skb, const struct packet* p,
                                           const struct turnd_p2c_value* flow) {
  const __u32 data_len = p->payload;
  if (unfit(skb, p, data_len))
    return PASS;
  const long where = route(skb, flow->egress, 4);
  if (where < 0)
    return PASS;
  __u8 hdr[4];
  __builtin_memcpy(hdr, &flow->channel, 2);
  hdr[2] = (__u8)(data_len >> 8);
  hdr[3] = (__u8)data_len;
  const __s64 extra = bpf_csum_diff(0, 0, (__be32*)hdr, sizeof hdr, 0);
  if (extra < 0)
    return PASS;
  if (bpf_skb_change_tail(skb, p->l3 + p->ip_len + 4, 0) < 0) {
    count_fallback(TURND_FB_TOO_BIG); /* untouched */
    return PASS;
  }
  if (move_up(skb, p->l4 + 8, p->l4 + 12, data_len) < 0 ||
      bpf_skb_store_bytes(skb, p->l4 + 8, hdr, sizeof hdr, 0) < 0 ||
      rewrite(skb, p, flow->listener_ip, flow->client_ip, flow->listener_port, flow->client_port,
              data_len + 4, extra) < 0) {
    count_fallback(TURND_FB_REWRITE);
    return TC_ACT_SHOT;
  }
  struct turnd_flow_stats* s = bpf_map_lookup_elem(&turnd_stats, &flow->slot);
  if (s) {
    __sync_fetch_and_add(&s->p2c_packets, 1);
    __sync_fetch_and_add(&s->p2c_bytes, data_len);
  }
  return deliver(where);
}

/* Client -> one of our own relays -> that relay's client: only when the other relay's flow
 * to this relay is offloaded too (its permission live); the datagram stays ChannelData, with
 * the other flow's channel and without padding, and goes from its listener to its client. */
static __always_inline long relay_to_relay(struct __sk_buff* skb, const struct packet* p,
                                           const struct turnd_c2p_value* flow, const __u8* hdr) {
  struct turnd_p2c_key key = {};
  __builtin_memcpy(key.peer_ip, flow->relay_ip, 16);
  __builtin_memcpy(key.relay_ip, flow->peer_ip, 16);
  key.peer_port = flow->relay_port;
  key.relay_port = flow->peer_port;
  key.family = p->family;
  const struct turnd_p2c_value* to = bpf_map_lookup_elem(&turnd_p2c, &key);
  if (!to) {
    count_fallback(TURND_FB_OWN_RELAY);
    return PASS;
  }
  if (!live(to->expires_ns))
    return PASS;
  const __u32 data_len = ((__u32)hdr[2] << 8) | hdr[3];
  if (!channel_data_fits(skb, p, data_len))
    return PASS;
  const __u32 pad = p->payload - data_len - 4;
  const long where = route(skb, to->egress, -(__s32)pad);
  if (where < 0)
    return PASS;
  __u8 out[4];
  __builtin_memcpy(out, &to->channel, 2);
  out[2] = hdr[2];
  out[3] = hdr[3];
  __s64 extra = 0;
  if (removed_sum(skb, p, hdr, data_len, pad, out, &extra) < 0)
    return PASS;
  if (bpf_skb_store_bytes(skb, p->l4 + 8, out, sizeof out, 0) < 0 ||
      (pad != 0 && bpf_skb_change_tail(skb, p->l3 + p->ip_len - pad, 0) < 0) ||
      rewrite(skb, p, to->listener_ip, to->client_ip, to->listener_port, to->client_port,
              data_len + 4, extra) < 0) {
    count_fallback(TURND_FB_REWRITE);
    return TC_ACT_SHOT;
  }
  struct turnd_flow_stats* s = bpf_map_lookup_elem(&turnd_stats, &flow->slot);
  if (s) {
    __sync_fetch_and_add(&s->c2p_packets, 1);
    __sync_fetch_and_add(&s->c2p_bytes, data_len);
  }
  s = bpf_map_lookup_elem(&turnd_stats, &to->slot);
  if (s) {
    __sync_fetch_and_add(&s->p2c_packets, 1);
    __sync_fetch_and_add(&s->p2c_bytes, data_len);
  }
  return deliver(where);
}

SEC("tc")
int turnd_channel_relay(struct __sk_buff* skb) {
  struct packet p = {};
  if (parse(skb, &p) < 0)
    return PASS;
  __u8 hdr[4];
  /* RFC 8656 §12: ChannelData starts with 0b01; only then can it be a client's. */
  if (p.payload >= 4 && bpf_skb_load_bytes(skb, p.l4 + 8, hdr, 4) == 0 && (hdr[0] & 0xC0) == 0x40) {
    struct turnd_c2p_key key = {};
    __builtin_memcpy(key.client_ip, p.src, 16);
    __builtin_memcpy(key.listener_ip, p.dst, 16);
    key.client_port = p.sport;
    key.listener_port = p.dport;
    __builtin_memcpy(&key.channel, hdr, 2);
    key.family = p.family;
    const struct turnd_c2p_value* flow = bpf_map_lookup_elem(&turnd_c2p, &key);
    if (flow && live(flow->expires_ns))
      return flow->flags & TURND_FLOW_OWN_RELAY ? relay_to_relay(skb, &p, flow, hdr)
                                                 : client_to_peer(skb, &p, flow, hdr);
  }
  struct turnd_p2c_key key = {};
  __builtin_memcpy(key.peer_ip, p.src, 16);
  __builtin_memcpy(key.relay_ip, p.dst, 16);
  key.peer_port = p.sport;
  key.relay_port = p.dport;
  key.family = p.family;
  const struct turnd_p2c_value* flow = bpf_map_lookup_elem(&turnd_p2c, &key);
  if (flow && live(flow->expires_ns))
    return peer_to_client(skb, &p, flow);
  return PASS;
}
