#include "offload/kernel_offload.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "offload/bpf/flow_maps.h"
#include "offload/channel_relay_object.hpp"
#include "offload/route_lookup.hpp"

namespace turn {
namespace {

static_assert(KernelOffload::kFallbackReasons == TURND_FB_COUNT);

void copy_ip(__u8 (&to)[16], const stun::SocketAddress& a) {
  std::memset(to, 0, sizeof to);
  std::memcpy(to, a.ip.data(), a.ip_size());
}

__u8 family_of(const stun::SocketAddress& a) {
  return a.is_v4() ? 4 : 6;
}

std::uint64_t to_ns(std::uint64_t ms) {
  return ms * 1'000'000;
}

/// libbpf prints to stderr by default; its messages become the reason open() returns instead.
int quiet(enum libbpf_print_level, const char*, va_list) {
  return 0;
}

std::string errno_text(int error) {
  return std::strerror(error < 0 ? -error : error);
}

}  // namespace

struct KernelOffload::Impl {
  struct Attached {
    bpf_tc_hook hook{};
    bpf_tc_opts opts{};
  };
  struct Slot {
    bool used = false;
    turnd_c2p_key c2p_key{};
    turnd_p2c_key p2c_key{};
    turnd_c2p_value c2p{};
    turnd_p2c_value p2c{};
  };

  bpf_object* object = nullptr;
  int c2p_fd = -1;
  int p2c_fd = -1;
  int stats_fd = -1;
  int fallbacks_fd = -1;
  turnd_flow_stats* stats = nullptr;  ///< the mmap of turnd_stats
  std::size_t stats_bytes = 0;
  std::vector<Attached> attached;
  std::vector<int> devices;

  mutable std::mutex mu;
  std::vector<Slot> slots = std::vector<Slot>(TURND_MAX_FLOWS);  ///< slot 0 unused: handle 0
  std::vector<std::uint32_t> free_slots;
  std::size_t used = 0;

  ~Impl() {
    // Empty maps first: should detaching fail (no CAP_NET_ADMIN after proc-user), the program
    // left behind relays nothing.
    for (std::uint32_t i = 1; i < slots.size(); ++i) {
      if (slots[i].used) {
        bpf_map_delete_elem(c2p_fd, &slots[i].c2p_key);
        bpf_map_delete_elem(p2c_fd, &slots[i].p2c_key);
      }
    }
    for (Attached& a : attached) {
      bpf_tc_opts detach{};
      detach.sz = sizeof detach;
      detach.handle = a.opts.handle;
      detach.priority = a.opts.priority;
      bpf_tc_detach(&a.hook, &detach);
    }
    if (stats != nullptr)
      ::munmap(stats, stats_bytes);
    if (object != nullptr)
      bpf_object__close(object);
  }

