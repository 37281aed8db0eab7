import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import type { ImageRule, Mapping } from "../model/bundle.js";
import {
  firstMatchingMapping,
  imageRuleMatches,
  type MatchContext,
  type MatchTarget,
  mappingSelects,
} from "./image-match.js";

interface RawMapping extends ImageRule {
  policy_ids: string[];
  namespaces?: string[];
  environments?: string[];
}

interface Case {
  name: string;
  from: string;
  rule?: ImageRule;
  mappings?: RawMapping[];
  tag?: string;
  imageId?: string;
  digest?: string;
  target?: MatchTarget;
  context?: MatchContext;
  match?: boolean;
  selected?: number | null;
}

const table = JSON.parse(
  readFileSync(new URL("../../test/cases/mapping-rules.json", import.meta.url), "utf8"),
) as {
  cases: Case[];
};

/** Reads a reference as anchore's matcher does: the `dockerhub/` rewrite, then parse_dockerimage_string(strict=False). */
function anchoreTarget(tag: string, imageId?: string, digest?: string): MatchTarget {
  const text = (tag.startsWith("dockerhub/") ? tag.replaceAll("dockerhub/", "docker.io/") : tag).trim();
  if (/^sha256:/.test(text) || /^[0-9a-fA-F]{64}$/.test(text))
    throw new Error(`anchore has no repository for ${text}`);
  let registry = "docker.io";
  let remain = text;
  const slash = text.indexOf("/");
  if (slash >= 0) {
    const first = text.slice(0, slash);
    if (
      first.includes(":") ||
      first === "docker.io" ||
      ["localhost", "localhost.localdomain", "localbuild"].includes(first)
    ) {
      registry = first;
      remain = text.slice(slash + 1);
    } else if (first.includes(".")) {
      registry = first;
      remain = text.slice(slash + 1);
    }
  }
  // anchore's greedy `(.*)@(.*)` and `(.*):(.*)` split at the last separator.
  const at = remain.lastIndexOf("@");
  if (at >= 0) return { registry, repository: remain.slice(0, at), imageId, digest };
  const colon = remain.lastIndexOf(":");
  const repository = colon >= 0 ? remain.slice(0, colon) : remain;
  const parsedTag = colon >= 0 ? remain.slice(colon + 1) : "";
  return { registry, repository, tag: parsedTag || "latest", imageId, digest };
}

function targetOf(c: Case): MatchTarget {
  if (c.target) return c.target;
  if (c.tag === undefined) throw new Error(`case "${c.name}" has neither tag nor target`);
  return anchoreTarget(c.tag, c.imageId, c.digest);
}

function toMapping(raw: RawMapping): Mapping {
  const { policy_ids, ...rest } = raw;
  return { ...rest, policyIds: policy_ids, allowlistIds: [] };
}

describe("mapping-rules table (test/cases/mapping-rules.json)", () => {
  for (const c of table.cases) {
    test(`${c.name} [${c.from.split("::").pop()}]`, () => {
      const target = targetOf(c);
      if (c.rule) {
        assert.equal(
          imageRuleMatches(c.rule, target),
          c.match,
          `rule ${JSON.stringify(c.rule)} on ${JSON.stringify(target)}`,
        );
      } else {
        const found = firstMatchingMapping((c.mappings ?? []).map(toMapping), target, c.context ?? {});
        assert.equal(found?.index ?? null, c.selected);
      }
    });
  }
});

describe("anchore's reference parsing, as the table reads it", () => {
  test("docker.io short names keep no library/ prefix", () => {
    assert.deepEqual(anchoreTarget("nginx"), {
      registry: "docker.io",
      repository: "nginx",
      tag: "latest",
      imageId: undefined,
      digest: undefined,
    });
    assert.equal(anchoreTarget("docker.io/nginx:1.25").repository, "nginx");
    assert.equal(anchoreTarget("library/nginx").repository, "library/nginx");
  });

  test("the placeholder */*:* is a docker.io repository named */*", () => {
    assert.deepEqual(
      { ...anchoreTarget("*/*:*") },
      { registry: "docker.io", repository: "*/*", tag: "*", imageId: undefined, digest: undefined },
    );
  });

  test("a first component with a dot or port is the registry; a digest drops the tag", () => {
    assert.equal(anchoreTarget("quay.io/coreos/etcd:v3").registry, "quay.io");
    assert.equal(anchoreTarget("myhost:5000/app").registry, "myhost:5000");
    assert.equal(anchoreTarget("gcr.io/x/app@sha256:abc").tag, undefined);
  });
});

