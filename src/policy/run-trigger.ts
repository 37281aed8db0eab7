import type { ImageFacts, VexAssessment } from "../model/index.js";
import type { GateSpec, TriggerEvaluator, TriggerSpec } from "./gate-types.js";
import { defaultTriggerId } from "./trigger-id.js";

/** One trigger hit with its final trigger id. */
export interface FiredHit {
  triggerId: string;
  message: string;
}

/**
 * Runs a compiled trigger against one image and returns its hits with trigger ids: the explicit instance
 * id, else the trigger's fixed id, else md5(gate + trigger + message) as anchore-engine computes it.
 */
export function runTrigger<G>(
  gate: GateSpec<G>,
  trigger: TriggerSpec<G>,
  evaluator: TriggerEvaluator<G>,
  facts: ImageFacts,
  gateData: G,
  now: Date,
  ruleId?: string,
): FiredHit[] {
  const hits: FiredHit[] = [];
  runTriggerInto(gate, trigger, evaluator, facts, gateData, now, ruleId, (triggerId, message) => {
    hits.push({ triggerId, message });
  });
  return hits;
}

/** As runTrigger, but hands each hit to `emit` instead of collecting them (the engine's hot path). */
export function runTriggerInto<G>(
  gate: GateSpec<G>,
  trigger: TriggerSpec<G>,
  evaluator: TriggerEvaluator<G>,
  facts: ImageFacts,
  gateData: G,
  now: Date,
  ruleId: string | undefined,
  emit: (triggerId: string, message: string, vex?: VexAssessment) => void,
  onNoData: (reason: string) => void = () => {},
  bundleDigest?: string,
): void {
  evaluator({
    facts,
    gate: gateData,
    now,
    ...(ruleId !== undefined ? { ruleId } : {}),
    ...(bundleDigest !== undefined ? { bundleDigest } : {}),
    fire(hit) {
      const triggerId =
        hit.instanceId || trigger.fixedId || defaultTriggerId(gate.name, trigger.name, hit.message);
      emit(triggerId, hit.message, hit.vex);
    },
    noData: onNoData,
  });
}
