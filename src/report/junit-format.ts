import type { Bundle, DecisionV1, PolicyRule, ResultRow } from "../model/index.js";
import { imageRepositoryName } from "./image-name.js";
import type { ReportOptions } from "./report-options.js";
import { vexSuppressed } from "./vex-suppressed.js";

/** Longest `message` attribute; the element text always carries the whole message. */
const MESSAGE_ATTRIBUTE_MAX = 1000;

type Outcome =
  | { kind: "failure"; type: string; message: string; text: string }
  | { kind: "error"; type: string; message: string; text: string }
  | { kind: "skipped"; message: string }
  | { kind: "passed"; out?: string };

interface Case {
  name: string;
  classname: string;
  outcome: Outcome;
}

interface Suite {
  name: string;
  properties: [string, string][];
  cases: Case[];
}

/**
 * The decision as JUnit XML in the shape Jenkins and GitLab read: a `CIPolicE verdict` suite with one test case
 * for the final action (failing when the decision fails, so a clean image still shows one passing test), then one
 * suite per evaluated policy with one test case per result row: STOP is a failure, an error row an error,
 * allowlisted and VEX-suppressed rows are skipped (the message says by what), WARN and GO rows pass with their
 * message in system-out. Given `options.bundle` (the decision's bundle), each rule that did not fire is one more
 * passing test. Test case names carry the trigger id an allowlist item would match.
 */
export function formatJunit(decision: DecisionV1, options: ReportOptions): string {
  // Only the bundle the decision was made with can say which rules ran and did not fire.
  const bundle = options.bundle?.id === decision.bundle.id ? options.bundle : undefined;
  const suites = [verdictSuite(decision), ...policySuites(decision, bundle)];
  const total = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const s of suites) {
    const c = counts(s.cases);
    total.tests += c.tests;
    total.failures += c.failures;
    total.errors += c.errors;
    total.skipped += c.skipped;
  }
  // The common XSD wants a local date-time without zone; evaluatedAt is UTC.
  const timestamp = decision.evaluatedAt.replace(/(\.\d+)?Z$/, "");
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: `CIPolicE ${decision.image.ref}`, ...numbers(total), time: "0" })}>`,
  ];
  for (const s of suites) {
    const c = counts(s.cases);
    out.push(
      `  <testsuite${attrs({ name: s.name, ...numbers(c), time: "0", timestamp, hostname: "localhost" })}>`,
    );
    if (s.properties.length === 0) out.push("    <properties/>");
    else {
      out.push("    <properties>");
      for (const [name, value] of s.properties) out.push(`      <property${attrs({ name, value })}/>`);
      out.push("    </properties>");
    }
    for (const tc of s.cases) out.push(...testcase(tc));
    out.push("  </testsuite>");
  }
  out.push("</testsuites>");
  return `${out.join("\n")}\n`;
}

function verdictSuite(d: DecisionV1): Suite {
  const properties: [string, string][] = [
    ["image", d.image.ref],
    ...optional("image.digest", d.image.digest),
    ["bundle.id", d.bundle.id],
    ...optional("bundle.name", d.bundle.name),
    ["bundle.digest", d.bundle.digest],
    ...optional(
      "mapping",
      d.mapping ? (d.mapping.name ?? d.mapping.id ?? `#${d.mapping.index + 1}`) : undefined,
    ),
    ["decision.id", d.decisionId],
    ["final.action", d.finalAction],
    ["status", d.status],
    ["reason", d.reason],
    ["evaluated.at", d.evaluatedAt],
  ];
  const summary = verdictText(d);
  const problems = d.problems.map((p) => `${p.level} ${p.code}: ${p.message}`);
  const outcome: Outcome =
    d.status === "fail"
      ? { kind: "failure", type: d.finalAction, message: summary, text: [summary, ...problems].join("\n") }
      : { kind: "passed", out: [summary, ...problems].join("\n") };
  return {
    name: "CIPolicE verdict",
    properties,
    // The name leaves out tag and digest so GitLab can compare the same test across pipelines.
    cases: [
      {
        name: `final action for ${imageRepositoryName(d.image)}`,
        classname: "cipolice.verdict",
        outcome,
      },
    ],
  };
}

