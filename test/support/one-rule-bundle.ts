/** A bundle document with one policy `p` of one rule `r` and a mapping that selects every image. */
export function oneRuleBundle(
  gate: string,
  trigger: string,
  params: Record<string, string>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: "b",
    version: "1_0",
    policies: [
      {
        id: "p",
        version: "1_0",
        rules: [
          {
            id: "r",
            gate,
            trigger,
            action: "STOP",
            params: Object.entries(params).map(([name, value]) => ({ name, value })),
          },
        ],
      },
    ],
    whitelists: [],
    mappings: [{ registry: "*", repository: "*", image: { type: "tag", value: "*" }, policy_id: "p" }],
    ...extra,
  };
}

/** One rule of {@link bundleOfRules}: gate, trigger, parameters (action STOP). */
export type RuleSpec = [gate: string, trigger: string, params?: Record<string, string>];

/**
 * A bundle document `id` with one policy of the given STOP rules and a mapping that selects every image,
 * with the allowlists given (each mapped).
 */
export function bundleOfRules(
  id: string,
  rules: readonly RuleSpec[],
  allowlists: readonly { id: string; name?: string; items: Record<string, unknown>[] }[] = [],
): Record<string, unknown> {
  return {
    id,
    name: id,
    version: "1_0",
    policies: [
      {
        id: `${id}-policy`,
        name: id,
        version: "1_0",
        rules: rules.map(([gate, trigger, params = {}], i) => ({
          id: `${id}-${i}`,
          gate,
          trigger,
          action: "STOP",
          params: Object.entries(params).map(([name, value]) => ({ name, value })),
        })),
      },
    ],
    whitelists: allowlists.map((a) => ({ version: "1_0", ...a })),
    mappings: [
      {
        id: "all",
        name: "all",
        registry: "*",
        repository: "*",
        image: { type: "tag", value: "*" },
        policy_ids: [`${id}-policy`],
        whitelist_ids: allowlists.map((a) => a.id),
      },
    ],
  };
}
