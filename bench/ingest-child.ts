import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

// Measures one ingestion in a fresh process: peak RSS growth while reading a report, after the modules are loaded.
const [root, file, mode] = process.argv.slice(2) as [string, string, "ingest" | "parse"];
const { readReport } = (await import(
  pathToFileURL(join(root, "dist/ingest/read-report.js")).href
)) as typeof import("../src/ingest/read-report.js");
const text = readFileSync(file, "utf8");
const before = process.memoryUsage().rss;
const result = mode === "ingest" ? readReport(text, file) : JSON.parse(text);
const peak = process.resourceUsage().maxRSS * 1024;
process.stdout.write(JSON.stringify({ before, peak, kept: Boolean(result) }));
