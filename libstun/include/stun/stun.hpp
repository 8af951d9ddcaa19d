// Umbrella header for libstun.
#pragma once

#include "stun/address.hpp"
#include "stun/attributes.hpp"
#include "stun/builder.hpp"
#include "stun/bytes.hpp"
#include "stun/channel_data.hpp"
#include "stun/demux.hpp"
#include "stun/error_codes.hpp"
#include "stun/errors.hpp"
#include "stun/fingerprint.hpp"
#include "stun/framing.hpp"
#include "stun/integrity.hpp"
#include "stun/long_term_credentials.hpp"
#include "stun/message_view.hpp"
#include "stun/types.hpp"