describe("imageRuleMatches", () => {
  const hub: MatchTarget = {
    registry: "docker.io",
    repository: "library/nginx",
    tag: "1.25",
    digest: "sha256:aa",
  };

  test("allowed/denied image rules (no policy ids) match like mappings", () => {
    const denied: ImageRule = {
      registry: "docker.io",
      repository: "nginx",
      image: { type: "tag", value: "1.*" },
    };
    assert.equal(imageRuleMatches(denied, hub), true);
    assert.equal(imageRuleMatches({ ...denied, image: { type: "digest", value: "sha256:aa" } }, hub), true);
    assert.equal(imageRuleMatches({ ...denied, image: { type: "digest", value: "sha256:ab" } }, hub), false);
  });

  test("a library/ rule does not match a short name that another parser left unprefixed", () => {
    const rule: ImageRule = {
      registry: "docker.io",
      repository: "library/nginx",
      image: { type: "tag", value: "*" },
    };
    assert.equal(
      imageRuleMatches(rule, { registry: "docker.io", repository: "nginx", tag: "latest" }),
      false,
    );
  });

  test("a regexp: repository pattern sees both forms of an official image", () => {
    const rule: ImageRule = {
      registry: "*",
      repository: "regexp:^[a-z]+$",
      image: { type: "tag", value: "*" },
    };
    assert.equal(imageRuleMatches(rule, hub), true);
  });
});

describe("mappingSelects and firstMatchingMapping", () => {
  const base = {
    registry: "*",
    repository: "*",
    image: { type: "tag" as const, value: "*" },
    allowlistIds: [],
  };
  const scoped: Mapping = {
    ...base,
    name: "scoped",
    policyIds: ["strict"],
    namespaces: ["kube-*"],
    environments: ["prod"],
  };
  const fallback: Mapping = { ...base, name: "default", policyIds: ["default"] };
  const target: MatchTarget = { registry: "docker.io", repository: "library/busybox", tag: "1" };

  test("the context is optional and then only unscoped mappings match", () => {
    assert.equal(mappingSelects(scoped, target), false);
    assert.equal(mappingSelects(fallback, target), true);
  });

  test("returns the mapping object itself with its index", () => {
    const mappings = [scoped, fallback];
    const found = firstMatchingMapping(mappings, target, { namespace: "kube-system", environment: "prod" });
    assert.equal(found?.mapping, scoped);
    assert.equal(found?.index, 0);
    assert.equal(
      firstMatchingMapping(mappings, target, { namespace: "kube-system", environment: "dev" })?.mapping,
      fallback,
    );
  });

  test("many mappings mixing wildcard and regexp: tags select the right one for every target", () => {
    const mappings: Mapping[] = Array.from({ length: 20 }, (_, i) => ({
      ...base,
      repository: `team-${i}/*`,
      image: { type: "tag", value: i % 2 ? "v*" : "regexp:^release-[0-9]+" },
      policyIds: [`p${i}`],
    }));
    mappings.push(fallback);
    let hits = 0;
    for (let n = 0; n < 20_000; n++) {
      const found = firstMatchingMapping(mappings, {
        registry: "registry.local",
        repository: `team-${n % 25}/svc`,
        tag: `v${n}`,
      });
      if (found && found.index < 20) hits++;
    }
    assert.equal(hits, 20_000 * (10 / 25));
  });
});

describe("an image known only by its digest (a Clair v4 report's manifest_hash)", () => {
  const digest = `sha256:${"d".repeat(64)}`;
  const digestOnly: MatchTarget = { registry: "", repository: "", digest };
  const rule = (registry: string, repository: string, image: ImageRule["image"]): ImageRule => ({
    registry,
    repository,
    image,
  });

  test("an all-wildcard mapping selects it, as the default bundle's does", () => {
    assert.equal(imageRuleMatches(rule("*", "*", { type: "tag", value: "*" }), digestOnly), true);
    assert.equal(imageRuleMatches(rule("**", "*", { type: "tag", value: "*" }), digestOnly), true);
  });

  test("a rule naming a registry or a repository does not", () => {
    assert.equal(imageRuleMatches(rule("docker.io", "*", { type: "tag", value: "*" }), digestOnly), false);
    assert.equal(imageRuleMatches(rule("*", "library/*", { type: "tag", value: "*" }), digestOnly), false);
    assert.equal(imageRuleMatches(rule("dockerhub", "*", { type: "tag", value: "*" }), digestOnly), false);
    // A regexp: pattern that happens to match an empty name must not catch an unnamed image.
    assert.equal(imageRuleMatches(rule("regexp:(q)?", "*", { type: "tag", value: "*" }), digestOnly), false);
  });

  test("a specific tag does not select it (it has none); a digest rule picks it out exactly", () => {
    assert.equal(imageRuleMatches(rule("*", "*", { type: "tag", value: "latest" }), digestOnly), false);
    assert.equal(imageRuleMatches(rule("*", "*", { type: "digest", value: digest }), digestOnly), true);
    assert.equal(
      imageRuleMatches(rule("*", "*", { type: "digest", value: `sha256:${"e".repeat(64)}` }), digestOnly),
      false,
    );
  });

  test("firstMatchingMapping skips a registry-scoped mapping for the catch-all one", () => {
    const scoped: Mapping = {
      ...rule("ghcr.io", "*", { type: "tag", value: "*" }),
      policyIds: ["ghcr"],
      allowlistIds: [],
    };
    const all: Mapping = {
      ...rule("*", "*", { type: "tag", value: "*" }),
      policyIds: ["all"],
      allowlistIds: [],
    };
    assert.equal(firstMatchingMapping([scoped, all], digestOnly)?.index, 1);
    assert.equal(firstMatchingMapping([scoped], digestOnly), undefined);
  });
});

