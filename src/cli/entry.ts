import { runCli } from "./main.js";

// Entry point of the `cipolice` binary. No top-level await: the shipped binary is this file bundled as
// CommonJS (scripts/bundle-cli.ts), which V8 can cache compiled.
void runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
