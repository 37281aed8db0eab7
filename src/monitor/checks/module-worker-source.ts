/**
 * The program of the worker thread that runs JavaScript module checks, as source text (a worker file of its
 * own would be lost when the CLI is bundled). Requests: `{id, kind: "probe", url, name}` imports the module
 * and answers whether it exports the check function (`name`, or else `default`, else `check`);
 * `{id, kind: "run", url, name, container, settings, context}` calls it and answers `{id, ok: true, value}`
 * with the returned value reduced to clonable data (`{result, message}` or a string, plus `shape`, a short
 * description for messages), or `{id, ok: false, error}` when it throws or rejects. Console output of
 * checks is dropped (the parent discards the worker's stdout and stderr).
 */
export const MODULE_WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
function describe(value) {
  if (value === undefined) return "undefined";
  if (typeof value === "function") return "a function";
  try { const text = JSON.stringify(value); return (text === undefined ? String(value) : text).slice(0, 200); }
  catch { return String(value).slice(0, 200); }
}
function errorText(error) {
  return error instanceof Error ? error.name + ": " + error.message : "threw " + describe(error);
}
async function find(request) {
  const module = await import(request.url);
  if (request.name) {
    if (typeof module[request.name] === "function") return module[request.name];
    throw new Error("the module exports no function named " + request.name);
  }
  if (typeof module.default === "function") return module.default;
  if (typeof module.check === "function") return module.check;
  throw new Error("the module has no default export or export named check that is a function");
}
parentPort.on("message", async (request) => {
  try {
    const func = await find(request);
    if (request.kind === "probe") { parentPort.postMessage({ id: request.id, ok: true }); return; }
    const value = await func(request.container, request.settings, request.context);
    const shape = describe(value);
    let reply;
    if (typeof value === "string") reply = value;
    else if (value !== null && typeof value === "object") {
      const result = value.result, message = value.message;
      reply = { result: typeof result === "string" ? result : shape, message: typeof message === "string" ? message : undefined, shape, badMessage: message !== undefined && typeof message !== "string" };
    } else reply = { shape };
    parentPort.postMessage({ id: request.id, ok: true, value: reply });
  } catch (error) {
    parentPort.postMessage({ id: request.id, ok: false, error: errorText(error).slice(0, 2000) });
  }
});
`;
