import { writeFileSync } from "node:fs";

// Preloaded into a measured child where /usr/bin/time is missing: the child writes its own peak memory (KiB)
process.on("exit", () => {
  const file = process.env.CIP_MAX_RSS_FILE;
  if (file) writeFileSync(file, `${process.resourceUsage().maxRSS}\n`);
});
