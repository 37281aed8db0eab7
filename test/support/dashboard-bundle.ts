// The bundle the dashboard's tests serve, in-process (src/server/ui) and end to end (test/e2e).

const DAY_MS = 86_400_000;

/**
 * A bundle whose rules read only the image reference, so that admission decides without a registry: a
 * repository outside team/ is denied (STOP), the tag latest is a warning, and team/legacy's warning is
 * allowlisted by an item that expires in three days.
 */
export function dashboardBundle(now: number): Record<string, unknown> {
  return {
    id: "dashboard-test",
    name: "Dashboard test bundle",
    version: "1_0",
    policies: [
      {
        id: "naming",
        name: "Naming",
        version: "1_0",
        rules: [
          {
            id: "team-only",
            gate: "image_source",
            trigger: "repository_name",
            action: "STOP",
            params: [
              { name: "pattern", value: "team/[a-z]+" },
              { name: "check", value: "no_match" },
            ],
          },
          { id: "no-latest", gate: "image_source", trigger: "tag_latest", action: "WARN", params: [] },
        ],
      },
    ],
    whitelists: [
      {
        id: "exceptions",
        name: "Reviewed exceptions",
        version: "1_0",
        items: [
          {
            id: "legacy-latest",
            gate: "image_source",
            trigger_id: "*",
            expires_on: new Date(now + 3 * DAY_MS).toISOString(),
            reason: "migrating off latest",
            owner: "team-web",
            scope: { images: ["docker.io/team/legacy:*"] },
          },
          {
            id: "next-year",
            gate: "image_source",
            trigger_id: "nothing",
            expires_on: new Date(now + 400 * DAY_MS).toISOString(),
          },
        ],
      },
    ],
    mappings: [
      {
        id: "all",
        name: "Everything",
        registry: "*",
        repository: "*",
        image: { type: "tag", value: "*" },
        policy_ids: ["naming"],
        whitelist_ids: ["exceptions"],
      },
    ],
  };
}
