// The official SDKs, unmodified but for their base URL, calling aliases of another
// provider's format through sluice (run by test_gateway_translate_sdk.py, which starts
// sluice-mock and sluice and checks what this prints against the mock and the ledger).
// Prints one JSON object: case name -> what the SDK returned, read its own way.
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { GoogleGenAI } from "@google/genai";

const base = process.env.SLUICE_URL;
const key = process.env.SLUICE_KEY;
const headers = { "x-mock-output-tokens": "3" };
const weather = {
  type: "object",
  properties: { city: { type: "string" }, n: { type: "integer" } },
  required: ["city"],
};
const out = {};
const rid = (name) => ({ headers: { "x-request-id": "sdk-" + name } });

async function run(name, fn) {
  try {
    out[name] = await fn(rid(name));
  } catch (e) {
    out[name] = { error: String(e && e.stack ? e.stack : e) };
  }
}

// ---- the OpenAI SDK calling a Claude alias and a Gemini alias ----------------------------
const openai = new OpenAI({ baseURL: base + "/v1", apiKey: key, defaultHeaders: headers, maxRetries: 0 });
for (const alias of ["claude", "gemini"]) {
  const messages = [{ role: "user", content: "Weather in Paris?" }];
  await run(`openai-${alias}-chat`, async (opts) => {
    const r = await openai.chat.completions.create({ model: alias, messages }, opts);
    const c = r.choices[0];
    return { text: c.message.content, finish: c.finish_reason, model: r.model,
             input: r.usage.prompt_tokens, output: r.usage.completion_tokens };
  });
  await run(`openai-${alias}-stream`, async (opts) => {
    const s = await openai.chat.completions.create(
      { model: alias, messages, stream: true, stream_options: { include_usage: true } }, opts);
    let text = "", finish = null, usage = null;
    for await (const chunk of s) {
      for (const c of chunk.choices) {
        text += c.delta.content || "";
        if (c.finish_reason) finish = c.finish_reason;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    return { text, finish, input: usage.prompt_tokens, output: usage.completion_tokens };
  });
  await run(`openai-${alias}-stream-tools`, async (opts) => {
    // Two calls, their arguments in pieces; the SDK's own accumulator puts them together.
    opts.headers["x-mock-tool-calls"] = "2";
    const s = openai.chat.completions.stream({
      model: alias, messages, stream_options: { include_usage: true },
      tools: [{ type: "function", function: { name: "get_weather", parameters: weather } }],
    }, opts);
    const r = await s.finalChatCompletion();
    const c = r.choices[0];
    return {
      text: c.message.content, finish: c.finish_reason,
      calls: c.message.tool_calls.map((t) => [t.function.name, JSON.parse(t.function.arguments), t.id]),
      input: r.usage.prompt_tokens, output: r.usage.completion_tokens,
    };
  });
}

// ---- the Anthropic SDK calling a GPT alias ------------------------------------------------
const anthropic = new Anthropic({ baseURL: base, apiKey: key, defaultHeaders: headers, maxRetries: 0 });
await run("anthropic-gpt-create", async (opts) => {
  const m = await anthropic.messages.create(
    { model: "gpt", max_tokens: 100, messages: [{ role: "user", content: "Weather in Paris?" }] }, opts);
  return { text: m.content.filter((b) => b.type === "text").map((b) => b.text).join(""),
           finish: m.stop_reason, model: m.model, input: m.usage.input_tokens, output: m.usage.output_tokens };
});
await run("anthropic-gpt-stream-tools", async (opts) => {
  const s = anthropic.messages.stream({
    model: "gpt", max_tokens: 100, messages: [{ role: "user", content: "Weather in Paris?" }],
    tools: [{ name: "get_weather", input_schema: weather }],
  }, opts);
  const m = await s.finalMessage();
  return {
    text: m.content.filter((b) => b.type === "text").map((b) => b.text).join(""),
    calls: m.content.filter((b) => b.type === "tool_use").map((b) => [b.name, b.input, b.id]),
    finish: m.stop_reason, input: m.usage.input_tokens, output: m.usage.output_tokens,
  };
});

// ---- the Google Gen AI SDK calling a Claude alias -------------------------------------------
const google = new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: base, headers } });
await run("google-claude-generate", async (opts) => {
  const r = await google.models.generateContent({
    model: "claude", contents: "Weather in Paris?", config: { httpOptions: { headers: { ...headers, ...opts.headers } } },
  });
  return { text: r.text, finish: r.candidates[0].finishReason,
           input: r.usageMetadata.promptTokenCount, output: r.usageMetadata.candidatesTokenCount };
});
await run("google-claude-stream-tools", async (opts) => {
  const s = await google.models.generateContentStream({
    model: "claude", contents: "Weather in Paris?",
    config: {
      tools: [{ functionDeclarations: [{ name: "get_weather", parametersJsonSchema: weather }] }],
      httpOptions: { headers: { ...headers, ...opts.headers } },
    },
  });
  let text = "", finish = null, usage = null;
  const calls = [];
  for await (const chunk of s) {
    text += chunk.text || "";
    for (const f of chunk.functionCalls || []) calls.push([f.name, f.args]);
    if (chunk.candidates && chunk.candidates[0].finishReason) finish = chunk.candidates[0].finishReason;
    if (chunk.usageMetadata) usage = chunk.usageMetadata;
  }
  return { text, finish, calls, input: usage.promptTokenCount, output: usage.candidatesTokenCount };
});

console.log(JSON.stringify(out));
