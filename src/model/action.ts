/** A rule's action, and the final action of a decision. Order: stop < warn < go. */
export type Action = "stop" | "warn" | "go";

const ACTION_RANK: Record<Action, number> = { stop: -1, warn: 0, go: 1 };

/** The most severe of two actions (stop beats warn beats go). */
export function worstAction(a: Action, b: Action): Action {
  return ACTION_RANK[a] <= ACTION_RANK[b] ? a : b;
}

/** True when `a` is at least as severe as `b`. */
export function actionAtLeast(a: Action, b: Action): boolean {
  return ACTION_RANK[a] <= ACTION_RANK[b];
}
