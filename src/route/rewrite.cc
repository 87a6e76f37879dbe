#include "sluice/route/rewrite.h"

#include <utility>

#include "sluice/route/json_string.h"

namespace sluice::route {
namespace {

constexpr std::string_view kIncludeUsage = R"("include_usage":true)";
constexpr std::string_view kStreamOptions = R"("stream_options":{"include_usage":true})";

// Replace body[begin, end) with `text` (begin == end: insert).
struct Splice {
  size_t begin = 0;
  size_t end = 0;
  std::string text;
};

bool usage_change_needed(const BodyInfo& info, const RewriteSpec& spec) {
  return spec.request_usage && !info.include_usage;
}

// The one splice that makes include_usage true.
Splice usage_splice(const BodyInfo& info) {
  if (!info.include_usage_value.empty()) {  // "include_usage": false / null
    return {info.include_usage_value.begin, info.include_usage_value.end, "true"};
  }
  if (info.stream_options_is_object) {  // add as the first member
    const size_t at = info.stream_options_value.begin + 1;
    std::string text(kIncludeUsage);
    if (!info.stream_options_empty) text.push_back(',');
    return {at, at, std::move(text)};
  }
  if (!info.stream_options_value.empty()) {  // "stream_options": null
    return {info.stream_options_value.begin, info.stream_options_value.end,
            "{" + std::string(kIncludeUsage) + "}"};
  }
  // Absent: append after the last top-level member, before any whitespace and '}'.
  std::string text = info.root_empty ? "" : ",";
  text.append(kStreamOptions);
  return {info.last_member_end, info.last_member_end, std::move(text)};
}

}  // namespace

bool rewrite_changes(const BodyInfo& info, const RewriteSpec& spec) {
  return (!spec.upstream_model.empty() && info.has_model) || usage_change_needed(info, spec);
}

void rewrite_body(std::string_view body, const BodyInfo& info, const RewriteSpec& spec,
                  std::string& out) {
  Splice splices[2];
  size_t count = 0;
  if (!spec.upstream_model.empty() && info.has_model) {
    Splice& s = splices[count++];
    s.begin = info.model_value.begin;
    s.end = info.model_value.end;
    append_json_string(s.text, spec.upstream_model);
  }
  if (usage_change_needed(info, spec)) splices[count++] = usage_splice(info);
  // The model value and stream_options never overlap; order them by position.
  if (count == 2 && splices[1].begin < splices[0].begin) std::swap(splices[0], splices[1]);

  size_t extra = 0;
  for (size_t i = 0; i < count; ++i) extra += splices[i].text.size();
  out.clear();
  out.reserve(body.size() + extra);
  size_t copied = 0;
  for (size_t i = 0; i < count; ++i) {
    out.append(body.substr(copied, splices[i].begin - copied));
    out.append(splices[i].text);
    copied = splices[i].end;
  }
  out.append(body.substr(copied));
}

}  // namespace sluice::route
