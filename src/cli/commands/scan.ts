import { mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { Command, Option } from "@commander-js/extra-typings";
import { CipError } from "../../model/index.js";
import { terminalLine } from "../../model/terminal-safe.js";
import { EXIT } from "../exit-codes.js";
import { GATHER_OPTIONS, registryOptionsOf } from "../gather-options.js";
import { progressOnStderr } from "../progress.js";
import { readInputFile } from "../read-input.js";
import { parseNow } from "./parse-now.js";

/** The registry flags `scan` shares with `check`. */
const REGISTRY_FLAGS = new Set(["--insecure-registry", "--creds", "--registry-timeout", "--ca-file"]);

/** A file name for an image: the reference with every character outside [A-Za-z0-9._-] made `_`. */
export function fileNameOf(image: string): string {
  return image.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 200);
}

/**
 * `cipolice scan`: one image, several, or a whole registry, analysed by CIPolicE itself (layers → packages,
 * files, secrets; packages → vulnerabilities from the local OSV database), decided with a bundle when given,
 * written to a directory or pushed to a server, and summed up in a table.
 */
export function scanCommand(setExitCode: (code: number) => void) {
  const command = new Command("scan")
    .description(
      "Analyse images (layers → packages, files, secrets; OSV matching offline): several, or every tag of a registry; facts and decisions to a directory or a server; a summary table",
    )
    .argument("[images...]", "registry references, oci:DIR[:TAG] or docker-archive:FILE")
    .option(
      "--registry <host>",
      "scan every tagged image of this registry (its catalog, then each repository's tags)",
    )
    .option("--repository-prefix <prefix>", "with --registry, only repositories starting with this")
    .option("--max-images <n>", "refuse to scan more images than this", "10000")
    .option("--concurrency <n>", "images scanned at once", "4")
    .option("--policy <file>", "also decide each image with this bundle")
    .option("--output-dir <dir>", "write <image>.facts.json (and .decision.json with --policy) here")
    .option("--push <url>", "store each image's facts in a `cipolice serve` at this URL, under its digest")
    .option("--push-token-file <file>", "the push token for --push (or CIPOLICE_PUSH_TOKEN)")
    .option(
      "--db <path>",
      "the OSV database (default $XDG_DATA_HOME/cipolice/osv.db, else ~/.local/share/cipolice/osv.db)",
    )
    .option("--now <time>", "decide as of this RFC 3339 time")
    .addOption(new Option("--format <name>", "summary output").choices(["table", "json"]).default("table"));
  for (const option of GATHER_OPTIONS) if (REGISTRY_FLAGS.has(option.long ?? "")) command.addOption(option);
  return command.action(async (images, opts) => {
    const [{ scanImage, registryImages }, { defaultVulnDatabasePath }, { VERSION }, { loadBundle }] =
      await Promise.all([
        import("../../service/scan-image.js"),
        import("../../vulndb/vuln-database.js"),
        import("../version.js"),
        import("../../service/load-bundle.js"),
      ]);
    const registry = registryOptionsOf(opts as unknown as Parameters<typeof registryOptionsOf>[0]);
    let targets = [...images];
    if (opts.registry !== undefined) {
      const { RegistryClient } = await import("../../image/registry/registry-client.js");
      const client = new RegistryClient(registry);
      try {
        targets.push(
          ...(await registryImages(client, opts.registry, {
            ...(opts.repositoryPrefix !== undefined ? { prefix: opts.repositoryPrefix } : {}),
            max: Number.parseInt(opts.maxImages, 10) || 10_000,
          })),
        );
      } finally {
        client.close();
      }
    }
    targets = [...new Set(targets)];
    if (targets.length === 0) {
      throw new CipError("CIP_USAGE", "Cannot scan: no image was named and --registry found none", {
        hint: "Name images, or give --registry HOST to scan every tagged image of a registry.",
      });
    }
    const bundle =
      opts.policy === undefined
        ? undefined
        : loadBundle(readInputFile(opts.policy, "policy bundle", 64 * 1024 * 1024), opts.policy);
    if (opts.outputDir !== undefined) mkdirSync(opts.outputDir, { recursive: true });
    const token =
      opts.pushTokenFile !== undefined
        ? readInputFile(opts.pushTokenFile, "push token", 64 * 1024).trim()
        : process.env.CIPOLICE_PUSH_TOKEN;
    const options = {
      registry,
      dbPath: opts.db ?? defaultVulnDatabasePath(process.env, homedir()),
      version: VERSION,
      ...(bundle !== undefined ? { bundle } : {}),
      now: parseNow(opts.now),
    };
    const progress = progressOnStderr("scanning");
    const results: Awaited<ReturnType<typeof scanImage>>[] = [];
    let next = 0;
    let finished = 0;
    const worker = async () => {
      while (next < targets.length) {
        const target = targets[next++] as string;
        const result = await scanImage(target, options);
        if (result.facts !== undefined && opts.outputDir !== undefined) {
          const base = join(opts.outputDir, fileNameOf(target));
          writeFileSync(
            `${base}.facts.json`,
            `${JSON.stringify({ schemaVersion: "1", ...result.facts }, null, 2)}\n`,
          );
          if (result.decision !== undefined)
            writeFileSync(`${base}.decision.json`, `${JSON.stringify(result.decision, null, 2)}\n`);
        }
        if (result.facts !== undefined && opts.push !== undefined) {
          const { pushCheckInputs } = await import("../push-reports-client.js");
          try {
            await pushCheckInputs(opts.push, token, result.digest, {
              reports: [],
              vex: [],
              facts: {
                text: JSON.stringify({ schemaVersion: "1", ...result.facts }),
                source: "cipolice-scan.facts.json",
              },
            });
          } catch (error) {
            result.error = `scanned, but not pushed: ${(error as Error).message}`;
          }
        }
        results.push(result);
        progress.step(finished++, targets.length, target);
      }
    };
    const concurrency = Math.max(1, Math.min(32, Number.parseInt(opts.concurrency, 10) || 4));
    try {
      await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
    } finally {
      progress.done();
    }
    results.sort((a, b) => targets.indexOf(a.image) - targets.indexOf(b.image));
    if (opts.format === "json") {
      process.stdout.write(`${JSON.stringify(results.map(summaryRow), null, 2)}\n`);
    } else {
      process.stdout.write(await summaryTable(results));
    }
    const failed = results.some((r) => r.decision?.status === "fail");
    const broken = results.some((r) => r.error !== undefined);
    setExitCode(broken ? EXIT.cannotEvaluate : failed ? EXIT.policyFailure : EXIT.pass);
  });
}

