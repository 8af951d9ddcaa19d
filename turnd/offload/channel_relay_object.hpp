// The compiled TC program (offload/bpf/channel_relay.bpf.c, clang -target bpf), embedded in
// the binary at build time so turnd needs no file at run time.
#pragma once

#include "stun/bytes.hpp"

namespace turn {

stun::Bytes channel_relay_object();

}  // namespace turn
