import { Command, Option } from "@commander-js/extra-typings";
import { CipError } from "../../model/index.js";
import { REPORT_FORMAT_NAMES, REPORT_FORMATS } from "../../report/formats.js";
import { checkImage } from "../../service/check-image.js";
import { loadBundle } from "../../service/load-bundle.js";
import { loadFacts } from "../../service/load-facts.js";
import { EXIT } from "../exit-codes.js";
import { outputTo, useColor } from "../output.js";
import { DEFAULT_MAX_INPUT_BYTES, parseByteSize, readInputFile } from "../read-input.js";
import { DEFAULT_BUNDLE_PATH } from "../shipped-files.js";
import { parseNow } from "./parse-now.js";

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

/** `cipolice check`: evaluate an image's facts with a policy bundle; exit 0 pass, 1 policy failure, 2 cannot evaluate. */
export function checkCommand(setExitCode: (code: number) => void): Command {
  return new Command("check")
    .description(
      "Decide whether an image passes a policy bundle (exit 0 pass, 1 policy failure, 2 cannot evaluate)",
    )
    .requiredOption("--facts <file>", "normalized image facts (JSON or YAML; - for standard input)")
    .option(
      "--policy <file>",
      "policy bundle (JSON or YAML; Anchore v1_0 bundles load unchanged)",
      DEFAULT_BUNDLE_PATH,
    )
    .addOption(new Option("--format <name>", "output format").choices(REPORT_FORMAT_NAMES).default("table"))
    .option("--output <file>", "write the report to a file instead of standard output")
    .addOption(
      new Option("--fail-on <action>", "exit 1 when the final action is this or worse")
        .choices(["stop", "warn"])
        .default("stop"),
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
      "--max-input-size <bytes>",
      "refuse input files larger than this",
      String(DEFAULT_MAX_INPUT_BYTES),
    )
    .action((opts) => {
      const maxBytes = parseByteSize(opts.maxInputSize);
      const now = parseNow(opts.now);
      const out = outputTo(opts.output);
      const format = REPORT_FORMATS[opts.format];
      if (!format)
        throw new CipError("CIP_USAGE", `Cannot use format ${opts.format}`, {
          hint: `Choose one of ${REPORT_FORMAT_NAMES.join(", ")}.`,
        });
      const bundle = loadBundle(readInputFile(opts.policy, "policy bundle", maxBytes), opts.policy, {
        strict: opts.strict,
      });
      const facts = loadFacts(
        readInputFile(opts.facts, "facts", maxBytes),
        opts.facts === "-" ? "standard input" : opts.facts,
      );
      const decision = checkImage(bundle, facts, {
        now,
        expiryWarningDays: parseDays(opts.expiryWarningDays),
        ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
        ...(opts.environment !== undefined ? { environment: opts.environment } : {}),
      });
      out.write(format(decision, { color: useColor(out), width: process.stdout.columns ?? 120 }));
      const failed =
        decision.finalAction === "stop" || (opts.failOn === "warn" && decision.finalAction === "warn");
      setExitCode(failed ? EXIT.policyFailure : EXIT.pass);
    });
}
