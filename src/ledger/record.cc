#include "sluice/ledger/record.h"

namespace sluice::ledger {

std::string_view to_text(Outcome outcome) {
  switch (outcome) {
    case Outcome::ok:
      return "ok";
    case Outcome::rejected:
      return "rejected";
    case Outcome::upstream_error:
      return "upstream_error";
    case Outcome::client_cancelled:
      return "client_cancelled";
    case Outcome::cut_off:
      return "cut_off";
    case Outcome::timeout:
      return "timeout";
  }
  return "ok";
}

std::string_view to_text(UsageSource source) {
  switch (source) {
    case UsageSource::provider:
      return "provider";
    case UsageSource::estimated:
      return "estimated";
  }
  return "provider";
}

std::optional<Outcome> parse_outcome(std::string_view text) {
  for (Outcome o : {Outcome::ok, Outcome::rejected, Outcome::upstream_error,
                    Outcome::client_cancelled, Outcome::cut_off, Outcome::timeout}) {
    if (to_text(o) == text) return o;
  }
  return std::nullopt;
}

std::optional<UsageSource> parse_usage_source(std::string_view text) {
  for (UsageSource s : {UsageSource::provider, UsageSource::estimated}) {
    if (to_text(s) == text) return s;
  }
  return std::nullopt;
}

}  // namespace sluice::ledger
