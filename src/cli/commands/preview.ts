import { Command, Option } from "@commander-js/extra-typings";
import { collect } from "../gather-options.js";
import { readInputFile } from "../read-input.js";
import { DEFAULT_BUNDLE_PATH } from "../shipped-files.js";
import { parseNow } from "./parse-now.js";

/**
 * `cipolice preview --policy NEW --store SPEC`: what a bundle not yet in force would deny among the images
 * known to run (the monitor) or to have been admitted (admission), now and when allowlist items expire.
 */
export function previewCommand(setExitCode: (code: number) => void) {
  return new Command("preview")
    .description(
      "Evaluate every image known to run or to have been admitted with a bundle not yet in force: list what it would newly deny, now and as allowlist items expire; exit 1 when it would newly deny any",
    )
    .requiredOption("--policy <file>", "the candidate bundle")
    .requiredOption("--store <spec>", "sqlite:PATH or postgres://…: the store serve and monitor record in")
    .addOption(
      new Option("--current <file>", "a bundle in force, repeatable (default: the shipped default bundle)")
        .argParser(collect)
        .default([] as string[]),
    )
    .option("--days <n>", "look this many days ahead for allowlist items that expire", "30")
    .option("--now <time>", "evaluate as of this RFC 3339 time")
    .addOption(new Option("--format <name>", "output format").choices(["text", "json"]).default("text"))
    .action(async (opts) => {
      const [{ loadBundle }, { previewBundle }, { openStore }] = await Promise.all([
        import("../../service/load-bundle.js"),
        import("../../service/preview-policy.js"),
        import("../../store/open-store.js"),
      ]);
      const maxBytes = 64 * 1024 * 1024;
      const load = (path: string) => loadBundle(readInputFile(path, "policy bundle", maxBytes), path);
      const candidate = load(opts.policy);
      const inForce = (opts.current.length > 0 ? opts.current : [DEFAULT_BUNDLE_PATH]).map(load);
      const days = Math.max(0, Math.min(3650, Number.parseInt(opts.days, 10) || 0));
      const now = parseNow(opts.now);
      const store = await openStore(opts.store);
      let entries: Awaited<ReturnType<typeof previewBundle>>;
      try {
        entries = await previewBundle(store, candidate, inForce, { now, days });
      } finally {
        await store.close();
      }
      const newly = entries.filter((e) => e.candidate === "fail" && e.current === "pass");
      const later = entries.filter((e) => e.deniedByExpiry.length > 0);
      if (opts.format === "json") {
        process.stdout.write(
          `${JSON.stringify({ newlyDenied: newly, deniedByExpiry: later, entries }, null, 2)}\n`,
        );
      } else {
        const name = (e: (typeof entries)[number]) =>
          `${e.image.image}${e.image.digest ? ` (${e.image.digest.slice(0, 19)}…)` : ""} [${e.image.seen.join(", ")}]`;
        const lines = [`${entries.length} known image(s); the candidate would newly deny ${newly.length}:`];
        for (const e of newly) {
          lines.push(`  DENY ${name(e)}`);
          for (const r of e.reasons.slice(0, 5)) lines.push(`       ${r}`);
          if (e.note) lines.push(`       note: ${e.note}`);
        }
        lines.push(`As allowlist items expire within ${days} days, it would deny ${later.length} more:`);
        for (const e of later) {
          for (const x of e.deniedByExpiry)
            lines.push(`  ${x.date} ${name(e)}: ${x.item} expires; ${x.reasons[0] ?? ""}`);
        }
        process.stdout.write(`${lines.join("\n")}\n`);
      }
      setExitCode(newly.length > 0 ? 1 : 0);
    });
}
