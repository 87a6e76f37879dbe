// Stream translation cost per provider event, each direction (docs/TRANSLATION.md, "Streams"):
// a StreamTranslator past its opening, fed one complete provider event per iteration (a
// text delta, or a tool call's argument fragment), the client's bytes appended to a
// reused buffer. The events are shaped like the fixtures' (real ids, padding, usage on
// every Gemini chunk).
//   ./build/sluice-bench --benchmark_filter=TranslateStream

#include <benchmark/benchmark.h>

#include <string>
#include <string_view>

#include "sluice/translate/translate.h"

namespace {

using sluice::route::ApiFlavor;
using sluice::translate::ResponseContext;
using sluice::translate::StreamTranslator;

enum Kind : int64_t { kText = 0, kToolArgs = 1 };

// What the provider sends before the measured events: the message's and block's start.
std::string_view opening(ApiFlavor provider, Kind kind) {
  switch (provider) {
    case ApiFlavor::anthropic:
      return kind == kText
                 ? "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":"
                   "\"claude-sonnet-4-5-20250929\",\"id\":\"msg_013nnniYDrJDocdy5nrMU7cH\","
                   "\"type\":"
                   "\"message\",\"role\":\"assistant\",\"content\":[],\"stop_reason\":null,"
                   "\"usage\":{\"input_tokens\":135,\"cache_read_input_tokens\":0,"
                   "\"output_tokens\":1}}}\n\n"
                   "event: content_block_start\ndata: "
                   "{\"type\":\"content_block_start\",\"index\":0,"
                   "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
                 : "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":"
                   "\"claude-sonnet-4-5-20250929\",\"id\":\"msg_013nnniYDrJDocdy5nrMU7cH\","
                   "\"type\":"
                   "\"message\",\"role\":\"assistant\",\"content\":[],\"stop_reason\":null,"
                   "\"usage\":{\"input_tokens\":135,\"cache_read_input_tokens\":0,"
                   "\"output_tokens\":1}}}\n\n"
                   "event: content_block_start\ndata: "
                   "{\"type\":\"content_block_start\",\"index\":0,"
                   "\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01A\",\"name\":"
                   "\"get_weather\",\"input\":{}}}\n\n";
    case ApiFlavor::openai:
      return kind == kText
                 ? "data: {\"id\":\"chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL\",\"object\":\"chat."
                   "completion.chunk\",\"created\":1727346168,\"model\":\"gpt-4o-2024-08-06\","
                   "\"system_fingerprint\":\"fp_5050236cbd\",\"choices\":[{\"index\":0,\"delta\":{"
                   "\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},\"logprobs\":null,"
                   "\"finish_reason\":null}]}\n\n"
                 : "data: {\"id\":\"chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL\",\"object\":\"chat."
                   "completion.chunk\",\"created\":1727346168,\"model\":\"gpt-4o-2024-08-06\","
                   "\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":"
                   "\"call_Aa1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                   "\"arguments\":\"\"}}]},\"logprobs\":null,\"finish_reason\":null}]}\n\n";
    case ApiFlavor::gemini:
      break;
  }
  return {};
}

// One measured event.
std::string_view event(ApiFlavor provider, Kind kind) {
  switch (provider) {
    case ApiFlavor::anthropic:
      return kind == kText
                 ? "event: content_block_delta\ndata: "
                   "{\"type\":\"content_block_delta\",\"index\":0,"
                   "\"delta\":{\"type\":\"text_delta\",\"text\":\" weather updates\"}}\n\n"
                 : "event: content_block_delta\ndata: "
                   "{\"type\":\"content_block_delta\",\"index\":0,"
                   "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\": "
                   "\\\"Par\"}}\n\n";
    case ApiFlavor::openai:
      return kind == kText
                 ? "data: {\"id\":\"chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL\",\"object\":\"chat."
                   "completion.chunk\",\"created\":1727346168,\"model\":\"gpt-4o-2024-08-06\","
                   "\"system_fingerprint\":\"fp_5050236cbd\",\"choices\":[{\"index\":0,\"delta\":{"
                   "\"content\":\" weather "
                   "updates\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n"
                 : "data: {\"id\":\"chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL\",\"object\":\"chat."
                   "completion.chunk\",\"created\":1727346168,\"model\":\"gpt-4o-2024-08-06\","
                   "\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
                   "{\"arguments\":\"{\\\"city\\\": \\\"Par\"}}]},\"logprobs\":null,"
                   "\"finish_reason\":null}]}\n\n";
    case ApiFlavor::gemini:
      break;
  }
  // Gemini sends a call whole: the tool case is one functionCall part per event.
  return kind == kText
             ? "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\" weather updates\"}],"
               "\"role\":\"model\"},\"index\":0}],\"modelVersion\":\"gemini-2.5-flash\","
               "\"responseId\":\"tS77aIl-4ZvV7w_A9rTBBg\",\"usageMetadata\":{"
               "\"candidatesTokenCount\":50,\"promptTokenCount\":20,\"thoughtsTokenCount\":260,"
               "\"totalTokenCount\":330}}\r\n\r\n"
             : "data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":"
               "\"get_weather\",\"args\":{\"city\":\"Paris\",\"unit\":\"c\"}}}],\"role\":\"model\"}"
               ","
               "\"index\":0}],\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":"
               "\"tS77aIl-4ZvV7w_A9rTBBg\",\"usageMetadata\":{\"promptTokenCount\":20,"
               "\"totalTokenCount\":20}}\r\n\r\n";
}

void BM_TranslateStreamEvent(benchmark::State& state) {
  const auto provider = static_cast<ApiFlavor>(state.range(0));
  const auto client = static_cast<ApiFlavor>(state.range(1));
  const auto kind = static_cast<Kind>(state.range(2));
  ResponseContext context;
  context.model = "team-model";
  context.request_id = "req-7f3a";
  context.created_s = 1700000000;
  context.include_usage = true;
  StreamTranslator t(provider, client, context);
  std::string out;
  out.reserve(1 << 16);
  t.feed(opening(provider, kind), out);
  const std::string_view one = event(provider, kind);
  uint64_t bytes = 0;
  for (auto _ : state) {
    out.clear();
    t.feed(one, out);
    bytes += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(one.size()) * state.iterations());
  state.counters["out_bytes"] =
      benchmark::Counter(static_cast<double>(bytes) / static_cast<double>(state.iterations()));
  state.SetLabel(std::string(sluice::route::flavor_name(provider)) + "->" +
                 std::string(sluice::route::flavor_name(client)) +
                 (kind == kText ? " text" : " tool"));
}

void directions(benchmark::internal::Benchmark* b) {
  for (int64_t kind : {kText, kToolArgs}) {
    for (int64_t p = 0; p < 3; ++p) {
      for (int64_t c = 0; c < 3; ++c) {
        if (p != c) b->Args({p, c, kind});
      }
    }
  }
}

BENCHMARK(BM_TranslateStreamEvent)->Apply(directions);

}  // namespace
