#include "fault.h"

#include <charconv>

namespace sluice::mock {
namespace {

bool parse_number(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && out >= 0;
}

bool set_kind(FaultSpec& out, FaultSpec::Kind k, std::string_view item, std::string& error) {
  if (out.kind != FaultSpec::Kind::none) {
    error = "fault spec names more than one fault (at '" + std::string(item) + "')";
    return false;
  }
  out.kind = k;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool parse_fault(std::string_view text, FaultSpec& out, std::string& error) {
  out = FaultSpec{};
  bool drip_ms_given = false;
  text = trim(text);
  if (text.empty() || text == "none") return true;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    size_t eq = item.find('=');
    std::string_view key = item.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    bool has_value = eq != std::string_view::npos;
    int64_t n = 0;
    bool numeric = has_value && parse_number(value, n);
    if (key == "code" && has_value && !value.empty()) {
      out.code = std::string(value);
      continue;
    }
    if (!has_value) {
      if (key == "hang") {
        if (!set_kind(out, FaultSpec::Kind::hang, item, error)) return false;
      } else if (key == "refuse") {
        if (!set_kind(out, FaultSpec::Kind::refuse, item, error)) return false;
      } else if (key == "drip") {
        if (!set_kind(out, FaultSpec::Kind::drip, item, error)) return false;
      } else {
        error = "unknown fault '" + std::string(item) + "'";
        return false;
      }
      continue;
    }
    if (!numeric) {
      error = "fault '" + std::string(key) + "' needs a non-negative integer, got '" +
              std::string(value) + "'";
      return false;
    }
    if (key == "status") {
      if (n < 100 || n > 599) {
        error = "fault status must be 100..599";
        return false;
      }
      if (!set_kind(out, FaultSpec::Kind::status, item, error)) return false;
      out.status = static_cast<int>(n);
    } else if (key == "retry_after") {
      out.retry_after_s = n;
    } else if (key == "retry_after_ms") {
      out.retry_after_ms = n;
    } else if (key == "should_retry") {
      if (n > 1) {
        error = "should_retry must be 0 or 1";
        return false;
      }
      out.should_retry = static_cast<int>(n);
    } else if (key == "drop_after" || key == "stall_after") {
      if (!set_kind(out, key == "drop_after" ? FaultSpec::Kind::drop : FaultSpec::Kind::stall, item,
                    error))
        return false;
      out.after_events = n > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(n);
    } else if (key == "drip_ms") {
      if (n < 1 || n > 60000) {
        error = "drip_ms must be 1..60000";
        return false;
      }
      out.drip_ms = static_cast<uint32_t>(n);
      drip_ms_given = true;
    } else {
      error = "unknown fault parameter '" + std::string(key) + "'";
      return false;
    }
  }
  if (drip_ms_given && out.kind == FaultSpec::Kind::none) out.kind = FaultSpec::Kind::drip;
  if (out.kind == FaultSpec::Kind::none) {
    error = "fault spec names no fault (status=, hang, drop_after=, stall_after=, drip, refuse)";
    return false;
  }
  if (drip_ms_given && out.kind != FaultSpec::Kind::drip) {
    error = "drip_ms goes with drip";
    return false;
  }
  if ((out.retry_after_s >= 0 || out.retry_after_ms >= 0 || !out.code.empty() ||
       out.should_retry >= 0) &&
      out.kind != FaultSpec::Kind::status) {
    error = "retry_after, retry_after_ms, code and should_retry go with status=";
    return false;
  }
  return true;
}

std::string_view fault_name(FaultSpec::Kind k) {
  switch (k) {
    case FaultSpec::Kind::none:
      return "none";
    case FaultSpec::Kind::status:
      return "status";
    case FaultSpec::Kind::hang:
      return "hang";
    case FaultSpec::Kind::drop:
      return "drop";
    case FaultSpec::Kind::stall:
      return "stall";
    case FaultSpec::Kind::drip:
      return "drip";
    case FaultSpec::Kind::refuse:
      return "refuse";
  }
  return "none";
}

bool parse_fault_schedule(std::string_view text, std::vector<FaultScheduleEntry>& out,
                          std::string& error) {
  out.clear();
  while (!text.empty()) {
    size_t semi = text.find(';');
    std::string_view item = trim(text.substr(0, semi));
    text = semi == std::string_view::npos ? std::string_view{} : text.substr(semi + 1);
    if (item.empty()) continue;
    size_t colon = item.find(':');
    if (colon == std::string_view::npos) {
      error = "schedule entry '" + std::string(item) + "' is not N:SPEC or N-M:SPEC";
      return false;
    }
    std::string_view range = trim(item.substr(0, colon));
    size_t dash = range.find('-');
    FaultScheduleEntry e;
    int64_t from = 0, to = 0;
    if (!parse_number(range.substr(0, dash), from) ||
        (dash != std::string_view::npos && !parse_number(range.substr(dash + 1), to)) || from < 1) {
      error = "schedule range '" + std::string(range) + "' must be N or N-M, counted from 1";
      return false;
    }
    if (dash == std::string_view::npos) to = from;
    if (to < from) {
      error = "schedule range '" + std::string(range) + "' ends before it starts";
      return false;
    }
    e.from = static_cast<uint64_t>(from);
    e.to = static_cast<uint64_t>(to);
    if (!parse_fault(item.substr(colon + 1), e.spec, error)) {
      error = "schedule entry '" + std::string(item) + "': " + error;
      return false;
    }
    out.push_back(std::move(e));
  }
  if (out.empty()) {
    error = "fault schedule is empty";
    return false;
  }
  return true;
}

const FaultSpec* scheduled_fault(const std::vector<FaultScheduleEntry>& schedule,
                                 uint64_t sequence) {
  for (const FaultScheduleEntry& e : schedule)
    if (sequence >= e.from && sequence <= e.to) return &e.spec;
  return nullptr;
}

uint64_t FaultKeys::next(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = counts_.find(key);
  if (it == counts_.end()) it = counts_.emplace(std::string(key), 0).first;
  return ++it->second;
}

std::string FaultKeys::json() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out = "{";
  for (const auto& [key, n] : counts_) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : key)  // keys are test-chosen tokens; drop what JSON would need escaped
      if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20) out += c;
    out += "\":" + std::to_string(n);
  }
  out += '}';
  return out;
}

bool fault_applies(uint64_t sequence, double rate) {
  if (rate >= 1.0) return true;
  if (rate <= 0.0) return false;
  // splitmix64: well spread bits from a counter, no state to share.
  uint64_t z = sequence + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53 < rate;
}

}  // namespace sluice::mock
