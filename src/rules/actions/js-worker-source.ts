/**
 * The program of the worker thread that runs JavaScript module function actions, as source text (a worker
 * file of its own would be lost when the CLI is bundled into one file). For each request `{id, url, func,
 * message, args}` it imports the module (Node caches it for the worker's life), calls `func(message,
 * ...args)`, awaits it, and posts `{id, ok, value}` or `{id, ok: false, error}`, with what the call wrote
 * through `console` (kept per call with AsyncLocalStorage, so concurrent calls do not mix, and bounded).
 */
export const JS_WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { AsyncLocalStorage } = require("node:async_hooks");
const { format } = require("node:util");
const LIMIT = 65536;
const calls = new AsyncLocalStorage();
for (const name of ["log", "info", "warn", "error", "debug", "trace"]) {
  console[name] = (...parts) => {
    const out = calls.getStore();
    if (out === undefined) return;
    const text = format(...parts) + "\\n";
    if (out.size + text.length <= LIMIT) { out.text += text; out.size += text.length; }
    else out.dropped += text.length;
  };
}
function describe(value) {
  if (value === undefined) return "undefined";
  try { const text = JSON.stringify(value); return (text === undefined ? String(value) : text).slice(0, 4096); }
  catch { return String(value).slice(0, 4096); }
}
function output(out) {
  return out.dropped === 0 ? out.text : out.text + "[" + out.dropped + " more characters of output not kept]";
}
parentPort.on("message", (request) => {
  const out = { text: "", size: 0, dropped: 0 };
  calls.run(out, async () => {
    try {
      const module = await import(request.url);
      const func = module[request.func];
      if (typeof func !== "function") throw new Error("the module exports no function " + request.func);
      const value = await func(request.message, ...request.args);
      parentPort.postMessage({ id: request.id, ok: true, value: describe(value), output: output(out) });
    } catch (error) {
      const text = error instanceof Error ? error.name + ": " + error.message : "thrown: " + describe(error);
      parentPort.postMessage({ id: request.id, ok: false, error: text, output: output(out) });
    }
  });
});
`;
