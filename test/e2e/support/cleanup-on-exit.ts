/**
 * Runs `cleanUp` when the test process exits, and also when it is interrupted or terminated (SIGINT,
 * SIGTERM: a runner's timeout, a CI cancel), which skip "exit" handlers: servers a harness started must not
 * outlive the test file. After a signal the process then dies of it, as it would have without the handler.
 */
export function cleanUpOnExit(cleanUp: () => void): void {
  process.on("exit", cleanUp);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      cleanUp();
      process.kill(process.pid, signal);
    });
  }
}