function verdictText(d: DecisionV1): string {
  const rule = d.deniedImage ?? d.allowedImage;
  const by = rule ? ` by image rule ${rule.name ?? rule.id ?? `${rule.registry}/${rule.repository}`}` : "";
  return `${d.status.toUpperCase()}: final action ${d.finalAction.toUpperCase()} (${d.reason.replaceAll("_", " ")}${by}) for ${d.image.ref}`;
}

function policySuites(d: DecisionV1, bundle: Bundle | undefined): Suite[] {
  // Evaluated policies first in their order (so a policy without hits still shows), then any other policy id seen.
  const names = new Map<string, string | undefined>(d.policies.map((p) => [p.id, p.name]));
  for (const r of d.results) if (!names.has(r.policyId)) names.set(r.policyId, r.policyName);
  return [...names].map(([id, name]) => {
    const rows = d.results.filter((r) => r.policyId === id);
    const quiet = silentRules(bundle, id, rows).map((rule): Case => {
      // Problems naming the rule (a retired gate, say) tell why it may not have run.
      const notes = d.problems
        .filter((p) => rule.id !== undefined && p.policyId === id && p.ruleId === rule.id)
        .map((p) => `${p.level} ${p.code}: ${p.message}`);
      const out = [`PASS: rule did not fire`, ruleText(id, rule), ...notes].join("\n");
      return {
        name: `${rule.id ?? rule.trigger} did not fire`,
        classname: `${id}.${rule.gate}`,
        outcome: { kind: "passed", out },
      };
    });
    const all = [
      ...rows.map((r) => ({
        name: `${r.ruleId ?? r.trigger} ${r.triggerId}`,
        classname: `${id}.${r.gate}`,
        outcome: rowOutcome(r),
      })),
      ...quiet,
    ];
    // GitLab keeps only the first of equal names, so repeats get a counter.
    const seen = new Map<string, number>();
    const cases = all.map((c) => {
      const key = `${c.classname}\u0000${c.name}`;
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      return n === 1 ? c : { ...c, name: `${c.name} (${n})` };
    });
    return {
      name: name ? `${name} (${id})` : id,
      properties: [["policy.id", id], ...optional("policy.name", name)],
      cases,
    };
  });
}

/** Rules of the policy with no result row: with the bundle at hand they show as passing tests. */
function silentRules(bundle: Bundle | undefined, policyId: string, rows: ResultRow[]): PolicyRule[] {
  const policy = bundle?.policies.find((p) => p.id === policyId);
  if (!policy) return [];
  const fired = new Set(rows.map((r) => r.ruleId));
  const firedUnnamed = new Set(
    rows.filter((r) => r.ruleId === undefined).map((r) => `${r.gate}/${r.trigger}`),
  );
  // A rule without an id is matched by gate and trigger, the most its rows say about it.
  return policy.rules.filter((r) =>
    r.id === undefined ? !firedUnnamed.has(`${r.gate}/${r.trigger}`) : !fired.has(r.id),
  );
}

function ruleText(policyId: string, rule: PolicyRule): string {
  const params = rule.params.map((p) => `${p.name}=${p.value}`).join(", ");
  return `policy ${policyId}${rule.id ? ` rule ${rule.id}` : ""}, gate ${rule.gate}, trigger ${rule.trigger}, action ${rule.action.toLowerCase()}${params ? `, params ${params}` : ""}`;
}

