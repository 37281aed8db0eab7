import { runCli } from "./main.js";

// Entry point of the `cipolice` binary.
process.exitCode = await runCli(process.argv.slice(2));
