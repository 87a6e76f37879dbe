#pragma once
// JSON string literals for the bodies the route layer writes: the shared escaper.

#include "sluice/core/json_string.h"

namespace sluice::route {

using core::append_json_string;

}  // namespace sluice::route
