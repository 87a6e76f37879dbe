// What `sluice ledger export` writes, and how it reads its time arguments. No I/O here:
// these are pure functions so tests and the fuzz target reach every branch.

#include <cctype>
#include <charconv>

#include "sluice/cli/ledger_export.h"
#include "sluice/core/money.h"
#include "sluice/route/json_string.h"

namespace sluice::cli {
namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Reads exactly `n` digits at `pos`.
bool digits(std::string_view s, size_t& pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += n;
  out = v;
  return true;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (eras of 400 years).
int64_t days_since_epoch(int y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool is_integer(std::string_view v) {
  if (!v.empty() && v[0] == '-') v.remove_prefix(1);
  return all_digits(v) && v.size() <= 19 && (v.size() == 1 || v[0] != '0');
}

}  // namespace

bool parse_time_ms(std::string_view s, int64_t& out, std::string& error) {
  auto bad = [&](const char* why) {
    error = "bad time \"" + std::string(s.substr(0, 64)) + "\": " + why +
            " (Unix milliseconds, or UTC like 2026-12-01 or 2026-12-01T10:00:00Z)";
    return false;
  };
  if (all_digits(s)) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || end != s.data() + s.size()) return bad("too large");
    return true;
  }
  size_t pos = 0;
  int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0;
  if (!digits(s, pos, 4, y) || pos >= s.size() || s[pos++] != '-' || !digits(s, pos, 2, mo) ||
      pos >= s.size() || s[pos++] != '-' || !digits(s, pos, 2, d))
    return bad("not a date");
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) return bad("no such date");
  int64_t offset_min = 0;
  if (pos < s.size()) {
    char sep = s[pos++];
    if (sep != 'T' && sep != 't' && sep != ' ') return bad("expected T between date and time");
    if (!digits(s, pos, 2, h) || pos >= s.size() || s[pos++] != ':' || !digits(s, pos, 2, mi))
      return bad("expected HH:MM after the date");
    if (pos < s.size() && s[pos] == ':') {
      ++pos;
      if (!digits(s, pos, 2, sec)) return bad("expected SS after HH:MM:");
      if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        ++pos;
        size_t start = pos;
        int scale = 100;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          ms += (s[pos] - '0') * scale;  // digits past the third are dropped
          scale /= 10;
          ++pos;
        }
        if (pos == start || pos - start > 9) return bad("expected 1 to 9 digits of a second");
      }
    }
    if (h > 23 || mi > 59 || sec > 59) return bad("no such time of day");
    if (pos < s.size()) {
      char z = s[pos++];
      if (z == 'Z' || z == 'z') {
        // UTC
      } else if (z == '+' || z == '-') {
        int oh, om;
        if (!digits(s, pos, 2, oh) || pos >= s.size() || s[pos++] != ':' ||
            !digits(s, pos, 2, om) || oh > 23 || om > 59)
          return bad("expected an offset like +02:00");
        offset_min = (z == '+' ? 1 : -1) * (oh * 60 + om);
      } else {
        return bad("unexpected text after the time");
      }
    }
  }
  if (pos != s.size()) return bad("unexpected text at the end");
  int64_t seconds = days_since_epoch(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
  out = seconds * 1000 + ms;
  return true;
}

std::string parse_export_args(const std::vector<std::string_view>& args, ExportOptions& out) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    std::string_view value;
    std::string_view name = a;
    bool inline_value = false;
    if (size_t eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string_view::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      inline_value = true;
    }
    if (name == "--help" || name == "-h") {
      out.help = true;
      continue;
    }
    if (name != "--from" && name != "--to" && name != "--format" && name != "--config" &&
        name != "-c" && name != "--output" && name != "-o")
      return "unknown argument: " + std::string(a.substr(0, 64));
    if (!inline_value) {
      if (i + 1 >= args.size()) return std::string(name) + " needs a value";
      value = args[++i];
    }
    std::string error;
    if (name == "--from" || name == "--to") {
      int64_t& slot = name == "--from" ? out.from_ms : out.to_ms;
      if (!parse_time_ms(value, slot, error)) return std::string(name) + ": " + error;
    } else if (name == "--format") {
      if (value == "csv")
        out.format = ExportFormat::csv;
      else if (value == "jsonl")
        out.format = ExportFormat::jsonl;
      else
        return "--format must be csv or jsonl, not \"" + std::string(value.substr(0, 64)) + "\"";
    } else if (name == "--config" || name == "-c") {
      if (value.empty()) return "--config needs a file";
      out.config_path = value;
    } else {
      if (value.empty()) return "--output needs a file";
      out.output = value;
    }
  }
  if (out.from_ms >= out.to_ms) return "--from must be before --to";
  return {};
}

