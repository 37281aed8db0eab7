import { Command, Option } from "@commander-js/extra-typings";
import { CipError } from "../../model/index.js";
import { REPORT_FORMAT_NAMES, REPORT_FORMATS } from "../../report/formats.js";
import { checkImage } from "../../service/check-image.js";
import { gatherFacts } from "../../service/gather-facts.js";
import { loadBundle, loadWhitelistBundle } from "../../service/load-bundle.js";
import { EXIT } from "../exit-codes.js";
import { GATHER_OPTIONS, gatherInput } from "../gather-options.js";
import { outputTo, useColor } from "../output.js";
import { DEFAULT_MAX_INPUT_BYTES, parseByteSize, readInputFile } from "../read-input.js";
import { DEFAULT_BUNDLE_PATH } from "../shipped-files.js";
import { parseNow } from "./parse-now.js";

/** `cipolice check`: evaluate an image's facts with a policy bundle; exit 0 pass, 1 policy failure, 2 cannot evaluate. */
export function checkCommand(setExitCode: (code: number) => void) {
  return new Command("check")
    .description("Decide whether an image passes a policy (exit 0 pass, 1 policy failure, 2 cannot evaluate)")
    .argument("[image]", "the image being checked (reports about another image give a warning)")
    .addOption(GATHER_OPTIONS[0])
    .addOption(GATHER_OPTIONS[1])
    .addOption(GATHER_OPTIONS[2])
    .addOption(GATHER_OPTIONS[3])
    .option("--policy <file>", "policy bundle (JSON or YAML; Anchore v1_0 bundles load unchanged)")
    .option("--whitelist <file|json://…>", "a clair-cicd whitelist, used as the policy instead of --policy")
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
    .action((image, opts) => {
      const maxBytes = parseByteSize(opts.maxInputSize);
      const now = parseNow(opts.now);
      const out = outputTo(opts.output);
      const format = REPORT_FORMATS[opts.format];
      if (!format)
        throw new CipError("CIP_USAGE", `Cannot use format ${opts.format}`, {
          hint: `Choose one of ${REPORT_FORMAT_NAMES.join(", ")}.`,
        });
      if (opts.facts === undefined && opts.report.length === 0) {
        throw new CipError("CIP_USAGE", `Cannot check ${image ?? "an image"}: no facts were given`, {
          hint: "Give the image's facts with --facts FILE or scanner reports with --report FILE.",
        });
      }
      if (opts.policy !== undefined && opts.whitelist !== undefined) {
        throw new CipError("CIP_USAGE", "Cannot use --policy and --whitelist together", {
          hint: "A clair-cicd whitelist is a policy of its own: choose one of them.",
        });
      }
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
      const { facts, notes } = gatherFacts(gatherInput(image, opts, maxBytes));
      const decision = checkImage(bundle, facts, {
        now,
        notes,
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
