// Body inspection and rewrite on arbitrary bytes. Beyond "no crash", it checks the
// promises of rewrite.h: a rewrite of an accepted body is accepted again, carries
// the new model and include_usage, and a model-only rewrite changes no byte but the
// model value.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sluice/route/inspect.h"
#include "sluice/route/json_string.h"
#include "sluice/route/rewrite.h"

namespace {

using namespace sluice::route;

void check(bool ok) {
  if (!ok) std::abort();
}

bool span_inside(const Span& s, size_t size) { return s.begin <= s.end && s.end <= size; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  BodyInfo info;
  InspectResult result = inspect_body(body, info);
  if (!result.ok()) {
    check(!result.message.empty());
    return 0;
  }
  check(span_inside(info.model_value, size) && span_inside(info.stream_options_value, size) &&
        span_inside(info.include_usage_value, size));
  check(info.root_open < size && info.last_member_end <= size);

  // Model only: exactly one splice.
  const std::string_view model = "fuzz-\"model\"\\\xff";  // escaped, invalid UTF-8 replaced
  std::string out;
  rewrite_body(body, info, RewriteSpec{model, false}, out);
  if (info.has_model) {
    std::string expected(body.substr(0, info.model_value.begin));
    append_json_string(expected, model);
    expected.append(body.substr(info.model_value.end));
    check(out == expected);
  } else {
    check(out == body);
  }

  // Model and usage: still valid, and says what we asked for.
  rewrite_body(body, info, RewriteSpec{model, true}, out);
  BodyInfo again;
  check(inspect_body(out, again).ok());
  check(again.include_usage);
  check(again.has_model == info.has_model);
  if (info.has_model) check(again.model == "fuzz-\"model\"\\\xEF\xBF\xBD");
  check(again.stream == info.stream && again.n == info.n &&
        again.max_output_tokens == info.max_output_tokens && again.input_chars == info.input_chars);
  return 0;
}
