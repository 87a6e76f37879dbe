#pragma once
// Rewrites a request body for the upstream by splicing at the byte offsets that
// inspect_body found: the model alias becomes the target's upstream name, and an
// OpenAI stream is made to report usage. Every other byte is copied unchanged: no
// re-serialization, so number formatting, key order, whitespace and escapes the
// client chose reach the provider exactly as sent.

#include <string>
#include <string_view>

#include "sluice/route/inspect.h"

namespace sluice::route {

struct RewriteSpec {
  // Replaces the top-level "model" value (JSON-escaped here). Empty: keep it. A body
  // without "model" is left without one.
  std::string_view upstream_model;
  // Makes stream_options.include_usage true: adds stream_options when absent (or
  // null), adds include_usage to an existing object, or turns false/null into true.
  // For OpenAI chat and completions streams whose client did not ask for usage
  // (BodyInfo::stream && !BodyInfo::include_usage): the relay then hides the extra
  // usage chunk from that client (DESIGN.md step 4).
  bool request_usage = false;
};

// True when rewrite_body would change anything.
bool rewrite_changes(const BodyInfo& info, const RewriteSpec& spec);

// Writes the rewritten body to `out` (replacing its contents). `info` must come from
// a successful inspect_body(body). The new Content-Length is out.size().
void rewrite_body(std::string_view body, const BodyInfo& info, const RewriteSpec& spec,
                  std::string& out);

}  // namespace sluice::route
