import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Command } from "@commander-js/extra-typings";
import { parseJson } from "../../ingest/parse-document.js";
import { CipError, isCipError } from "../../model/index.js";
import { terminalLine } from "../../model/terminal-safe.js";
import type { RuleAction, RuleMessage, RuleSet } from "../../rules/rule-types.js";
import { EXIT } from "../exit-codes.js";
import { printValidationFailure } from "../print-validation.js";
import { DEFAULT_MAX_INPUT_BYTES, parseByteSize, readInputFile } from "../read-input.js";

/** Messages are small JSON objects; a larger one is a mistake or an attack. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** `cipolice rules validate|test`: check rules files, and run a message through them (CIPolicE's `-t`). */
export function rulesCommand(setExitCode: (code: number) => void): Command {
  const rules = new Command("rules").description("Validate rules files and test them with a message");

  rules
    .command("validate")
    .description("Check rules files: conditions and actions (exit 0 valid, 1 invalid, 2 unreadable)")
    .argument("<files...>", "rules files")
    .option("--allow-unknown-actions", "accept action names that are nothing known (they fail when run)")
    .option("--max-input-size <bytes>", "refuse files larger than this", String(DEFAULT_MAX_INPUT_BYTES))
    .action(async (files, opts) => {
      const maxBytes = parseByteSize(opts.maxInputSize, "--max-input-size");
      const { parseRulesFile, RULES_INVALID_CODE } = await import("../../rules/parse-rules-file.js");
      let worst: number = EXIT.pass;
      for (const file of files) {
        try {
          const ruleSet = parseRulesFile(readInputFile(file, "rules file", maxBytes), file, {
            allowUnknownActions: opts.allowUnknownActions === true,
            actionExists: fileNextTo(file),
          });
          const actions = ruleSet.rules.reduce((n, r) => n + r.actions.length, 0);
          const unknown = ruleSet.rules.flatMap((r) => r.actions.filter((a) => a.kind === "unknown"));
          process.stdout.write(
            `${terminalLine(file)}: valid (${plural(ruleSet.rules.length, "rule")}, ${plural(actions, "action")})\n`,
          );
          for (const a of unknown) {
            process.stdout.write(
              `  warning: ${terminalLine(`${a.at.file}:${a.at.line}:${a.at.column}`)}: unknown action ${terminalLine(JSON.stringify(a.target))} will fail each time it runs\n`,
            );
          }
          for (const a of missingFiles(ruleSet, file)) {
            process.stdout.write(
              `  warning: ${terminalLine(`${a.at.file}:${a.at.line}:${a.at.column}`)}: ${terminalLine(a.target)} does not exist (yet): the action fails until it does\n`,
            );
          }
        } catch (error) {
          if (!isCipError(error)) throw error;
          // A configuration error without problems is an unreadable file, not an invalid one
          const invalidCodes = error.problems.length > 0 ? [RULES_INVALID_CODE] : [];
          worst = Math.max(worst, printValidationFailure(file, error, invalidCodes));
        }
      }
      setExitCode(worst);
    });

  rules
    .command("test")
    .description(
      "Run a message through a rules file and run the matching actions for real, as CIPolicE's -t did (exit 0 all ran, 1 an action failed, 2 bad input)",
    )
    .requiredOption("--rules <file>", "the rules file")
    .requiredOption(
      "--message <json>",
      "the message: JSON text, or @FILE to read it from a file (@- for stdin)",
    )
    .option("--dry-run", "list what would run, one line per action, and run nothing")
    .option("--allow-unknown-actions", "load action names that are nothing known (they fail when run)")
    .option("--timeout <seconds>", "each action's time budget", "30")
    .option(
      "--max-input-size <bytes>",
      "refuse a rules file larger than this",
      String(DEFAULT_MAX_INPUT_BYTES),
    )
    .action(async (opts) => {
      const maxBytes = parseByteSize(opts.maxInputSize, "--max-input-size");
      const { parseRulesFile } = await import("../../rules/parse-rules-file.js");
      const { planActions } = await import("../../rules/evaluate-rules.js");
      const message = readMessage(opts.message);
      const ruleSet: RuleSet = parseRulesFile(readInputFile(opts.rules, "rules file", maxBytes), opts.rules, {
        allowUnknownActions: opts.allowUnknownActions === true,
        actionExists: fileNextTo(opts.rules),
      });
      const plan = planActions(ruleSet, message);
      for (const notice of plan.notices) process.stderr.write(`notice: ${terminalLine(notice)}\n`);
      if (opts.dryRun) {
        for (const action of plan.actions) {
          process.stdout.write(`would run ${where(action)}: ${terminalLine(action.text)}\n`);
        }
        if (plan.stoppedAt)
          process.stdout.write(`break at ${where({ at: plan.stoppedAt })}: later rules are not evaluated\n`);
        if (plan.actions.length === 0) process.stdout.write("no action would run\n");
        setExitCode(EXIT.pass);
        return;
      }
      const timeoutMs = Math.round(Number(opts.timeout) * 1000);
      if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
        throw new CipError(
          "CIP_USAGE",
          `Cannot use --timeout ${opts.timeout}: it is not a positive number of seconds`,
        );
      }
      // Loaded only when actions really run: validation and dry runs need none of the executor.
      const { runActions } = await import("../../rules/run-actions.js");
      const outcomes = await runActions(plan.actions, message, {
        baseDir: dirname(resolve(opts.rules)),
        timeoutMs,
        ...(process.env.CIPOLICE_WEBHOOK_SECRET
          ? { webhookSecret: process.env.CIPOLICE_WEBHOOK_SECRET }
          : {}),
        onNotice: (notice, action) =>
          process.stderr.write(`notice: ${where(action)}: ${terminalLine(notice)}\n`),
        builtins: {
          // The test trigger has no store: a verdict is shown, not recorded.
          accept: (image) =>
            void process.stdout.write(
              `  verdict: accept ${terminalLine(image)} (not recorded by rules test)\n`,
            ),
          reject: (image) =>
            void process.stdout.write(
              `  verdict: reject ${terminalLine(image)} (not recorded by rules test)\n`,
            ),
          log: (text) => void process.stdout.write(`  log: ${terminalLine(text)}\n`),
        },
      });
      let failed = false;
      for (const outcome of outcomes) {
        const detail = outcome.error ?? outcome.output?.trim().split("\n").at(-1) ?? "";
        process.stdout.write(
          `${outcome.status.padEnd(9)} ${where(outcome.action)}: ${terminalLine(outcome.action.text)} (${outcome.durationMs} ms)${detail ? ` ${terminalLine(detail)}` : ""}\n`,
        );
        if (outcome.status === "failed" || outcome.status === "timed_out") failed = true;
      }
      if (plan.stoppedAt)
        process.stdout.write(`break at ${where({ at: plan.stoppedAt })}: later rules were not evaluated\n`);
      if (outcomes.length === 0) process.stdout.write("no action ran\n");
      setExitCode(failed ? EXIT.policyFailure : EXIT.pass);
    });

  return rules;
}

