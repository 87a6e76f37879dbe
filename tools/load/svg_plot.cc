#include "svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "units.h"

namespace sluice::load {
namespace {

constexpr double kWidth = 960;
constexpr double kLeft = 80;
constexpr double kRight = 30;
constexpr double kPanelHeight = 230;

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string num(double v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string axis_label(double v) {
  char buf[32];
  if (v == 0) return "0";
  if (std::fabs(v) >= 1000) {
    snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    snprintf(buf, sizeof buf, "%g", v);
  }
  return buf;
}

struct Series {
  std::vector<double> values;
  const char* color;
  const char* name;
};

// One panel: axes, grid, and each series as a polyline over seconds 0..n-1 (points at
// the middle of each second).
std::string panel(double top, const std::string& title, const std::string& unit,
                  const std::vector<Series>& series, size_t seconds) {
  double plot_w = kWidth - kLeft - kRight;
  double max = 0;
  for (const Series& s : series) {
    for (double v : s.values) max = std::max(max, v);
  }
  double step = nice_step(max > 0 ? max : 1, 5);
  double y_max = std::ceil((max > 0 ? max : 1) / step) * step;
  double x_max = std::max<double>(1, static_cast<double>(seconds));
  auto x_of = [&](double t) { return kLeft + t / x_max * plot_w; };
  auto y_of = [&](double v) { return top + kPanelHeight - v / y_max * kPanelHeight; };

  std::string out;
  out += "<text x=\"" + num(kLeft) + "\" y=\"" + num(top - 10) + "\" class=\"title\">" +
         xml_escape(title) + "</text>\n";
  out += "<text x=\"" + num(18) + "\" y=\"" + num(top + kPanelHeight / 2) +
         "\" class=\"unit\" transform=\"rotate(-90 18 " + num(top + kPanelHeight / 2) + ")\">" +
         xml_escape(unit) + "</text>\n";
  for (double v = 0; v <= y_max + step / 2; v += step) {
    double y = y_of(v);
    out += "<line x1=\"" + num(kLeft) + "\" y1=\"" + num(y) + "\" x2=\"" + num(kLeft + plot_w) +
           "\" y2=\"" + num(y) + "\" class=\"grid\"/>\n";
    out += "<text x=\"" + num(kLeft - 6) + "\" y=\"" + num(y + 4) + "\" class=\"ylab\">" +
           axis_label(v) + "</text>\n";
  }
  double x_step = nice_step(x_max, 10);
  for (double t = 0; t <= x_max + x_step / 2; t += x_step) {
    double x = x_of(t);
    out += "<line x1=\"" + num(x) + "\" y1=\"" + num(top + kPanelHeight) + "\" x2=\"" + num(x) +
           "\" y2=\"" + num(top + kPanelHeight + 4) + "\" class=\"axis\"/>\n";
    out += "<text x=\"" + num(x) + "\" y=\"" + num(top + kPanelHeight + 18) + "\" class=\"xlab\">" +
           axis_label(t) + "s</text>\n";
  }
  out += "<rect x=\"" + num(kLeft) + "\" y=\"" + num(top) + "\" width=\"" + num(plot_w) +
         "\" height=\"" + num(kPanelHeight) + "\" class=\"frame\"/>\n";
  double legend_x = kLeft + plot_w - 10;
  for (size_t i = 0; i < series.size(); ++i) {
    const Series& s = series[i];
    std::string points;
    for (size_t t = 0; t < s.values.size(); ++t) {
      points += num(x_of(static_cast<double>(t) + 0.5)) + "," + num(y_of(s.values[t])) + " ";
    }
    if (s.values.size() == 1) {  // a single point draws no line: mark it
      out += "<circle cx=\"" + num(x_of(0.5)) + "\" cy=\"" + num(y_of(s.values[0])) +
             "\" r=\"3\" fill=\"" + s.color + "\"/>\n";
    }
    out += "<polyline fill=\"none\" stroke=\"" + std::string(s.color) +
           "\" stroke-width=\"2\" points=\"" + points + "\"/>\n";
    double ly = top + 16 + 16 * static_cast<double>(i);
    out += "<line x1=\"" + num(legend_x - 110) + "\" y1=\"" + num(ly - 4) + "\" x2=\"" +
           num(legend_x - 90) + "\" y2=\"" + num(ly - 4) + "\" stroke=\"" + s.color +
           "\" stroke-width=\"2\"/>\n";
    out += "<text x=\"" + num(legend_x - 84) + "\" y=\"" + num(ly) + "\" class=\"legend\">" +
           xml_escape(s.name) + "</text>\n";
  }
  return out;
}

}  // namespace

double nice_step(double max, int ticks) {
  if (!(max > 0)) return 1;
  double raw = max / ticks;
  double mag = std::pow(10, std::floor(std::log10(raw)));
  double f = raw / mag;
  double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nice * mag;
}

std::string svg_plot(const RunReport& r) {
  size_t n = r.timeline.totals.size();
  Series p50{{}, "#1f77b4", "p50"};
  Series p99{{}, "#d62728", "p99"};
  Series done{{}, "#2ca02c", "completed/s"};
  Series errors{{}, "#d62728", "errors/s"};
  double max_latency_us = 0;
  for (size_t i = 0; i < n; ++i)
    max_latency_us =
        std::max(max_latency_us, static_cast<double>(r.timeline.latency[i].percentile(0.99)));
  // Milliseconds unless everything is under one.
  bool ms = max_latency_us >= 1000;
  double scale = ms ? 1e-3 : 1;
  for (size_t i = 0; i < n; ++i) {
    const Histogram& h = r.timeline.latency[i];
    p50.values.push_back(static_cast<double>(h.percentile(0.5)) * scale);
    p99.values.push_back(static_cast<double>(h.percentile(0.99)) * scale);
    done.values.push_back(static_cast<double>(r.timeline.totals[i].responses));
    errors.values.push_back(static_cast<double>(r.timeline.totals[i].errors));
  }
  double height = 60 + 2 * (kPanelHeight + 70) + 10;
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
      num(kWidth) + "\" height=\"" + num(height) + "\" viewBox=\"0 0 " + num(kWidth) + " " +
      num(height) +
      "\">\n"
      "<style>text{font-family:sans-serif;font-size:12px;fill:#222}"
      ".title{font-size:14px;font-weight:bold}.ylab{text-anchor:end}.xlab{text-anchor:middle}"
      ".unit{text-anchor:middle}.grid{stroke:#ddd;stroke-width:1}.axis{stroke:#444}"
      ".frame{fill:none;stroke:#444}.legend{font-size:12px}</style>\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n";
  std::string heading =
      "sluice-load " + r.options->url + ": " +
      format_rate(r.elapsed_s > 0 ? static_cast<double>(r.total.responses) / r.elapsed_s : 0) +
      " req/s, p50 " + format_us(static_cast<double>(r.total.latency.percentile(0.5))) + ", p99 " +
      format_us(static_cast<double>(r.total.latency.percentile(0.99))) +
      (r.open_loop ? " (open loop)" : " (closed loop)");
  out += "<text x=\"" + num(kLeft) + "\" y=\"24\" class=\"title\">" + xml_escape(heading) +
         "</text>\n";
  out += panel(70, "Latency per second", ms ? "ms" : "us", {p50, p99}, n);
  out += panel(70 + kPanelHeight + 70, "Throughput per second", "requests/s", {done, errors}, n);
  out += "</svg>\n";
  return out;
}

}  // namespace sluice::load
