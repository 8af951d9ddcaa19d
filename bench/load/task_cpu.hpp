// CPU time of this process, read from /proc/self/task/*/schedstat (ns on CPU, per thread).
//
// The generator reads it itself, at the edges of the measured window, because its sender thread
// exits as soon as the window closes: a reader outside (bench/compare.py) could miss that
// thread's time. On loopback the kernel charges the receive path of a datagram (softirq) to the
// task that sent it, so this also counts what delivering the generator's packets cost.
#pragma once

#include <cstdint>
#include <optional>

namespace load {

/// Sum over the threads alive now; nullopt when /proc cannot be read.
std::optional<std::uint64_t> process_cpu_ns();

}  // namespace load
