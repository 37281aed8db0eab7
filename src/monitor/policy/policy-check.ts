import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { CipError, isCipError } from "../../model/index.js";
import { dataNeeds } from "../../policy/data-needs.js";
import { checkImage } from "../../service/check-image.js";
import { gatherFacts } from "../../service/gather-facts.js";
import { loadBundle } from "../../service/load-bundle.js";
import type { Store } from "../../service/store-ports.js";
import { factsFromStoredReports } from "../../service/stored-report-facts.js";
import type { CheckDefinition, CheckFactory, CheckOutcome } from "../checks/check-types.js";
import type { ContainerSnapshot } from "../container-snapshot.js";
import { factsFromContainer } from "./container-facts.js";
import { failingFindings, graceFor, gracePeriodsOf } from "./grace.js";
import { runScannerReport, scannerArgv } from "./scanner-report.js";

/** The section name of the policy check in a monitor INI file. */
export const POLICY_CHECK_NAME = "cipolice.checks.PolicyCheck";

/** What the policy check needs from the monitor that runs it. */
export interface PolicyCheckDeps {
  /** Where scanner reports are read by digest, decisions recorded and grace clocks kept; absent: none. */
  store?: Store;
  /** The evaluation time (`--now` makes it fixed). */
  now(): Date;
  /** The bundle used when the section names none (the shipped default bundle). */
  defaultBundlePath: string;
}

const SETTINGS = new Set(["bundle", "namespace", "environment", "on_no_data", "scanner", "scanner_timeout"]);

/**
 * `[cipolice.checks.PolicyCheck]`: the whole policy engine as one monitor check. The container's image is
 * evaluated with a bundle (`bundle = path`, relative to the INI file; default the shipped one), from what the
 * engine says of the image plus the scanner reports stored for its digest. A pass is PASS; a fail is FAIL,
 * unless grace periods are set (`grace_critical = 1d`, `grace_high = 7d`, `grace_default = 0`): then each
 * failing finding starts a clock in the store on the first check that sees it, and the container fails only
 * once a clock has run out (PASS with the clock until then). `on_no_data = fail` fails images without
 * stored scan data when the bundle needs it; the default passes them and says so.
 */
export function policyCheckFactory(deps: PolicyCheckDeps): CheckFactory {
  return (settings, info): CheckDefinition => {
    const where = `${info.file}:${info.line} [${info.section}]`;
    const problems: string[] = [];
    const { periods, problems: graceProblems } = gracePeriodsOf(settings);
    problems.push(...graceProblems);
    const onNoData = settings.on_no_data ?? "pass";
    if (onNoData !== "pass" && onNoData !== "fail")
      problems.push(`on_no_data = ${onNoData}: write pass or fail`);
    const usesGrace = Object.values(periods).some((ms) => ms !== undefined && ms > 0);
    const scannerTimeout = settings.scanner_timeout === undefined ? 300 : Number(settings.scanner_timeout);
    if (!Number.isFinite(scannerTimeout) || scannerTimeout <= 0 || scannerTimeout > 86_400) {
      problems.push(`scanner_timeout = ${settings.scanner_timeout}: write seconds, 1 to 86400`);
    }
    if (usesGrace && deps.store === undefined) {
      problems.push("grace periods need a store to keep their clocks: give the monitor --store");
    }
    if (problems.length > 0) {
      throw new CipError("CIP_CONFIG_INVALID", `Cannot use ${where}: ${problems.join("; ")}`, {
        hint: "Fix the settings of the section, then run the monitor again.",
      });
    }
    const bundlePath = settings.bundle ? resolve(info.configDir, settings.bundle) : deps.defaultBundlePath;
    let text: string;
    try {
      text = readFileSync(bundlePath, "utf8");
    } catch (error) {
      throw new CipError(
        "CIP_CONFIG_INVALID",
        `Cannot read the bundle ${bundlePath} of ${where}: ${(error as Error).message}`,
        {
          hint: "Set bundle = a path to a policy bundle (relative to the INI file).",
        },
      );
    }
    const bundle = loadBundle(text, bundlePath);
    const context = {
      ...(settings.namespace ? { namespace: settings.namespace } : {}),
      ...(settings.environment ? { environment: settings.environment } : {}),
    };
    const unused = Object.keys(settings).filter((k) => !SETTINGS.has(k) && !k.startsWith("grace_"));
    return {
      description: `passes the policy bundle ${bundle.bundle.name ?? bundle.bundle.id}`,
      ...(unused.length > 0
        ? { warnings: [`${where}: settings ${unused.join(", ")} are not read by this check`] }
        : {}),
      run: async (container) => {
        const facts = factsFromContainer(container);
        const needsReports = dataNeeds(bundle, facts.ref, context).kinds.has("reports");
        const store = deps.store;
        let full = facts;
        // Reports of a pushed image are stored by its digest; those of a local image by its image id
        const subjects = [facts.digest, container.imageId].filter((s): s is string => s !== undefined);
        if (needsReports && store !== undefined) {
          for (const subject of subjects) {
            const stored = await store.listReports(subject);
            if (stored.length === 0) continue;
            full = { ...factsFromStoredReports(container.image, stored, facts).facts, ...pick(facts) };
            break;
          }
        }
        if (settings.scanner) {
          // A scanner run now (Trivy, Grype, …): its report decides, over what the store holds
          const argv = scannerArgv(settings.scanner, container, facts.digest, info.configDir);
          const text = await runScannerReport(argv, scannerTimeout * 1000, where);
          full = {
            ...gatherFacts({
              image: container.image,
              imageFacts: full,
              reports: [{ text, source: `${argv[0]} report` }],
              vex: [],
            }).facts,
            ...pick(facts),
          };
        }
        if (needsReports && full.vulnerabilities === undefined && full.packages === undefined) {
          const why =
            store === undefined
              ? "the monitor has no --store to read scan data from"
              : `no scan data is stored for ${subjects.join(" or ")}`;
          return onNoData === "fail"
            ? { result: "FAIL", message: `not decided: ${why}` }
            : { result: "PASS", message: `not decided (on_no_data = pass): ${why}` };
        }
        const now = deps.now();
        const decision = checkImage(bundle, full, { now, ...context });
        await record(store, container, decision, now);
        const subject = facts.digest ?? container.imageId;
        if (decision.status !== "fail") {
          if (usesGrace) await store?.stopGraceClocks(subject, []);
          return { result: "PASS", message: `passes ${decision.bundle.name ?? decision.bundle.id}` };
        }
        const findings = failingFindings(decision, full);
        const summary = findings
          .slice(0, 5)
          .map((f) => f.message)
          .join("; ");
        if (!usesGrace || store === undefined) {
          return {
            result: "FAIL",
            message: `fails ${decision.bundle.name ?? decision.bundle.id}: ${summary}`,
          };
        }
        return graceOutcome(store, subject, findings, periods, now, summary);
      },
    };
  };
}

