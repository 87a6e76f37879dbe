#include "sluice/cli/table.h"

#include <algorithm>
#include <ctime>

namespace sluice::cli {
namespace {

// Code points: UTF-8 continuation bytes do not add width.
size_t display_width(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string printable(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) c = '?';
  }
  return out;
}

void append_line(std::string& out, const std::vector<std::string>& cells,
                 const std::vector<size_t>& widths, const std::vector<bool>& numeric) {
  std::string line;
  for (size_t i = 0; i < widths.size(); ++i) {
    const std::string cell = i < cells.size() ? printable(cells[i]) : std::string();
    const size_t pad = widths[i] - std::min(widths[i], display_width(cell));
    if (i) line += "  ";
    const bool right = i < numeric.size() && numeric[i];
    if (right) line.append(pad, ' ');
    line += cell;
    if (!right) line.append(pad, ' ');
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  out += line;
  out += '\n';
}

}  // namespace

std::string render_table(const Table& table) {
  std::vector<size_t> widths(table.columns.size(), 0);
  auto widen = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < widths.size() && i < cells.size(); ++i)
      widths[i] = std::max(widths[i], display_width(printable(cells[i])));
  };
  widen(table.columns);
  for (const auto& row : table.rows) widen(row);
  std::string out;
  append_line(out, table.columns, widths, table.numeric);
  for (const auto& row : table.rows) append_line(out, row, widths, table.numeric);
  if (table.rows.empty()) out += "(none)\n";
  return out;
}

std::string csv_field(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string render_csv(const Table& table) {
  std::string out;
  auto record = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < table.columns.size(); ++i) {
      if (i) out += ',';
      if (i < cells.size()) out += csv_field(cells[i]);
    }
    out += "\r\n";
  };
  record(table.columns);
  for (const auto& row : table.rows) record(row);
  return out;
}

std::string format_time_ms(int64_t ms) {
  if (ms <= 0) return "-";
  const time_t secs = static_cast<time_t>(ms / 1000);
  std::tm tm{};
  if (gmtime_r(&secs, &tm) == nullptr) return std::to_string(ms);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string format_duration_ms(int64_t ms) {
  if (ms < 0) ms = 0;
  if (ms < 1000) return std::to_string(ms) + " ms";
  if (ms < 60'000) {
    const int64_t tenths = ms / 100;
    std::string out = std::to_string(tenths / 10);
    if (tenths % 10) out += "." + std::to_string(tenths % 10);
    return out + " s";
  }
  const int64_t secs = ms / 1000;
  if (secs < 3600) {
    std::string out = std::to_string(secs / 60) + " min";
    if (secs % 60) out += " " + std::to_string(secs % 60) + " s";
    return out;
  }
  std::string out = std::to_string(secs / 3600) + " h";
  if ((secs % 3600) / 60) out += " " + std::to_string((secs % 3600) / 60) + " min";
  return out;
}

}  // namespace sluice::cli
