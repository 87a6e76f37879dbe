// JSON is read with every number kept as its text (kParseNumbersAsStringsFlag): an
// amount like 0.000000150 never passes through a double on its way to the screen.

#include "sluice/cli/reports.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <cstdint>

#include "sluice/core/money.h"

namespace sluice::cli {
namespace {

using rapidjson::Value;

constexpr unsigned kParseFlags = rapidjson::kParseNumbersAsStringsFlag;

bool parse(std::string_view body, rapidjson::Document& doc) {
  doc.Parse<kParseFlags>(body.data(), body.size());
  return !doc.HasParseError() && doc.IsObject();
}

Rendered shape_error(const char* what) {
  return {{}, std::string("unexpected answer from the gateway: ") + what};
}

// A JSON value as a cell: strings and numbers as their text, arrays joined by ',',
// null and missing as "".
std::string cell(const Value* v) {
  if (v == nullptr || v->IsNull()) return {};
  if (v->IsString()) return {v->GetString(), v->GetStringLength()};
  if (v->IsBool()) return v->GetBool() ? "true" : "false";
  if (v->IsArray()) {
    std::string out;
    for (const Value& item : v->GetArray()) {
      if (!out.empty()) out += ',';
      out += cell(&item);
    }
    return out;
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v->Accept(w);
  return {buf.GetString(), buf.GetSize()};
}

const Value* member(const Value& obj, const char* name) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::string text_of(const Value& obj, const char* name) { return cell(member(obj, name)); }

// An integer (numbers arrive as text); 0 when absent or not an integer.
int64_t int_value(const Value* value) {
  const std::string t = cell(value);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  return ec == std::errc() && end == t.data() + t.size() ? v : 0;
}

int64_t int_of(const Value& obj, const char* name) { return int_value(member(obj, name)); }

std::string time_of(const Value& obj, const char* name) {
  return format_time_ms(int_of(obj, name));
}

// Money from its integer nano-USD member when present (exact), else the decimal text.
std::string usd_of(const Value& obj, const char* nusd, const char* usd) {
  if (member(obj, nusd) != nullptr) return "$" + money::format_nano(int_of(obj, nusd));
  const std::string t = text_of(obj, usd);
  return t.empty() ? std::string() : "$" + t;
}

}  // namespace

Rendered render_key_created(std::string_view body) {
  rapidjson::Document doc;
  if (!parse(body, doc) || !member(doc, "key") || !member(doc, "id"))
    return shape_error("no key in the answer to POST /admin/keys");
  std::string models = text_of(doc, "models");
  Rendered r;
  r.text = "created key " + text_of(doc, "id") + " for project " + text_of(doc, "project") +
           " (models: " + (models.empty() ? "all" : models) + ") at " + time_of(doc, "created_ms") +
           "\n" + text_of(doc, "key") +
           "\nThe secret above is shown this once; only its SHA-256 is kept.\n";
  return r;
}

Rendered render_key_revoked(std::string_view body) {
  rapidjson::Document doc;
  if (!parse(body, doc) || !member(doc, "id"))
    return shape_error("no id in the answer to DELETE /admin/keys");
  return {"revoked key " + text_of(doc, "id") + " at " + time_of(doc, "revoked_ms") + "\n", {}};
}

Rendered render_keys(std::string_view body, bool csv) {
  rapidjson::Document doc;
  const Value* data = parse(body, doc) ? member(doc, "data") : nullptr;
  if (data == nullptr || !data->IsArray()) return shape_error("no data list in /admin/keys");
  Table t;
  for (const char* c : {"id", "project", "models", "source", "created"}) t.add_column(c);
  for (const Value& k : data->GetArray()) {
    std::string models = text_of(k, "models");
    if (models.empty() && !csv) models = "(all)";
    t.rows.push_back({text_of(k, "id"), text_of(k, "project"), models, text_of(k, "source"),
                      csv ? text_of(k, "created_ms") : time_of(k, "created_ms")});
  }
  if (csv) {
    t.columns.back() = "created_ms";
    return {render_csv(t), {}};
  }
  for (std::string& c : t.columns)
    for (char& ch : c) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return {render_table(t), {}};
}

Rendered render_usage(std::string_view body, bool csv) {
  rapidjson::Document doc;
  const Value* rows = parse(body, doc) ? member(doc, "rows") : nullptr;
  const Value* group_by = member(doc, "group_by");
  if (rows == nullptr || !rows->IsArray() || group_by == nullptr || !group_by->IsArray())
    return shape_error("no rows in /admin/usage");
  static constexpr const char* kCounts[] = {"requests", "input_tokens", "output_tokens",
                                            "cached_tokens", "reasoning_tokens"};
  Table t;
  std::vector<std::string> groups;
  for (const Value& g : group_by->GetArray()) {
    groups.push_back(cell(&g));
    t.add_column(groups.back());
  }
  for (const char* c : kCounts) t.add_column(c, true);
  if (csv) t.add_column("cost_nusd", true);
  t.add_column("cost_usd", true);

  int64_t totals[std::size(kCounts)] = {};
  int64_t total_nusd = 0;
  for (const Value& row : rows->GetArray()) {
    std::vector<std::string> cells;
    for (const std::string& g : groups) cells.push_back(text_of(row, g.c_str()));
    for (size_t i = 0; i < std::size(kCounts); ++i) {
      cells.push_back(text_of(row, kCounts[i]));
      totals[i] += int_of(row, kCounts[i]);
    }
    if (csv) {
      cells.push_back(text_of(row, "cost_nusd"));
      cells.push_back(text_of(row, "cost_usd"));
    } else {
      cells.push_back(usd_of(row, "cost_nusd", "cost_usd"));
    }
    total_nusd += int_of(row, "cost_nusd");
    t.rows.push_back(std::move(cells));
  }
  if (csv) return {render_csv(t), {}};

  for (std::string& c : t.columns) {
    for (char& ch : c) ch = ch == '_' ? ' ' : static_cast<char>(std::toupper(ch));
  }
  const int64_t from = int_of(doc, "from");
  std::string out = "usage from " + (from > 0 ? format_time_ms(from) : "the first record") +
                    " to " + time_of(doc, "to") + "\n";
  if (t.rows.size() > 1 && !groups.empty()) {
    std::vector<std::string> total(groups.size());
    total[0] = "total";
    for (int64_t v : totals) total.push_back(std::to_string(v));
    total.push_back("$" + money::format_nano(total_nusd));
    t.rows.push_back(std::move(total));
  }
  out += render_table(t);
  return {std::move(out), {}};
}

Rendered render_limits(std::string_view body) {
  rapidjson::Document doc;
  const Value* limits = parse(body, doc) ? member(doc, "limits") : nullptr;
  const Value* budgets = member(doc, "budgets");
  if (limits == nullptr || !limits->IsArray() || budgets == nullptr || !budgets->IsArray())
    return shape_error("no limits or budgets in /admin/limits");

  Table lt;
  lt.add_column("LIMIT");
  lt.add_column("LEVEL");
  for (const char* c : {"REQ/MIN", "REQ LEFT", "TOK/MIN", "TOK LEFT", "CONCURRENT", "IN FLIGHT",
                        "RESERVED TOK", "QUEUED"})
    lt.add_column(c, true);
  for (const Value& l : limits->GetArray()) {
    std::vector<std::string> row = {text_of(l, "id"), text_of(l, "level")};
    for (const char* bucket : {"requests", "tokens"}) {
      const Value* b = member(l, bucket);
      row.push_back(b ? text_of(*b, "per_minute") : "-");
      row.push_back(b ? text_of(*b, "remaining") : "-");
    }
    const Value* c = member(l, "concurrent");
    row.push_back(c ? text_of(*c, "leased") + "/" + text_of(*c, "limit") : "-");
    row.push_back(text_of(l, "in_flight"));
    row.push_back(text_of(l, "reserved_tokens"));
    int64_t queued = 0;
    if (const Value* q = member(l, "queued"); q && q->IsObject())
      for (const auto& m : q->GetObject()) queued += int_value(&m.value);
    row.push_back(std::to_string(queued));
    lt.rows.push_back(std::move(row));
  }

  Table bt;
  bt.add_column("BUDGET");
  for (const char* c : {"SPENT TODAY", "PER DAY", "SPENT THIS MONTH", "PER MONTH"})
    bt.add_column(c, true);
  for (const Value& b : budgets->GetArray()) {
    std::vector<std::string> row = {text_of(b, "id")};
    for (const char* window : {"day", "month"}) {
      const Value* w = member(b, window);
      if (w == nullptr) {
        row.insert(row.end(), {"-", "-"});
        continue;
      }
      row.push_back(usd_of(*w, "spent_nusd", "spent_usd"));
      row.push_back(int_of(*w, "limit_nusd") > 0 || member(*w, "limit_nusd") == nullptr
                        ? usd_of(*w, "limit_nusd", "limit_usd")
                        : "-");
    }
    bt.rows.push_back(std::move(row));
  }

  Table qt;
  qt.add_column("PROJECT");
  for (const char* c : {"QUEUED", "WAITED", "TOTAL WAIT MS", "LONGEST WAIT MS"})
    qt.add_column(c, true);
  const Value* queues = member(doc, "queues");
  const Value* waits = member(doc, "queue_waits");
  if (queues && queues->IsObject()) {
    for (const auto& m : queues->GetObject()) {
      const Value* w = waits ? member(*waits, m.name.GetString()) : nullptr;
      qt.rows.push_back({cell(&m.name), cell(&m.value), w ? text_of(*w, "waited") : "0",
                         w ? text_of(*w, "total_ms") : "0", w ? text_of(*w, "max_ms") : "0"});
    }
  }
  return {render_table(lt) + "\n" + render_table(bt) + "\n" + render_table(qt), {}};
}

Rendered render_breakers(std::string_view body) {
  rapidjson::Document doc;
  const Value* providers = parse(body, doc) ? member(doc, "providers") : nullptr;
  if (providers == nullptr || !providers->IsObject())
    return shape_error("no providers in /admin/breakers");
  Table t;
  t.add_column("PROVIDER");
  t.add_column("BREAKER");
  t.add_column("FAILURES", true);
  t.add_column("COOLDOWN LEFT", true);
  t.add_column("COOLDOWN UNTIL");
  for (const auto& m : providers->GetObject()) {
    const Value& p = m.value;
    const int64_t left = int_of(p, "cooldown_left_ms");
    t.rows.push_back({cell(&m.name), text_of(p, "breaker"), text_of(p, "failures"),
                      left > 0 ? format_duration_ms(left) : "-", time_of(p, "cooldown_until_ms")});
  }
  return {render_table(t), {}};
}

std::string error_message(std::string_view body) {
  rapidjson::Document doc;
  if (parse(body, doc)) {
    const Value* err = member(doc, "error");
    if (err && err->IsObject()) {
      if (const Value* m = member(*err, "message"); m && m->IsString()) return cell(m);
    }
    if (err && err->IsString()) return cell(err);
    if (const Value* m = member(doc, "message"); m && m->IsString()) return cell(m);
  }
  std::string out(body.substr(0, 300));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (body.size() > 300) out += "...";
  return out;
}

}  // namespace sluice::cli
