import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";

/** The `skip` option for tests that write `#!/bin/sh` credential helpers: false where /bin/sh exists. */
export const NO_SHELL: false | string = existsSync("/bin/sh") ? false : "no /bin/sh to run helper scripts";

/**
 * Writes an executable `docker-credential-<name>` into dir: a real helper program whose `get` saves the
 * server URL it read on stdin (see receivedBy) and then runs `body` (shell), which prints the answer.
 */
export function writeHelper(dir: string, name: string, body: string): void {
  const file = join(dir, `docker-credential-${name}`);
  const saved = join(dir, `${name}.stdin`);
  writeFileSync(file, `#!/bin/sh\ncat > '${saved}'\n${body}\n`);
  chmodSync(file, 0o755);
}

/** A helper body printing `{"ServerURL","Username","Secret"}` and exiting 0. */
export function answer(username: string, secret: string): string {
  const json = JSON.stringify({ ServerURL: "ignored", Username: username, Secret: secret });
  return `printf '%s\\n' '${json}'`;
}

/** What the helper named `name` read on stdin, or undefined when it never ran. */
export function receivedBy(dir: string, name: string): string | undefined {
  const saved = join(dir, `${name}.stdin`);
  return existsSync(saved) ? readFileSync(saved, "utf8") : undefined;
}

/** The environment with dir first on PATH, so helpers written there are found first. */
export function withHelpersOnPath(dir: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const base = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  return { ...base, PATH: `${dir}${delimiter}${env.PATH ?? ""}` };
}