const std::vector<Column>& export_columns() {
  static const std::vector<Column> kColumns = {
      {"request_id", ColumnKind::text},
      {"ts_ms", ColumnKind::integer},
      {"key_id", ColumnKind::text},
      {"project", ColumnKind::text},
      {"model", ColumnKind::text},
      {"provider", ColumnKind::text},
      {"upstream_model", ColumnKind::text},
      {"stream", ColumnKind::integer},
      {"status", ColumnKind::integer},
      {"outcome", ColumnKind::text},
      {"input_tokens", ColumnKind::integer},
      {"output_tokens", ColumnKind::integer},
      {"cached_tokens", ColumnKind::integer},
      {"reasoning_tokens", ColumnKind::integer},
      {"usage_source", ColumnKind::text},
      {"cost_usd", ColumnKind::usd},
      {"cost_nusd", ColumnKind::integer},
      {"latency_ms", ColumnKind::integer},
      {"ttft_ms", ColumnKind::nullable_int},
      {"attempts", ColumnKind::integer},
      {"error_class", ColumnKind::text},
      {"upstream_request_id", ColumnKind::text},
      {"overhead_us", ColumnKind::nullable_int},
      {"instance", ColumnKind::text},
  };
  return kColumns;
}

std::string select_list() {
  std::string out;
  for (const Column& c : export_columns()) {
    if (c.kind == ColumnKind::usd) continue;
    if (!out.empty()) out += ", ";
    out += c.name;
  }
  return out;
}

void append_csv_field(std::string& out, std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void append_header(std::string& out, ExportFormat format) {
  if (format != ExportFormat::csv) return;
  bool first = true;
  for (const Column& c : export_columns()) {
    if (!first) out += ',';
    first = false;
    out += c.name;
  }
  out += "\r\n";
}

void append_row(std::string& out, ExportFormat format, const Row& row) {
  const std::vector<Column>& columns = export_columns();
  // The value read for cost_nusd, for cost_usd.
  std::optional<std::string> nusd;
  for (size_t i = 0, read = 0; i < columns.size(); ++i) {
    if (columns[i].kind == ColumnKind::usd) continue;
    if (std::string_view(columns[i].name) == "cost_nusd" && read < row.size()) nusd = row[read];
    ++read;
  }
  std::optional<std::string> usd;
  int64_t nano = 0;
  if (nusd && is_integer(*nusd)) {
    auto [end, ec] = std::from_chars(nusd->data(), nusd->data() + nusd->size(), nano);
    if (ec == std::errc() && end == nusd->data() + nusd->size()) usd = money::format_nano(nano);
  }

  if (format == ExportFormat::jsonl) out += '{';
  for (size_t i = 0, read = 0; i < columns.size(); ++i) {
    const Column& c = columns[i];
    const std::optional<std::string>* value = &usd;
    std::optional<std::string> missing;
    if (c.kind != ColumnKind::usd) value = read < row.size() ? &row[read++] : &missing;
    if (format == ExportFormat::csv) {
      if (i) out += ',';
      if (*value) append_csv_field(out, **value);
      continue;
    }
    if (i) out += ',';
    out += '"';
    out += c.name;
    out += "\":";
    if (!*value) {
      out += "null";
    } else if (c.kind == ColumnKind::usd) {
      out += **value;  // format_nano: valid JSON number text, exact
    } else if (c.kind == ColumnKind::text || !is_integer(**value)) {
      // A number column holding something else (SQLite stores what it is given) stays
      // visible as a string rather than making the line invalid JSON.
      route::append_json_string(out, **value);
    } else {
      out += **value;
    }
  }
  out += format == ExportFormat::csv ? "\r\n" : "}\n";
}

}  // namespace sluice::cli
