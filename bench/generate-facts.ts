import type { ImageFacts, Severity, Vulnerability } from "../src/model/index.js";
import { seededRandom } from "../test/support/fuzz.js";

const SEVERITIES: Severity[] = ["negligible", "low", "medium", "high", "critical", "unknown"];
const TYPES = ["dpkg", "dpkg", "dpkg", "npm", "java", "python", "go", "gem"];

/** Facts of an image with `count` vulnerabilities spread over `count / 7` packages, like a large scan. */
export function generateFacts(count: number, seed = 42): ImageFacts {
  const rnd = seededRandom(seed);
  const vulnerabilities: Vulnerability[] = [];
  for (let i = 0; i < count; i++) {
    const type = TYPES[i % TYPES.length] as string;
    const name = `pkg-${i % Math.max(1, Math.floor(count / 7))}`;
    const fixed = rnd() < 0.6;
    const base = Math.round(rnd() * 100) / 10;
    vulnerabilities.push({
      id: `CVE-${2015 + (i % 10)}-${10000 + i}`,
      package: {
        name,
        version: `1.${i % 13}.${i % 7}`,
        type,
        ...(type === "dpkg" ? {} : { path: `/usr/lib/${type}/${name}/${name}-1.${i % 13}.jar` }),
      },
      severity: SEVERITIES[Math.floor(rnd() * SEVERITIES.length)] as Severity,
      cvss: [
        {
          version: "3.1",
          source: "nvd",
          baseScore: base,
          exploitabilityScore: 3.9,
          impactScore: Math.min(6, base),
        },
        { version: "3.1", source: "vendor", sourceName: "debian", baseScore: Math.max(0, base - 1) },
      ],
      fix: fixed
        ? { state: "fixed", versions: [`1.${i % 13}.${(i % 7) + 1}`] }
        : { state: rnd() < 0.2 ? "wont-fix" : "not-fixed", versions: [] },
      detectedAt: "2026-09-01T00:00:00Z",
      url: `https://security-tracker.debian.org/tracker/CVE-${2015 + (i % 10)}-${10000 + i}`,
      sources: ["trivy"],
    });
  }
  return {
    ref: { registry: "registry.example.com", repository: "team/app", tag: "2.3.1" },
    digest: "sha256:0000000000000000000000000000000000000000000000000000000000000001",
    config: {
      user: "10001",
      labels: { "org.opencontainers.image.source": "https://git.example.com/team/app" },
    },
    dockerfile: {
      mode: "guessed",
      instructions: [
        { directive: "FROM", value: "scratch" },
        { directive: "EXPOSE", value: "8080" },
        { directive: "USER", value: "10001" },
      ],
    },
    distro: { name: "debian", version: "12" },
    packages: [],
    vulnerabilities,
    provenance: [{ source: "trivy", dbUpdatedAt: "2026-11-20T00:00:00Z" }],
  };
}
