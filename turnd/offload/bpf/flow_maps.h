/* The maps shared by the TC program (channel_relay.bpf.c) and turnd (offload/kernel_offload.cpp):
 * one layout, included by both, so neither can drift from the other. Plain C, UAPI types only.
 *
 * A flow is one bound channel (RFC 8656 §12) of a UDP client to a permitted UDP peer. Addresses
 * are 16 bytes: IPv6 as is, IPv4 in the first 4 bytes and zeros after, with `family` 4 or 6.
 * Ports and the channel number are in network order, as on the wire. The egress device is
 * turnd's route lookup at install time: bpf_fib_lookup refuses to answer where forwarding is off
 * (FWD_DISABLED), which a relay host need not turn on. turnd removes a flow the
 * moment user space would stop relaying it; `expires_ns` is the kernel's own bound on top, so
 * flows of a turnd that died without removing them stop at the latest when their permission
 * would have ended. */
#ifndef TURND_OFFLOAD_FLOW_MAPS_H
#define TURND_OFFLOAD_FLOW_MAPS_H

#include <linux/types.h>

#define TURND_MAX_FLOWS 65536

/* Client -> peer: what a ChannelData datagram to a listener is looked up by. */
struct turnd_c2p_key {
  __u8 client_ip[16];
  __u8 listener_ip[16];
  __be16 client_port;
  __be16 listener_port;
  __be16 channel;
  __u8 family;
  __u8 pad;
};

struct turnd_c2p_value {
  __u8 relay_ip[16];
  __u8 peer_ip[16];
  __be16 relay_port;
  __be16 peer_port;
  __u32 slot;        /* index into turnd_flow_stats */
  __u32 egress;      /* the device towards the peer, or 0: this host (only from lo) */
  __u32 flags;       /* TURND_FLOW_* */
  __u64 expires_ns;  /* CLOCK_MONOTONIC: the earliest end of channel, permission, allocation */
};

/* The peer is another relay of this turnd (two clients of one server calling each other). Its
 * data is never handed to that port, which may belong to anyone once its allocation ends: it is
 * relayed in one pass to the client of that relay's own flow to this relay, or goes up to user
 * space, which re-checks the relay per packet. */
#define TURND_FLOW_OWN_RELAY 1u

/* Peer -> client: what a datagram to a relay port is looked up by. */
struct turnd_p2c_key {
  __u8 peer_ip[16];
  __u8 relay_ip[16];
  __be16 peer_port;
  __be16 relay_port;
  __u8 family;
  __u8 pad[3];
};

struct turnd_p2c_value {
  __u8 client_ip[16];
  __u8 listener_ip[16];
  __be16 client_port;
  __be16 listener_port;
  __be16 channel;
  __u16 pad;
  __u32 slot;
  __u32 egress; /* the device towards the client, or 0: this host (only from lo) */
  __u64 expires_ns;
};

/* Per flow, added to atomically by the program and read by turnd through mmap. Bytes are
 * payload bytes (the ChannelData data), as turnd's own counters count them. */
struct turnd_flow_stats {
  __u64 c2p_packets;
  __u64 c2p_bytes;
  __u64 p2c_packets;
  __u64 p2c_bytes;
};

/* Why a packet of an offloaded flow went up to user space instead (per-CPU counters). */
enum turnd_fallback {
  TURND_FB_FRAGMENT = 0,  /* an IP fragment */
  TURND_FB_IP_OPTIONS,    /* IPv4 options */
  TURND_FB_GSO,           /* a GSO super-packet (a UDP_SEGMENT burst on lo) */
  TURND_FB_LENGTH,        /* ChannelData length disagrees with the UDP length */
  TURND_FB_TOO_BIG,       /* more than the program moves, or past the egress MTU */
  TURND_FB_ROUTE,         /* no route, or a local peer not on lo */
  TURND_FB_REWRITE,       /* a helper refused half-way: the packet is dropped */
  TURND_FB_EXPIRED,       /* past expires_ns: turnd did not remove the flow in time */
  TURND_FB_OWN_RELAY,     /* to one of turnd's relays whose own side is not offloaded */
  TURND_FB_COUNT
};

#endif
