import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger, requestLogger } from "./logger.js";

function capture() {
  const lines: Record<string, unknown>[] = [];
  return { lines, destination: { write: (s: string) => void lines.push(JSON.parse(s)) } };
}

test("writes JSON lines with the level's name, at the configured level", () => {
  const out = capture();
  const log = createLogger({ level: "warn", destination: out.destination });
  log.info("hidden");
  log.warn({ port: 1 }, "shown");
  assert.equal(out.lines.length, 1);
  assert.equal(out.lines[0]?.level, "warn");
  assert.equal(out.lines[0]?.msg, "shown");
  assert.equal(out.lines[0]?.service, "cipolice");
  assert.match(String(out.lines[0]?.time), /^\d{4}-\d\d-\d\dT/);
});

test("--debug turns debug lines on, and a request logger carries the request id", () => {
  const out = capture();
  const log = createLogger({ level: "error", debug: true, destination: out.destination });
  requestLogger(log, "abc").debug("for one request");
  requestLogger(log, undefined).debug("for another");
  assert.equal(out.lines[0]?.reqId, "abc");
  assert.equal(out.lines[0]?.level, "debug");
  assert.match(String(out.lines[1]?.reqId), /^r[0-9a-z]+$/);
});
