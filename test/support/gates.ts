import type { ImageFacts } from "../../src/model/index.js";
import { compileTrigger } from "../../src/policy/compile-trigger.js";
import type { GateSpec } from "../../src/policy/gate-types.js";
import { type FiredHit, runTrigger } from "../../src/policy/run-trigger.js";

/** A fixed evaluation time for tests. */
export const TEST_NOW = new Date("2026-11-01T00:00:00Z");

/** Minimal facts for an image; override what a test needs. */
export function factsFor(overrides: Partial<ImageFacts> = {}): ImageFacts {
  return { ref: { registry: "docker.io", repository: "library/test", tag: "1.0" }, ...overrides };
}

/**
 * Compiles one trigger with the given parameters and runs it against the facts, as the engine would.
 * Throws with the validation problems when the parameters do not validate.
 */
export function fireTrigger<G>(
  gate: GateSpec<G>,
  triggerName: string,
  params: Record<string, string>,
  facts: ImageFacts,
  now: Date = TEST_NOW,
): FiredHit[] {
  const trigger = gate.triggers.find((t) => t.name === triggerName);
  if (!trigger) throw new Error(`no trigger ${gate.name}/${triggerName}`);
  const compiled = compileTrigger(
    gate,
    trigger,
    Object.entries(params).map(([name, value]) => ({ name, value })),
  );
  if (!compiled.ok) throw new Error(compiled.problems.map((p) => p.message).join("; "));
  const gateData = (gate.prepare ? gate.prepare(facts, now) : undefined) as G;
  return runTrigger(gate, trigger, compiled.evaluator, facts, gateData, now);
}

/** The validation problems of a trigger with these parameters (empty when valid). */
export function paramProblems<G>(
  gate: GateSpec<G>,
  triggerName: string,
  params: Record<string, string>,
): string[] {
  const trigger = gate.triggers.find((t) => t.name === triggerName);
  if (!trigger) throw new Error(`no trigger ${gate.name}/${triggerName}`);
  const compiled = compileTrigger(
    gate,
    trigger,
    Object.entries(params).map(([name, value]) => ({ name, value })),
  );
  return compiled.ok ? [] : compiled.problems.map((p) => p.message);
}
