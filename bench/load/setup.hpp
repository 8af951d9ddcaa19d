// Setup: brings every client from nothing to "ready" (allocation plus channel or permission), a
// bounded number at a time so that the server is never flooded with handshakes, all on one
// thread with epoll. The same driver releases the allocations at the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "client.hpp"
#include "options.hpp"

namespace load {

struct SetupResult {
  std::size_t ready = 0;
  std::size_t failed = 0;
  std::string first_error;  ///< the first failure's reason, for stderr
};

/// Opens each client's connection and, unless `signalling` is false (floor mode), runs its
/// session until it is ready or has failed. Gives up on everyone still pending when the server
/// has answered nothing at all for a few seconds (the server is down).
SetupResult run_setup(std::vector<Client>& clients, const Options& options, bool signalling,
                      std::size_t concurrency);

/// Deletes the allocations of the ready clients (Refresh LIFETIME 0 over UDP; over TCP closing
/// the connection does it, RFC 8656 §2.1), within `budget_ns`. Counts are of released ones.
SetupResult run_release(std::vector<Client>& clients, const Options& options,
                        std::size_t concurrency, std::uint64_t budget_ns);

}  // namespace load
