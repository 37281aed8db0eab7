import { Command, CommanderError } from "@commander-js/extra-typings";
import { terminalText } from "../model/terminal-safe.js";
import { checkCommand } from "./commands/check.js";
import { consumeCommand } from "./commands/consume.js";
import { dbCommand } from "./commands/db.js";
import { factsCommand } from "./commands/facts.js";
import { keysCommand } from "./commands/keys.js";
import { monitorCommand } from "./commands/monitor.js";
import { policyCommand } from "./commands/policy.js";
import { previewCommand } from "./commands/preview.js";
import { publishCommand } from "./commands/publish.js";
import { rulesCommand } from "./commands/rules.js";
import { scanCommand } from "./commands/scan.js";
import { serveCommand } from "./commands/serve.js";
import { signCommand, verifyAttestationCommand, verifyCommand } from "./commands/sign.js";
import { statusCommand } from "./commands/status.js";
import { verifyBlobCommand } from "./commands/verify-bundle.js";
import { EXIT } from "./exit-codes.js";
import { formatError } from "./print-error.js";
import { VERSION } from "./version.js";

export { VERSION } from "./version.js";

/**
 * Runs the CLI with the given arguments (without `node` and the script) and resolves to the exit code.
 * Only here are errors turned into exit codes: usage errors and unreadable input are 2.
 */
export async function runCli(args: readonly string[]): Promise<number> {
  const debug = args.includes("--debug");
  let exitCode: number = EXIT.pass;
  const setExitCode = (code: number) => {
    exitCode = code;
  };
  const program = new Command("cipolice")
    .description(
      "Container image policy engine: decide which images may be built on, pushed, deployed and kept running",
    )
    .version(VERSION)
    .option("--debug", "print stack traces with errors")
    .exitOverride()
    // Commander quotes the arguments it refuses; they may come from untrusted input.
    .configureOutput({ writeErr: (text) => process.stderr.write(terminalText(text)) });
  program.addCommand(checkCommand(setExitCode));
  program.addCommand(checkCommand(setExitCode, "explain"));
  program.addCommand(factsCommand(setExitCode));
  program.addCommand(policyCommand(setExitCode));
  program.addCommand(rulesCommand(setExitCode));
  program.addCommand(serveCommand(setExitCode));
  program.addCommand(consumeCommand(setExitCode));
  program.addCommand(publishCommand(setExitCode));
  program.addCommand(signCommand(setExitCode));
  program.addCommand(verifyCommand(setExitCode));
  program.addCommand(verifyAttestationCommand(setExitCode));
  program.addCommand(verifyBlobCommand(setExitCode));
  program.addCommand(keysCommand(setExitCode));
  program.addCommand(monitorCommand(setExitCode));
  program.addCommand(statusCommand(setExitCode));
  program.addCommand(previewCommand(setExitCode));
  program.addCommand(dbCommand(setExitCode));
  program.addCommand(scanCommand(setExitCode));
  for (const command of program.commands) {
    command.exitOverride().configureOutput(program.configureOutput());
    command.option("--debug", "print stack traces with errors");
    for (const sub of command.commands)
      sub
        .exitOverride()
        .configureOutput(program.configureOutput())
        .option("--debug", "print stack traces with errors");
  }
  try {
    await program.parseAsync([...args], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message; help and version are successes.
      return error.exitCode === 0 ? EXIT.pass : EXIT.cannotEvaluate;
    }
    process.stderr.write(formatError(error, debug));
    return EXIT.cannotEvaluate;
  }
}
