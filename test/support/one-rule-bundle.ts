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
