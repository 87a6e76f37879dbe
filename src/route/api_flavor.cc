#include "sluice/route/api_flavor.h"

namespace sluice::route {

std::string_view flavor_name(ApiFlavor flavor) {
  switch (flavor) {
    case ApiFlavor::anthropic:
      return "anthropic";
    case ApiFlavor::gemini:
      return "gemini";
    case ApiFlavor::openai:
      break;
  }
  return "openai";
}

}  // namespace sluice::route
