#pragma once
// The wire format a client speaks, which decides the shape of every error sluice
// itself writes back to it.

#include <cstdint>
#include <string_view>

#include "sluice/config/config.h"

namespace sluice::route {

enum class ApiFlavor : uint8_t { openai, anthropic, gemini };

std::string_view flavor_name(ApiFlavor flavor);  // "openai", "anthropic", "gemini"

// The three provider kinds and the three flavors correspond one to one.
constexpr ApiFlavor flavor_of(config::ProviderKind kind) {
  switch (kind) {
    case config::ProviderKind::anthropic:
      return ApiFlavor::anthropic;
    case config::ProviderKind::gemini:
      return ApiFlavor::gemini;
    case config::ProviderKind::openai:
      break;
  }
  return ApiFlavor::openai;
}

constexpr config::ProviderKind provider_kind_of(ApiFlavor flavor) {
  switch (flavor) {
    case ApiFlavor::anthropic:
      return config::ProviderKind::anthropic;
    case ApiFlavor::gemini:
      return config::ProviderKind::gemini;
    case ApiFlavor::openai:
      break;
  }
  return config::ProviderKind::openai;
}

}  // namespace sluice::route
