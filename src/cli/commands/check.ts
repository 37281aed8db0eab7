import { existsSync } from "node:fs";
import { Command, Option } from "@commander-js/extra-typings";
import { CipError, type Problem } from "../../model/index.js";
import { REPORT_FORMAT_NAMES, type ReportFormatName } from "../../report/format-names.js";
import { EXIT } from "../exit-codes.js";
import {
  ANALYZE_OPTIONS,
  collect,
  GATHER_OPTIONS,
  gatherInput,
  gatherWithProgress,
  imageInputsFor,
} from "../gather-options.js";
import { inputPaths } from "../input-paths.js";
import { outputTo, useColor } from "../output.js";
import { DEFAULT_MAX_INPUT_BYTES, parseByteSize, readInputFile } from "../read-input.js";
import { reportTargets } from "../report-targets.js";
import { DEFAULT_BUNDLE_PATH } from "../shipped-files.js";
import { checkSignOptions, signAfterCheck } from "../sign-after-check.js";
import { parseNow } from "./parse-now.js";

/** `cipolice check`: evaluate an image's facts with a policy bundle; exit 0 pass, 1 policy failure, 2 cannot evaluate. */
export function checkCommand(setExitCode: (code: number) => void, mode: "check" | "explain" = "check") {
  const explainOnly = mode === "explain";
  return new Command(mode)
    .description(
      explainOnly
        ? "Say why an image gets its decision: mapping, policies, each rule and what suppressed it (exit 0, or 2 when it cannot evaluate)"
        : "Decide whether an image passes a policy (exit 0 pass, 1 policy failure, 2 cannot evaluate)",
    )
    .argument("[image]", "the image being checked (reports about another image give a warning)")
    .addOption(GATHER_OPTIONS[0])
    .addOption(GATHER_OPTIONS[1])
    .addOption(GATHER_OPTIONS[2])
    .addOption(GATHER_OPTIONS[3])
    .addOption(GATHER_OPTIONS[4])
    .addOption(GATHER_OPTIONS[5])
    .addOption(GATHER_OPTIONS[6])
    .addOption(GATHER_OPTIONS[7])
    .addOption(GATHER_OPTIONS[8])
    .addOption(GATHER_OPTIONS[9])
    .addOption(GATHER_OPTIONS[10])
    .addOption(GATHER_OPTIONS[11])
    .addOption(GATHER_OPTIONS[12])
    .addOption(GATHER_OPTIONS[13])
    .addOption(ANALYZE_OPTIONS[0])
    .addOption(ANALYZE_OPTIONS[1])
    .option("--policy <file>", "policy bundle (JSON or YAML; Anchore v1_0 bundles load unchanged)")
    .option("--whitelist <file|json://…>", "a clair-cicd whitelist, used as the policy instead of --policy")
    .addOption(
      new Option("--format <name[=file]>", `output format, repeatable: ${REPORT_FORMAT_NAMES.join(", ")}`)
        .argParser(collect)
        .default([] as string[]),
    )
    .addOption(
      new Option("--output <file>", "where the format of the same position goes (default: standard output)")
        .argParser(collect)
        .default([] as string[]),
    )
    .option(
      "--explain",
      "also say why: mapping, policies, rules, allowlist items and VEX statements behind each result",
    )
    .option("--quiet", "print only the summary line (PASS or FAIL and the counts) instead of the table")
    .addOption(
      new Option(
        "--fail-on <action|severity>",
        "exit 1 when the final action is this or worse (stop, warn), or, as Grype, when a finding at or above this severity (negligible, low, medium, high, critical) is not suppressed",
      )
        .choices(["stop", "warn", ...FAIL_ON_SEVERITIES])
        .default("stop"),
    )
    .option("--only-fixed", "leave findings without a fix out of the evaluation (as Grype's --only-fixed)")
    .option("--ignore-unfixed", "the same as --only-fixed (as Trivy's --ignore-unfixed)")
    .addOption(
      new Option(
        "--ignore-file <file>",
        "a .trivyignore, .trivyignore.yaml or .grype.yaml whose rules suppress findings (repeatable; default: ./.trivyignore when present)",
      )
        .argParser(collect)
        .default([] as string[]),
    )
    .option(
      "--exit-code-warn <code>",
      "exit with this code when the final action is WARN (and --fail-on is stop)",
      "0",
    )
    .option(
      "--namespace <name>",
      "Kubernetes namespace the image is checked for (mapping selectors, allowlist scopes)",
    )
    .option("--environment <name>", "environment the image is checked for (mapping selectors)")
    .option("--now <time>", "evaluate as of this RFC 3339 time instead of now (reproducible runs)")
    .option(
      "--expiry-warning-days <days>",
      "warn about allowlist items that expire within this many days",
      "14",
    )
    .option(
      "--no-strict",
      "accept bundles that use gates anchore-engine retired (they are reported, not evaluated)",
    )
    .option(
      "--push <url>",
      "after checking, store the reports, VEX and facts read in a `cipolice serve` at this URL, under the image's digest",
    )
    .option("--push-token-file <file>", "the push token for --push (or CIPOLICE_PUSH_TOKEN)")
    .option("--sign", "when the decision passes, sign the image (cosign's format, beside it in its registry)")
    .option("--attest", "attach the decision as a signed SLSA verification summary (PASSED or FAILED)")
    .option("--attest-decision", "attach the whole decision (DecisionV1) as a signed attestation")
    .option("--key <file>", "the private key for --sign and --attest")
    .addOption(
      new Option(
        "--trusted-key <name=file>",
        "a public key that signature and attestation rules trust, by the name they give it (repeatable)",
      )
        .argParser(collect)
        .default([] as string[]),
    )
    .option(
      "--passphrase-file <file>",
      "the key's passphrase (else CIPOLICE_PASSWORD, COSIGN_PASSWORD, or a prompt)",
    )
    .option(
      "--max-input-size <bytes>",
      "refuse input files larger than this",
      String(DEFAULT_MAX_INPUT_BYTES),
    )
    .action(async (image, opts, command) => {
      if (explainOnly) refuseExitOptions(command);
      checkSignOptions(image, opts);
      if (explainOnly && (opts.sign || opts.attest || opts.attestDecision)) {
        throw new CipError("CIP_USAGE", "Cannot sign or attest with explain: explain only prints", {
          hint: "Use `cipolice check --explain --sign …` to explain and sign in one run.",
        });
      }
      if (explainOnly && opts.push !== undefined) {
        throw new CipError("CIP_USAGE", "Cannot use --push with explain: explain only prints", {
          hint: "Use `cipolice check --explain --push URL …` to explain and push in one run.",
        });
      }
      const maxBytes = parseByteSize(opts.maxInputSize, "--max-input-size");
      const now = parseNow(opts.now);
      const targets = reportTargets(
        explainOnly && opts.format.length === 0 ? ["explain"] : opts.format,
        opts.output,
        inputPaths(image, opts, true),
      );
      const warnCode = parseExitCode(opts.exitCodeWarn);
      if (opts.facts === undefined && opts.report.length === 0 && image === undefined) {
        throw new CipError("CIP_USAGE", "Cannot check an image: no image, facts or report was given", {
          hint: "Name the image (a registry reference, oci:DIR or docker-archive:FILE), or give --facts FILE or --report FILE.",
        });
      }
      if (opts.policy !== undefined && opts.whitelist !== undefined) {
        throw new CipError("CIP_USAGE", "Cannot use --policy and --whitelist together", {
          hint: "A clair-cicd whitelist is a policy of its own: choose one of them.",
        });
      }
      const [{ loadBundle, loadWhitelistBundle }, { checkImage }, { REPORT_FORMATS }] = await Promise.all([
        import("../../service/load-bundle.js"),
        import("../../service/check-image.js"),
        import("../../report/formats.js"),
      ]);
      const bundle =
        opts.whitelist !== undefined
          ? loadWhitelistBundle(
              opts.whitelist.startsWith("json://")
                ? opts.whitelist
                : readInputFile(opts.whitelist, "whitelist", maxBytes),
              opts.whitelist.startsWith("json://") ? "--whitelist" : opts.whitelist,
            )
          : loadBundle(
              readInputFile(opts.policy ?? DEFAULT_BUNDLE_PATH, "policy bundle", maxBytes),
              opts.policy ?? DEFAULT_BUNDLE_PATH,
              {
                strict: opts.strict,
              },
            );
      const { imageFacts, analysis } = await imageInputsFor(image, opts, maxBytes);
      const input = gatherInput(image, opts, maxBytes, imageFacts, analysis);
      const gathered = await gatherWithProgress(input);
      const { notes } = gathered;
      const { withSigningFacts } = await import("../check-signing-facts.js");
      const facts = await withSigningFacts(image, gathered.facts, bundle, opts);
      const ignoreFiles = readIgnoreFiles(opts.ignoreFile, maxBytes, notes);
      const failOnSeverity = FAIL_ON_SEVERITIES.find((s) => s === opts.failOn);
      const decision = checkImage(bundle, facts, {
        now,
        notes,
        ...(opts.onlyFixed || opts.ignoreUnfixed ? { onlyFixed: true } : {}),
        ...(ignoreFiles.length > 0 ? { ignoreFiles } : {}),
        ...(failOnSeverity !== undefined ? { failOnSeverity } : {}),
        expiryWarningDays: parseDays(opts.expiryWarningDays),
        ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
        ...(opts.environment !== undefined ? { environment: opts.environment } : {}),
      });
      for (const target of [...targets, ...(opts.explain && !explainOnly ? [{ format: "explain" }] : [])]) {
        const out = outputTo(target.path);
        const format = REPORT_FORMATS[target.format as ReportFormatName];
        out.write(
          format(decision, {
            color: useColor(out),
            // Only a terminal has a width; pipes, files and CI logs get the formats' default (80 columns).
            ...(out.isTty && process.stdout.columns ? { width: process.stdout.columns } : {}),
            bundle: bundle.bundle,
            facts,
            ...(opts.quiet ? { summaryOnly: true } : {}),
          }),
        );
      }
      if (opts.push !== undefined) {
        const { pushCheckInputs } = await import("../push-reports-client.js");
        const token =
          opts.pushTokenFile !== undefined
            ? readInputFile(opts.pushTokenFile, "push token", 64 * 1024).trim()
            : process.env.CIPOLICE_PUSH_TOKEN;
        const pushed = await pushCheckInputs(opts.push, token, facts.digest ?? facts.ref.digest, input);
        process.stderr.write(
          `pushed ${pushed.length} document${pushed.length === 1 ? "" : "s"} to ${opts.push}\n`,
        );
      }
      const failed =
        decision.status === "fail" || (opts.failOn === "warn" && decision.finalAction === "warn");
      if (image !== undefined && (opts.sign || opts.attest || opts.attestDecision)) {
        await signAfterCheck(image, decision, failed, opts);
      }
      if (explainOnly) setExitCode(EXIT.pass);
      else setExitCode(failed ? EXIT.policyFailure : decision.finalAction === "warn" ? warnCode : EXIT.pass);
    });
}

