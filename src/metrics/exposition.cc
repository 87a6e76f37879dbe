#include "sluice/metrics/exposition.h"

#include <charconv>
#include <cmath>

#include "sluice/core/money.h"

namespace sluice::metrics {
namespace {
constexpr uint64_t kNsPerSecond = 1000000000ull;

void append_escaped(std::string& out, std::string_view text, bool quotes) {
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '"':
        out += quotes ? "\\\"" : "\"";
        break;
      default:
        out += c;
    }
  }
}

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

double seconds(uint64_t ns) { return static_cast<double>(ns) / static_cast<double>(kNsPerSecond); }
}  // namespace

void append_label_value(std::string& out, std::string_view value) {
  append_escaped(out, value, true);
}

void append_number(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, value);
    out.append(buf, r.ptr);
  }
}

void ExpositionWriter::family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  append_escaped(out_, help, false);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void ExpositionWriter::series(std::string_view name, std::string_view suffix,
                              std::span<const Label> labels, const Label* extra) {
  out_ += name;
  out_ += suffix;
  if (labels.empty() && !extra) {
    out_ += ' ';
    return;
  }
  out_ += '{';
  bool first = true;
  auto put = [&](const Label& l) {
    if (!first) out_ += ',';
    first = false;
    out_ += l.name;
    out_ += "=\"";
    append_label_value(out_, l.value);
    out_ += '"';
  };
  for (const Label& l : labels) put(l);
  if (extra) put(*extra);
  out_ += "} ";
}

void ExpositionWriter::sample(std::string_view name, std::span<const Label> labels,
                              uint64_t value) {
  series(name, {}, labels, nullptr);
  append_uint(out_, value);
  out_ += '\n';
}

void ExpositionWriter::sample_nano(std::string_view name, std::span<const Label> labels,
                                   int64_t nano) {
  series(name, {}, labels, nullptr);
  money::append_nano(out_, nano);
  out_ += '\n';
}

void ExpositionWriter::sample(std::string_view name, std::span<const Label> labels, double value) {
  series(name, {}, labels, nullptr);
  append_number(out_, value);
  out_ += '\n';
}

void ExpositionWriter::histogram(std::string_view name, std::span<const Label> labels,
                                 const Buckets& buckets, const Histogram& h) {
  uint64_t cumulative = 0;
  std::string le;
  for (size_t i = 0; i <= buckets.count; ++i) {
    cumulative += h.counts[i];
    le.clear();
    if (i < buckets.count)
      append_number(le, seconds(buckets.bounds_ns[i]));
    else
      le = "+Inf";
    Label bound{"le", le};
    series(name, "_bucket", labels, &bound);
    append_uint(out_, cumulative);
    out_ += '\n';
  }
  series(name, "_sum", labels, nullptr);
  append_number(out_, seconds(h.sum_ns));
  out_ += '\n';
  series(name, "_count", labels, nullptr);
  append_uint(out_, h.count);
  out_ += '\n';
}

}  // namespace sluice::metrics