/** Keeps what the engine said of the image over what reports say (the running image is the truth). */
function pick(facts: ReturnType<typeof factsFromContainer>) {
  return {
    ref: facts.ref,
    imageId: facts.imageId,
    ...(facts.digest !== undefined ? { digest: facts.digest } : {}),
    ...(facts.config !== undefined ? { config: facts.config } : {}),
  };
}

/** Starts the clocks of new findings, stops those of findings gone, and fails once one has run out. */
async function graceOutcome(
  store: Store,
  subject: string,
  findings: ReturnType<typeof failingFindings>,
  periods: ReturnType<typeof gracePeriodsOf>["periods"],
  now: Date,
  summary: string,
): Promise<CheckOutcome> {
  const clocks = await store.startGraceClocks(
    subject,
    findings.map((f) => ({
      finding: f.finding,
      severity: f.severity,
      startedAt: now.toISOString(),
      endsAt: new Date(now.getTime() + graceFor(periods, f.severity)).toISOString(),
    })),
  );
  await store.stopGraceClocks(
    subject,
    findings.map((f) => f.finding),
  );
  const current = new Set(findings.map((f) => f.finding));
  const running = clocks.filter((c) => current.has(c.finding));
  const over = running.filter((c) => Date.parse(c.endsAt) <= now.getTime());
  if (over.length > 0) {
    const which = over.slice(0, 5).map((c) => `${c.finding} (${c.severity}, grace ended ${c.endsAt})`);
    return { result: "FAIL", message: `fails the policy and its grace period is over: ${which.join("; ")}` };
  }
  const until = running.map((c) => c.endsAt).sort()[0] ?? now.toISOString();
  return {
    result: "PASS",
    message: `fails the policy (${findings.length} finding(s): ${summary}); in grace until ${until}, not enforced yet`,
  };
}

/** Records the decision with origin `monitor`, so the dashboard and `status` show it; a store failure is said, not fatal. */
async function record(
  store: Store | undefined,
  container: ContainerSnapshot,
  decision: ReturnType<typeof checkImage>,
  now: Date,
): Promise<void> {
  if (store === undefined) return;
  try {
    await store.recordDecision({
      decisionId: decision.decisionId ?? randomUUID(),
      image: container.image,
      ...(decision.image?.digest ? { digest: decision.image.digest } : {}),
      outcome: decision.status === "fail" ? "fail" : "pass",
      origin: "monitor",
      decidedAt: now.toISOString(),
      decision,
    });
  } catch (error) {
    if (!isCipError(error)) throw error;
  }
}
