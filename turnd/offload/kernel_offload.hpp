// The kernel fast path (offload/bpf/channel_relay.bpf.c): loads the TC program, attaches it at
// ingress of the devices that carry turnd's addresses, and keeps its flow maps. One per process,
// shared by the workers (map updates are system calls; a mutex guards the handle table). Built
// without libbpf or clang's BPF target, open() says so and turnd relays in user space.
//
// Needs CAP_BPF and CAP_NET_ADMIN (or root) to open; the maps stay usable after proc-user drops
// privileges, since they are reached through file descriptors. Detaching needs CAP_NET_ADMIN
// again: without it the program is left attached with empty maps, so it relays nothing.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "alloc/flow_offload.hpp"
#include "stun/address.hpp"

namespace turn {

class KernelOffload final : public FlowOffload {
 public:
  /// Why packets of offloaded flows went up to user space (flow_maps.h's turnd_fallback; the
  /// metrics name them, metrics_source.hpp).
  static constexpr std::size_t kFallbackReasons = 9;

  /// Loads the program and attaches it at TC ingress of each device in `ifindexes`; null with
  /// the reason in `error` when the build, the kernel or the privileges do not allow it.
  static std::unique_ptr<KernelOffload> open(const std::vector<int>& ifindexes, std::string& error);
  ~KernelOffload() override;
  KernelOffload(const KernelOffload&) = delete;
  KernelOffload& operator=(const KernelOffload&) = delete;

  std::uint32_t install(const OffloadFlow& flow) override;
  void extend(std::uint32_t handle, std::uint64_t expires_ms) override;
  FlowCounters remove(std::uint32_t handle) override;
  FlowCounters counters(std::uint32_t handle) const override;

  /// Summed over CPUs, by reason.
  std::array<std::uint64_t, kFallbackReasons> fallbacks() const;
  std::size_t flows() const;
  const std::vector<int>& devices() const;

  struct Impl;

 private:
  explicit KernelOffload(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The devices (ifindex) that carry `addresses`: for a wildcard address every device with an
/// address of its family; lo whenever one is a loopback address.
std::vector<int> offload_devices(const std::vector<stun::SocketAddress>& addresses);

}  // namespace turn
