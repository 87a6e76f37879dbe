import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { GoogleGenAI } from "@google/genai";
const H = "http://127.0.0.1:18300";
const key = "sk-sdk-test";
const out = [];
const unified = new OpenAI({ baseURL: H + "/v1", apiKey: key });
let r = await unified.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
out.push(["openai unified /v1 non-stream", r.choices[0].message.content.slice(0, 20)]);
let s = await unified.chat.completions.create({ model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: "hi" }] });
let n = 0; for await (const c of s) n++;
out.push(["openai unified /v1 stream chunks", n]);
const models = await unified.models.list(); out.push(["openai models.list", models.data.map(m => m.id).join(",")]);
const native = new OpenAI({ baseURL: H + "/openai/v1", apiKey: key });
r = await native.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
out.push(["openai native /openai/v1", r.usage.total_tokens]);
const resp = await native.responses.create({ model: "gpt-4o-mini", input: "hi" });
out.push(["openai responses", resp.output_text.slice(0, 20)]);
const an = new Anthropic({ baseURL: H + "/anthropic", apiKey: key });
const m = await an.messages.create({ model: "claude-sonnet-4-5", max_tokens: 32, messages: [{ role: "user", content: "hi" }] });
out.push(["anthropic /anthropic", m.content[0].text.slice(0, 20)]);
const ms = an.messages.stream({ model: "claude-sonnet-4-5", max_tokens: 32, messages: [{ role: "user", content: "hi" }] });
const fin = await ms.finalMessage(); out.push(["anthropic stream usage", JSON.stringify(fin.usage)]);
const g = new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: H + "/gemini" } });
const gr = await g.models.generateContent({ model: "gemini-2.5-flash", contents: "hi" });
out.push(["gemini /gemini", gr.text.slice(0, 20)]);
let gn = 0; for await (const c of await g.models.generateContentStream({ model: "gemini-2.5-flash", contents: "hi" })) gn++;
out.push(["gemini stream chunks", gn]);
try { await new OpenAI({ baseURL: H + "/v1", apiKey: "wrong" }).chat.completions.create({ model: "gpt-4o-mini", messages: [] }); }
catch (e) { out.push(["openai bad key", e.status + " " + e.constructor.name]); }
try { await new Anthropic({ baseURL: H + "/anthropic", apiKey: "wrong" }).messages.create({ model: "x", max_tokens: 1, messages: [{ role: "user", content: "hi" }] }); }
catch (e) { out.push(["anthropic bad key", e.status + " " + e.constructor.name]); }
for (const o of out) console.log(o[0] + ": " + o[1]);