const FAIL_ON_SEVERITIES = ["negligible", "low", "medium", "high", "critical"] as const;

/** Reads the --ignore-file files; without any, ./.trivyignore when present, as Trivy does (with a note). */
function readIgnoreFiles(
  paths: string[],
  maxBytes: number,
  notes: Problem[],
): { text: string; source: string }[] {
  if (paths.length === 0 && existsSync(".trivyignore")) {
    notes.push({
      level: "info",
      code: "CIP_IGNORE_FILE_DEFAULT",
      message:
        ".trivyignore in the working directory was applied, as Trivy does (name files with --ignore-file to choose others)",
    });
    return [{ text: readInputFile(".trivyignore", "ignore file", maxBytes), source: ".trivyignore" }];
  }
  return paths.map((path) => ({ text: readInputFile(path, "ignore file", maxBytes), source: path }));
}

function parseExitCode(text: string): number {
  const code = Number(text);
  // 1 and 2 already mean "the policy fails the image" and "it could not be evaluated"
  if (
    !Number.isInteger(code) ||
    code < 0 ||
    code > 125 ||
    code === EXIT.policyFailure ||
    code === EXIT.cannotEvaluate
  ) {
    throw new CipError(
      "CIP_USAGE",
      `Cannot use --exit-code-warn ${JSON.stringify(text)}: expected 0 or a whole number from 3 to 125 (1 means FAIL and 2 means the image could not be evaluated)`,
      {
        hint: "Write for example --exit-code-warn 3, so a pipeline can tell WARN from PASS (0), FAIL (1) and errors (2); use --fail-on warn to fail on WARN.",
      },
    );
  }
  return code;
}

/** `explain` always exits 0 (2 on errors): options that would change the exit code are refused, not ignored. */
function refuseExitOptions(command: { getOptionValueSource(key: string): string | undefined }): void {
  for (const [key, flag] of [
    ["failOn", "--fail-on"],
    ["exitCodeWarn", "--exit-code-warn"],
  ] as const) {
    if (command.getOptionValueSource(key) === "cli") {
      throw new CipError(
        "CIP_USAGE",
        `Cannot use ${flag} with explain: explain exits 0 whatever the decision`,
        {
          hint: `Use \`cipolice check --explain ${flag} …\` to explain and fail the pipeline in one run.`,
        },
      );
    }
  }
}

function parseDays(text: string): number {
  if (!/^\d+$/.test(text.trim())) {
    throw new CipError(
      "CIP_USAGE",
      `Cannot use --expiry-warning-days ${JSON.stringify(text)}: expected a whole number of days`,
      {
        hint: "Write for example --expiry-warning-days 30.",
      },
    );
  }
  return Number.parseInt(text, 10);
}
