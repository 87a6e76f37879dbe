// Translation cost per request and per whole response, each of the six directions, on
// a multi-turn tool-calling conversation of each format (the golden corpus's
// *_tools_loop requests and tool-call responses).

#include <benchmark/benchmark.h>

#include <string_view>

#include "sluice/translate/translate.h"

namespace {

using sluice::translate::ApiFlavor;

constexpr std::string_view kRequests[] = {
    R"json({"model":"gpt-4o","messages":[{"role":"user","content":"Weather in Paris and Rome?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_a1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},{"id":"call_b2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Rome\"}"}}]},{"role":"tool","tool_call_id":"call_a1","content":"{\"temp_c\":18}"},{"role":"tool","tool_call_id":"call_b2","content":"sunny, 24C"},{"role":"user","content":"Thanks. And Oslo?"}],"tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather","parameters":{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","additionalProperties":false,"properties":{"city":{"type":"string","description":"City name"},"unit":{"type":["string","null"],"enum":["c","f"]},"when":{"$ref":"#/$defs/When"}},"required":["city"],"$defs":{"When":{"type":"object","properties":{"day":{"type":"integer","minimum":0}}}}}}}],"tool_choice":{"type":"function","function":{"name":"get_weather"}},"parallel_tool_calls":true})json",
    R"json({"model":"claude-sonnet-4-5","max_tokens":6000,"system":"Use tools.","thinking":{"type":"enabled","budget_tokens":4000},"tools":[{"name":"lookup","description":"Find a record","input_schema":{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}},{"type":"web_search_20250305","name":"web_search"}],"tool_choice":{"type":"auto","disable_parallel_tool_use":true},"messages":[{"role":"user","content":"Look up A7 and B9."},{"role":"assistant","content":[{"type":"thinking","thinking":"Two lookups.","signature":"EqQBsig"},{"type":"text","text":"Looking up."},{"type":"tool_use","id":"toolu_01A","name":"lookup","input":{"id":"A7"}},{"type":"tool_use","id":"toolu_01B","name":"lookup","input":{"id":"B9"}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01A","content":"found: alpha"},{"type":"tool_result","tool_use_id":"toolu_01B","content":[{"type":"text","text":"not found"}],"is_error":true},{"type":"text","text":"Summarise."}]}]})json",
    R"json({"contents":[{"role":"user","parts":[{"text":"Divide 10 by 2"}]},{"role":"model","parts":[{"functionCall":{"name":"customDivide","args":{"numerator":10,"denominator":2}},"thoughtSignature":"CiQBgeminiSig"}]},{"role":"user","parts":[{"functionResponse":{"name":"customDivide","response":{"result":5}}}]}],"tools":[{"functionDeclarations":[{"name":"customDivide","description":"Divides","parameters":{"type":"OBJECT","properties":{"numerator":{"type":"NUMBER"},"denominator":{"type":"NUMBER","nullable":true}},"required":["numerator"]}}]}],"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["customDivide"]}},"generationConfig":{"responseMimeType":"application/json","responseSchema":{"type":"OBJECT","properties":{"answer":{"type":"NUMBER"}}}}})json",
};

constexpr std::string_view kResponses[] = {
    R"json({"id":"chatcmpl-xyz","object":"chat.completion","created":1727346142,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},{"id":"call_2","type":"function","function":{"name":"get_time","arguments":"{\"tz\":\"CET\"}"}}]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":120,"completion_tokens":40,"total_tokens":160,"prompt_tokens_details":{"cached_tokens":64},"completion_tokens_details":{"reasoning_tokens":16}}})json",
    R"json({"id":"msg_01ABC","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"thinking","thinking":"Need the weather.","signature":"EqQBsig=="},{"type":"redacted_thinking","data":"EmwKAhgB"},{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_01Q","name":"get_weather","input":{"city":"Paris"}},{"type":"tool_use","id":"toolu_01R","name":"get_weather","input":{"city":"Rome"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":12,"cache_creation_input_tokens":100,"cache_read_input_tokens":300,"output_tokens":55}})json",
    R"json({"candidates":[{"content":{"role":"model","parts":[{"text":"Planning the call.","thought":true},{"functionCall":{"name":"lookup","args":{"id":"A7"}},"thoughtSignature":"CiQBsig"},{"functionCall":{"name":"lookup","args":{"id":"B9"}}}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":200,"cachedContentTokenCount":150,"candidatesTokenCount":20,"thoughtsTokenCount":35,"totalTokenCount":255},"modelVersion":"gemini-2.5-flash","responseId":"abc123"})json",
};

void BM_TranslateRequest(benchmark::State& state) {
  const auto from = static_cast<ApiFlavor>(state.range(0));
  const auto to = static_cast<ApiFlavor>(state.range(1));
  const std::string_view body = kRequests[state.range(0)];
  sluice::translate::RequestOptions options;
  options.model = "target-model";
  for (auto _ : state) {
    auto out = sluice::translate::translate_request(from, to, body, options);
    if (!out.ok) state.SkipWithError(out.message.c_str());
    benchmark::DoNotOptimize(out.body.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}

void BM_TranslateResponse(benchmark::State& state) {
  const auto from = static_cast<ApiFlavor>(state.range(0));
  const auto to = static_cast<ApiFlavor>(state.range(1));
  const std::string_view body = kResponses[state.range(0)];
  sluice::translate::ResponseContext context;
  context.model = "alias";
  context.request_id = "req-1";
  for (auto _ : state) {
    auto out = sluice::translate::translate_response(from, to, body, context);
    if (!out.ok) state.SkipWithError(out.message.c_str());
    benchmark::DoNotOptimize(out.body.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}

// Arguments: (from, to) as ApiFlavor values: 0 openai, 1 anthropic, 2 gemini.
void directions(benchmark::internal::Benchmark* b) {
  for (int from = 0; from < 3; ++from) {
    for (int to = 0; to < 3; ++to) {
      if (from != to) b->Args({from, to});
    }
  }
  b->ArgNames({"from", "to"});
}

}  // namespace

BENCHMARK(BM_TranslateRequest)->Apply(directions);
BENCHMARK(BM_TranslateResponse)->Apply(directions);
