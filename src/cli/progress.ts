/** Reports progress through a list of steps. */
export interface Progress {
  step(index: number, total: number, label: string): void;
  done(): void;
}

/**
 * Progress on standard error: a redrawn bar on a terminal; otherwise plain lines, and only for work long
 * enough to be worth a line (five steps or more), so CI logs stay quiet.
 */
export function progressOnStderr(what: string): Progress {
  const tty = Boolean(process.stderr.isTTY) && !process.env.CI;
  let shown = false;
  return {
    step(index, total, label) {
      if (total < (tty ? 2 : 5)) return;
      shown = true;
      if (tty) {
        const width = 20;
        const filled = Math.round(((index + 1) / total) * width);
        const name = label.length > 40 ? `…${label.slice(-39)}` : label;
        process.stderr.write(
          `\r\u001b[2K${what} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${index + 1}/${total} ${name}`,
        );
      } else {
        process.stderr.write(`cipolice: ${what} ${index + 1}/${total}: ${label}\n`);
      }
    },
    done() {
      if (shown && tty) process.stderr.write("\r\u001b[2K");
    },
  };
}
