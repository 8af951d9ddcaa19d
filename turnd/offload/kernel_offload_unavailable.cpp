// KernelOffload in a build without libbpf or clang's BPF target: open() says so, and turnd
// relays every packet in user space.
#include "offload/kernel_offload.hpp"

namespace turn {

struct KernelOffload::Impl {};

KernelOffload::KernelOffload(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KernelOffload::~KernelOffload() = default;

std::unique_ptr<KernelOffload> KernelOffload::open(const std::vector<int>&, std::string& error) {
  error = "turnd was built without libbpf and clang's BPF target";
  return nullptr;
}

std::uint32_t KernelOffload::install(const OffloadFlow&) {
  return 0;
}
void KernelOffload::extend(std::uint32_t, std::uint64_t) {}
FlowCounters KernelOffload::remove(std::uint32_t) {
  return {};
}
FlowCounters KernelOffload::counters(std::uint32_t) const {
  return {};
}
std::array<std::uint64_t, KernelOffload::kFallbackReasons> KernelOffload::fallbacks() const {
  return {};
}
std::size_t KernelOffload::flows() const {
  return 0;
}
const std::vector<int>& KernelOffload::devices() const {
  static const std::vector<int> none;
  return none;
}

}  // namespace turn