function rowOutcome(r: ResultRow): Outcome {
  const where = `policy ${r.policyId}${r.ruleId ? ` rule ${r.ruleId}` : ""}, gate ${r.gate}, trigger ${r.trigger}, trigger id ${r.triggerId}`;
  if (r.allowlisted) {
    const a = r.allowlisted;
    const extra = [
      a.reason ? `reason: ${a.reason}` : "",
      a.owner ? `owner: ${a.owner}` : "",
      a.ticket ? `ticket: ${a.ticket}` : "",
      a.expiresOn ? `expires: ${a.expiresOn}` : "",
    ].filter(Boolean);
    return {
      kind: "skipped",
      message: `allowlisted by ${a.allowlistName ?? a.allowlistId} item ${a.itemId}${extra.length ? ` (${extra.join(", ")})` : ""}: ${r.message}`,
    };
  }
  if (vexSuppressed(r)) {
    const v = r.vex;
    const detail = [v?.justification, v?.document].filter(Boolean).join(", ");
    return {
      kind: "skipped",
      message: `suppressed by VEX ${v?.status}${detail ? ` (${detail})` : ""}: ${r.message}`,
    };
  }
  if (r.status === "error") {
    const type = r.errorCode ?? "error";
    return { kind: "error", type, message: r.message, text: `${r.message}\n${where}` };
  }
  if (r.effectiveAction === "stop") {
    return { kind: "failure", type: "stop", message: r.message, text: `STOP: ${r.message}\n${where}` };
  }
  // WARN and GO do not fail the gate, so they pass: a failure would mark Jenkins builds unstable on every warning.
  return { kind: "passed", out: `${r.effectiveAction.toUpperCase()}: ${r.message}\n${where}` };
}

function testcase(tc: Case): string[] {
  const open = `    <testcase${attrs({ name: tc.name, classname: tc.classname, time: "0" })}`;
  const o = tc.outcome;
  if (o.kind === "passed") {
    return o.out === undefined
      ? [`${open}/>`]
      : [`${open}>`, `      <system-out>${text(o.out)}</system-out>`, "    </testcase>"];
  }
  if (o.kind === "skipped") {
    // Jenkins shows the message attribute, GitLab the element text: give both.
    return [
      `${open}>`,
      `      <skipped${attrs({ message: clip(o.message) })}>${text(o.message)}</skipped>`,
      "    </testcase>",
    ];
  }
  return [
    `${open}>`,
    `      <${o.kind}${attrs({ message: clip(o.message), type: o.type })}>${text(o.text)}</${o.kind}>`,
    "    </testcase>",
  ];
}

function counts(cases: Case[]) {
  const of = (kind: Outcome["kind"]) => cases.filter((c) => c.outcome.kind === kind).length;
  return { tests: cases.length, failures: of("failure"), errors: of("error"), skipped: of("skipped") };
}

function numbers(c: {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}): Record<string, string> {
  return { tests: `${c.tests}`, failures: `${c.failures}`, errors: `${c.errors}`, skipped: `${c.skipped}` };
}

function optional(name: string, value: string | undefined): [string, string][] {
  return value === undefined ? [] : [[name, value]];
}

function clip(s: string): string {
  const chars = [...s];
  return chars.length <= MESSAGE_ATTRIBUTE_MAX ? s : `${chars.slice(0, MESSAGE_ATTRIBUTE_MAX - 1).join("")}…`;
}

function attrs(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => ` ${k}="${attribute(v)}"`)
    .join("");
}

// XML 1.0 Char production: tab, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD, U+10000–U+10FFFF; lone surrogates included.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

// Characters XML 1.0 forbids become U+FFFD: a parser would reject the whole report.
function xmlSafe(s: string): string {
  return s.replace(NOT_XML_CHAR, "\uFFFD");
}

function text(s: string): string {
  // CR is escaped so parsers do not fold CRLF into LF.
  return xmlSafe(s)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\r/g, "&#13;");
}

function attribute(s: string): string {
  // Tabs and line breaks as references, or attribute-value normalisation turns them into spaces.
  return text(s).replace(/"/g, "&quot;").replace(/\t/g, "&#9;").replace(/\n/g, "&#10;");
}