type Scanned = Awaited<ReturnType<typeof import("../../service/scan-image.js").scanImage>>;

/** One image's line of the summary: counts by severity, packages, secrets, the outcome or the error. */
function summaryRow(r: Scanned) {
  const count = (severity: string) =>
    r.facts?.vulnerabilities?.filter((v) => v.severity === severity).length ?? 0;
  return {
    image: r.image,
    ...(r.digest !== undefined ? { digest: r.digest } : {}),
    packages: r.facts?.packages?.length ?? 0,
    critical: count("critical"),
    high: count("high"),
    vulnerabilities: r.facts?.vulnerabilities?.length ?? 0,
    secrets: r.facts?.secrets?.length ?? 0,
    ...(r.decision !== undefined ? { outcome: r.decision.status } : {}),
    ...(r.error !== undefined ? { error: r.error } : {}),
    seconds: Math.round(r.ms) / 1000,
  };
}

async function summaryTable(results: readonly Scanned[]): Promise<string> {
  const { default: Table } = await import("cli-table3");
  const table = new Table({
    head: ["image", "packages", "critical", "high", "vulns", "secrets", "outcome"],
    style: { head: [], border: [] },
  });
  for (const r of results) {
    const row = summaryRow(r);
    table.push([
      terminalLine(r.image),
      String(row.packages),
      String(row.critical),
      String(row.high),
      String(row.vulnerabilities),
      String(row.secrets),
      r.error !== undefined ? `error: ${terminalLine(r.error).slice(0, 80)}` : (row.outcome ?? "scanned"),
    ]);
  }
  const errors = results.filter((r) => r.error !== undefined).length;
  return `${table.toString()}\n${results.length} image(s) scanned, ${errors} with errors\n`;
}