/** A bare action name is an executable when a file of that name is beside the rules file. */
function fileNextTo(rulesFile: string): (target: string) => boolean {
  const base = dirname(resolve(rulesFile));
  return (target) => existsSync(resolve(base, target));
}

/** Executables and modules whose file is not there: relative targets resolve against the rules file's folder. */
function missingFiles(ruleSet: RuleSet, rulesFile: string): RuleAction[] {
  const exists = fileNextTo(rulesFile);
  const files: ReadonlySet<string> = new Set(["executable", "js-function", "python-function"]);
  return ruleSet.rules.flatMap((r) => r.actions.filter((a) => files.has(a.kind) && !exists(a.target)));
}

function where(action: Pick<RuleAction, "at">): string {
  return terminalLine(`${action.at.file}:${action.at.line}`);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** `--message`: JSON text or `@file`; it must be a JSON object. */
function readMessage(argument: string): RuleMessage {
  const fromFile = argument.startsWith("@");
  const source = fromFile ? argument.slice(1) : "--message";
  const text = fromFile ? readInputFile(source, "message", MAX_MESSAGE_BYTES) : argument;
  const value = parseJson(text, fromFile ? `message ${source}` : "the --message text");
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new CipError("CIP_USAGE", `Cannot use the message of ${source}: it is not a JSON object`, {
      hint: 'Give an object, such as --message \'{"image":"nginx:latest","level":3}\'.',
    });
  }
  return value as RuleMessage;
}