describe("namespace_labels and annotations select mappings (matchLabels, with wildcards)", () => {
  const base = {
    registry: "*",
    repository: "*",
    image: { type: "tag" as const, value: "*" },
    allowlistIds: [],
  };
  const prod: Mapping = { ...base, name: "prod", policyIds: ["strict"], namespaceLabels: { tier: "prod*" } };
  const strict: Mapping = {
    ...base,
    name: "strict",
    policyIds: ["strict"],
    annotations: { "cipolice.io/profile": "strict" },
  };
  const fallback: Mapping = { ...base, name: "default", policyIds: ["default"] };
  const target: MatchTarget = { registry: "docker.io", repository: "library/busybox", tag: "1" };

  test("a namespace whose labels match selects the mapping; other values, another key, or none do not", () => {
    assert.equal(mappingSelects(prod, target, { namespaceLabels: { tier: "production" } }), true);
    assert.equal(mappingSelects(prod, target, { namespaceLabels: { tier: "prod", team: "a" } }), true);
    assert.equal(mappingSelects(prod, target, { namespaceLabels: { tier: "staging" } }), false);
    assert.equal(mappingSelects(prod, target, { namespaceLabels: { team: "production" } }), false);
    assert.equal(mappingSelects(prod, target, { namespaceLabels: {} }), false);
  });

  test("label values are compared with case, as Kubernetes does", () => {
    assert.equal(mappingSelects(prod, target, { namespaceLabels: { tier: "Production" } }), false);
    assert.equal(mappingSelects(prod, target, { namespaceLabels: { Tier: "production" } }), false);
  });

  test("every listed key must match; `*` needs the key present, even with an empty value", () => {
    const both: Mapping = { ...prod, namespaceLabels: { tier: "prod*", team: "*" } };
    assert.equal(mappingSelects(both, target, { namespaceLabels: { tier: "prod" } }), false);
    assert.equal(mappingSelects(both, target, { namespaceLabels: { tier: "prod", team: "" } }), true);
  });

  test("a regexp: value pattern works as elsewhere", () => {
    const re: Mapping = { ...prod, namespaceLabels: { tier: "regexp:(prod|live)$" } };
    assert.equal(mappingSelects(re, target, { namespaceLabels: { tier: "live" } }), true);
    assert.equal(mappingSelects(re, target, { namespaceLabels: { tier: "dev" } }), false);
  });

  test("with no labels or annotations known (a CI run) a selecting mapping never matches", () => {
    assert.equal(mappingSelects(prod, target, { namespace: "payments" }), false);
    assert.equal(mappingSelects(strict, target, {}), false);
    assert.equal(firstMatchingMapping([prod, strict, fallback], target)?.mapping, fallback);
  });

  test("a label key named like an Object property is not read from the prototype", () => {
    const proto: Mapping = { ...prod, namespaceLabels: { constructor: "*", toString: "*" } };
    assert.equal(mappingSelects(proto, target, { namespaceLabels: {} }), false);
  });

  test("pod annotations select the first mapping that asks for them; without them the default applies", () => {
    const mappings = [prod, strict, fallback];
    const annotated = { annotations: { "cipolice.io/profile": "strict", other: "x" } };
    assert.equal(firstMatchingMapping(mappings, target, annotated)?.mapping, strict);
    assert.equal(
      firstMatchingMapping(mappings, target, { annotations: { "cipolice.io/profile": "lax" } })?.mapping,
      fallback,
    );
    assert.equal(firstMatchingMapping(mappings, target, { annotations: {} })?.mapping, fallback);
  });

  test("labels and namespaces together: both must match", () => {
    const scoped: Mapping = { ...prod, namespaces: ["pay*"] };
    const labels = { tier: "production" };
    assert.equal(mappingSelects(scoped, target, { namespace: "payments", namespaceLabels: labels }), true);
    assert.equal(mappingSelects(scoped, target, { namespace: "sandbox", namespaceLabels: labels }), false);
  });
});
