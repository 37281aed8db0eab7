// Run as a child process by test/policy/cel-budget.test.ts: evaluates an expensive expression and prints
// {status, errorCode, ms, maxRssKb} as JSON, so the test can read this process's own peak memory.
import type { ImageFacts } from "../../src/model/index.js";
import { compileBundle } from "../../src/policy/compile-bundle.js";
import { evaluate } from "../../src/policy/evaluate.js";
import { oneRuleBundle } from "./one-rule-bundle.js";

const expression = process.argv[2] ?? "";
const packages = Number(process.argv[3] ?? "2000");
const { compiled, problems } = compileBundle(oneRuleBundle("expression", "condition", { expression }));
if (!compiled) throw new Error(problems.map((p) => p.message).join("\n"));
const facts: ImageFacts = {
  ref: { registry: "docker.io", repository: "library/big", tag: "1" },
  packages: Array.from({ length: packages }, (_, i) => ({ name: `pkg${i}`, version: "1.0", type: "deb" })),
};
const started = performance.now();
const decision = evaluate(compiled, facts, { now: new Date("2026-11-01T00:00:00Z"), imageRef: "x" });
const ms = performance.now() - started;
const row = decision.results[0];
process.stdout.write(
  `${JSON.stringify({ status: row?.status, errorCode: row?.errorCode, ms, maxRssKb: process.resourceUsage().maxRSS })}\n`,
);
