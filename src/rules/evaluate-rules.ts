import type { RuleAction, RuleMessage, RuleSet, SourcePosition } from "./rule-types.js";

/** What a message makes a rule set do, before anything runs. */
export interface ActionPlan {
  /** The actions of every matching rule, in file order, up to the first `break` (not included). */
  actions: RuleAction[];
  /** Why conditions could not decide (`clair.rules:1:1: level is not in the message`); each is a non-match. */
  notices: string[];
  /** Where the `break` that ended the processing is, when one did. */
  stoppedAt?: SourcePosition;
  /** Where each rule that matched starts, in order. */
  matched: SourcePosition[];
}

/**
 * Evaluates the rules in order over a message, as CIPolicE did: each matching rule contributes its actions in
 * order; a `break` among them stops everything after it, the later rules included, which are then not even
 * evaluated. Pure: the actions are returned as data for runActions.
 */
export function planActions(ruleSet: RuleSet, message: RuleMessage): ActionPlan {
  const plan: ActionPlan = { actions: [], notices: [], matched: [] };
  for (const rule of ruleSet.rules) {
    const where = `${rule.at.file}:${rule.at.line}:${rule.at.column}`;
    let result: { matched: boolean; notice?: string };
    try {
      result = rule.condition.test(message);
    } catch (error) {
      // A condition must never stop the other rules: an unexpected failure is a non-match, said as such.
      result = { matched: false, notice: `the condition failed: ${(error as Error).message}` };
    }
    if (result.notice) plan.notices.push(`${where}: ${result.notice}`);
    if (!result.matched) continue;
    plan.matched.push(rule.at);
    for (const action of rule.actions) {
      if (action.kind === "break") {
        plan.stoppedAt = action.at;
        return plan;
      }
      plan.actions.push(action);
    }
  }
  return plan;
}
