-- wrk script: small non-stream OpenAI chat completions against sluice-mock.
--   wrk -t2 -c64 -d10s -s bench/mock_chat_post.lua http://127.0.0.1:9000/v1/chat/completions
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-mock"
wrk.body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello in one word."}],"max_tokens":16}'
