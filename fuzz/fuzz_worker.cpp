// libFuzzer target: the whole request path of one worker (ingress, ban and rate checks,
// dispatcher, authentication, every handler, the allocation table, the relay path both ways,
// TCP framing and RFC 6062 requests), fed by a sequence of datagrams, signed requests, stream
// bytes and peer datagrams from a handful of sources (worker_records.hpp), over real loopback
// sockets. Any crash, sanitizer report or leak is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "util/log.hpp"
#include "worker_harness.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  turn::log::set_level(turn::log::Level::kError);  // the allocation lines would drown the output
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto records = fuzz_worker::parse_records({data, size});
  if (records.size() > 64)
    return 0;  // bound the work (and sockets) one input may cost
  fuzz_worker::Harness harness;
  for (const auto& r : records)
    harness.apply(r);
  return 0;
}
