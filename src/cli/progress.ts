import { terminalLine } from "../model/terminal-safe.js";

/** Reports progress through a list of steps. */
export interface Progress {
  step(index: number, total: number, label: string): void;
  done(): void;
}

/**
 * Progress on standard error: a redrawn bar on a terminal; otherwise plain lines, and only for work long
 * enough to be worth a line (five steps or more), so CI logs stay quiet. Labels (file names) are escaped
 * for the terminal.
 */
export function progressOnStderr(what: string): Progress {
  const tty = Boolean(process.stderr.isTTY) && !process.env.CI;
  let shown = false;
  return {
    step(index, total, label) {
      if (total < (tty ? 2 : 5)) return;
      shown = true;
      const safe = terminalLine(label);
      if (tty) {
        const width = 20;
        const filled = Math.round(((index + 1) / total) * width);
        const name = safe.length > 40 ? `…${safe.slice(-39)}` : safe;
        process.stderr.write(
          `\r\u001b[2K${terminalLine(what)} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${index + 1}/${total} ${name}`,
        );
      } else {
        process.stderr.write(`cipolice: ${terminalLine(what)} ${index + 1}/${total}: ${safe}\n`);
      }
    },
    done() {
      if (shown && tty) process.stderr.write("\r\u001b[2K");
    },
  };
}