  FlowCounters read(std::uint32_t slot) const {
    const turnd_flow_stats& s = stats[slot];
    auto load = [](const __u64& v) {
      return std::atomic_ref<const __u64>(v).load(std::memory_order_relaxed);
    };
    return {load(s.c2p_packets), load(s.c2p_bytes), load(s.p2c_packets), load(s.p2c_bytes)};
  }
};

KernelOffload::KernelOffload(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KernelOffload::~KernelOffload() = default;

std::unique_ptr<KernelOffload> KernelOffload::open(const std::vector<int>& ifindexes,
                                                   std::string& error) {
  libbpf_set_print(quiet);
  auto impl = std::make_unique<Impl>();
  const stun::Bytes image = channel_relay_object();
  // Not LIBBPF_OPTS: a GNU statement expression, which clang's -Wpedantic refuses.
  bpf_object_open_opts open_opts{};
  open_opts.sz = sizeof open_opts;
  open_opts.object_name = "turnd_channel_relay";
  impl->object = bpf_object__open_mem(image.data(), image.size(), &open_opts);
  if (impl->object == nullptr) {
    error = "cannot open the BPF object: " + errno_text(errno);
    return nullptr;
  }
  if (const int rc = bpf_object__load(impl->object); rc != 0) {
    error = "the kernel refused the BPF program (" + errno_text(rc) +
            "; needs CAP_BPF and CAP_NET_ADMIN)";
    return nullptr;
  }
  auto map_fd = [&](const char* name) {
    const bpf_map* m = bpf_object__find_map_by_name(impl->object, name);
    return m == nullptr ? -1 : bpf_map__fd(m);
  };
  impl->c2p_fd = map_fd("turnd_c2p");
  impl->p2c_fd = map_fd("turnd_p2c");
  impl->stats_fd = map_fd("turnd_stats");
  impl->fallbacks_fd = map_fd("turnd_fallbacks");
  const bpf_program* program =
      bpf_object__find_program_by_name(impl->object, "turnd_channel_relay");
  if (impl->c2p_fd < 0 || impl->p2c_fd < 0 || impl->stats_fd < 0 || impl->fallbacks_fd < 0 ||
      program == nullptr) {
    error = "the BPF object lacks its maps or program";
    return nullptr;
  }
  impl->stats_bytes = sizeof(turnd_flow_stats) * TURND_MAX_FLOWS;
  void* stats =
      ::mmap(nullptr, impl->stats_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, impl->stats_fd, 0);
  if (stats == MAP_FAILED) {
    error = "cannot map the flow counters: " + errno_text(errno);
    return nullptr;
  }
  impl->stats = static_cast<turnd_flow_stats*>(stats);
  for (const int ifindex : ifindexes) {
    Impl::Attached a;
    a.hook.sz = sizeof a.hook;
    a.hook.ifindex = ifindex;
    a.hook.attach_point = BPF_TC_INGRESS;
    // The clsact qdisc may be there already (another turnd, another tool): it is shared and
    // left in place; only this program's filter is removed at the end.
    if (const int rc = bpf_tc_hook_create(&a.hook); rc != 0 && rc != -EEXIST) {
      error =
          "cannot add a clsact qdisc to device " + std::to_string(ifindex) + ": " + errno_text(rc);
      return nullptr;
    }
    a.opts.sz = sizeof a.opts;
    a.opts.prog_fd = bpf_program__fd(program);
    if (const int rc = bpf_tc_attach(&a.hook, &a.opts); rc != 0) {
      error = "cannot attach to TC ingress of device " + std::to_string(ifindex) + ": " +
              errno_text(rc);
      return nullptr;
    }
    impl->attached.push_back(a);
    impl->devices.push_back(ifindex);
  }
  impl->free_slots.reserve(TURND_MAX_FLOWS - 1);
  for (std::uint32_t i = TURND_MAX_FLOWS - 1; i >= 1; --i)
    impl->free_slots.push_back(i);
  return std::unique_ptr<KernelOffload>(new KernelOffload(std::move(impl)));
}

std::uint32_t KernelOffload::install(const OffloadFlow& flow) {
  // Where each direction leaves, as the kernel routes it now (a route that changes later keeps
  // the old device until the flow is installed again).
  const auto to_peer = route_to(flow.relay, flow.peer);
  const auto to_client = route_to(flow.listener, flow.client);
  if (!to_peer || !to_client)
    return 0;
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  if (m.free_slots.empty())
    return 0;
  const std::uint32_t slot = m.free_slots.back();
  Impl::Slot& s = m.slots[slot];
  s = {};
  copy_ip(s.c2p_key.client_ip, flow.client);
  copy_ip(s.c2p_key.listener_ip, flow.listener);
  s.c2p_key.client_port = htons(flow.client.port);
  s.c2p_key.listener_port = htons(flow.listener.port);
  s.c2p_key.channel = htons(flow.channel);
  s.c2p_key.family = family_of(flow.client);
  copy_ip(s.c2p.relay_ip, flow.relay);
  copy_ip(s.c2p.peer_ip, flow.peer);
  s.c2p.relay_port = htons(flow.relay.port);
  s.c2p.peer_port = htons(flow.peer.port);
  s.c2p.slot = slot;
  s.c2p.egress = to_peer->local ? 0 : static_cast<__u32>(to_peer->ifindex);
  s.c2p.flags = flow.own_relay ? TURND_FLOW_OWN_RELAY : 0;
  s.c2p.expires_ns = to_ns(flow.expires_ms);

  copy_ip(s.p2c_key.peer_ip, flow.peer);
  copy_ip(s.p2c_key.relay_ip, flow.relay);
  s.p2c_key.peer_port = htons(flow.peer.port);
  s.p2c_key.relay_port = htons(flow.relay.port);
  s.p2c_key.family = family_of(flow.peer);
  copy_ip(s.p2c.client_ip, flow.client);
  copy_ip(s.p2c.listener_ip, flow.listener);
  s.p2c.client_port = htons(flow.client.port);
  s.p2c.listener_port = htons(flow.listener.port);
  s.p2c.channel = htons(flow.channel);
  s.p2c.slot = slot;
  s.p2c.egress = to_client->local ? 0 : static_cast<__u32>(to_client->ifindex);
  s.p2c.expires_ns = s.c2p.expires_ns;

  // The slot's counters start from zero before any packet can reach it.
  turnd_flow_stats& counters = m.stats[slot];
  for (__u64* v :
       {&counters.c2p_packets, &counters.c2p_bytes, &counters.p2c_packets, &counters.p2c_bytes})
    std::atomic_ref<__u64>(*v).store(0, std::memory_order_relaxed);
  if (bpf_map_update_elem(m.c2p_fd, &s.c2p_key, &s.c2p, BPF_ANY) != 0)
    return 0;
  if (bpf_map_update_elem(m.p2c_fd, &s.p2c_key, &s.p2c, BPF_ANY) != 0) {
    bpf_map_delete_elem(m.c2p_fd, &s.c2p_key);
    return 0;
  }
  s.used = true;
  m.free_slots.pop_back();
  ++m.used;
  return slot;
}

void KernelOffload::extend(std::uint32_t handle, std::uint64_t expires_ms) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  if (handle == 0 || handle >= m.slots.size() || !m.slots[handle].used)
    return;
  Impl::Slot& s = m.slots[handle];
  s.c2p.expires_ns = s.p2c.expires_ns = to_ns(expires_ms);
  bpf_map_update_elem(m.c2p_fd, &s.c2p_key, &s.c2p, BPF_EXIST);
  bpf_map_update_elem(m.p2c_fd, &s.p2c_key, &s.p2c, BPF_EXIST);
}

FlowCounters KernelOffload::remove(std::uint32_t handle) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  if (handle == 0 || handle >= m.slots.size() || !m.slots[handle].used)
    return {};
  Impl::Slot& s = m.slots[handle];
  bpf_map_delete_elem(m.c2p_fd, &s.c2p_key);
  bpf_map_delete_elem(m.p2c_fd, &s.p2c_key);
  s.used = false;
  m.free_slots.push_back(handle);
  --m.used;
  return m.read(handle);  // after the delete: nothing new starts counting into it
}

FlowCounters KernelOffload::counters(std::uint32_t handle) const {
  if (handle == 0 || handle >= TURND_MAX_FLOWS)
    return {};
  return impl_->read(handle);
}

std::array<std::uint64_t, KernelOffload::kFallbackReasons> KernelOffload::fallbacks() const {
  std::array<std::uint64_t, kFallbackReasons> out{};
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0)
    return out;
  std::vector<__u64> per_cpu(static_cast<std::size_t>(cpus));
  for (__u32 reason = 0; reason < kFallbackReasons; ++reason) {
    if (bpf_map_lookup_elem(impl_->fallbacks_fd, &reason, per_cpu.data()) == 0) {
      for (const __u64 v : per_cpu)
        out[reason] += v;
    }
  }
  return out;
}

std::size_t KernelOffload::flows() const {
  std::lock_guard lock(impl_->mu);
  return impl_->used;
}

const std::vector<int>& KernelOffload::devices() const {
  return impl_->devices;
}

}  // namespace turn
