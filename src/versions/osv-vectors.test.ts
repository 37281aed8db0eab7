import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../../test/support/corpus.js";
import { orderFor } from "./ecosystem-order.js";

// osv-scalibr's version-ordering vectors: `A op B` per line, each asserted both ways as its compare_test.go
// does. The counts are the corpus's own (SOURCES.md, Computed facts), so a skipped line cannot go unseen.
const FILES: { file: string; ecosystems: string[]; count: number }[] = [
  { file: "alpine-versions.txt", ecosystems: ["Alpine"], count: 778 },
  { file: "alpine-versions-generated.txt", ecosystems: ["Alpine"], count: 13979 },
  { file: "debian-versions.txt", ecosystems: ["Debian"], count: 30 },
  { file: "debian-versions-generated.txt", ecosystems: ["Debian"], count: 14442 },
  { file: "redhat-versions.txt", ecosystems: ["Red Hat"], count: 165 },
  { file: "pypi-versions.txt", ecosystems: ["PyPI"], count: 37 },
  { file: "pypi-versions-generated.txt", ecosystems: ["PyPI"], count: 12375 },
  { file: "maven-versions.txt", ecosystems: ["Maven"], count: 102 },
  { file: "maven-versions-generated.txt", ecosystems: ["Maven"], count: 14752 },
  { file: "semver-versions.txt", ecosystems: ["npm", "crates.io", "Go", "Hex"], count: 86 },
  { file: "rubygems-versions.txt", ecosystems: ["RubyGems"], count: 25 },
  { file: "rubygems-versions-generated.txt", ecosystems: ["RubyGems"], count: 4098 },
];

const EXPECTED: Record<string, number> = { "<": -1, "=": 0, ">": 1 };

interface Vector {
  line: number;
  a: string;
  op: string;
  b: string;
}

/** The comparisons of a vector file, skipping blank lines and `# ` / `// ` comments as osv-scalibr does. */
function readVectors(file: string): Vector[] {
  const vectors: Vector[] = [];
  const lines = readFileSync(corpusPath(`osv/version-ordering/${file}`), "utf8").split("\n");
  lines.forEach((text, index) => {
    if (text === "" || text.startsWith("# ") || text.startsWith("// ")) return;
    const pieces = text.split(" ");
    assert.equal(pieces.length, 3, `${file}:${index + 1}: not "A op B": ${text}`);
    const [a, op, b] = pieces as [string, string, string];
    assert.ok(op in EXPECTED, `${file}:${index + 1}: unknown operator ${op}`);
    vectors.push({ line: index + 1, a, op, b });
  });
  return vectors;
}

for (const { file, ecosystems, count } of FILES) {
  for (const ecosystem of ecosystems) {
    test(`${ecosystem} orders every line of ${file} both ways`, {
      skip: skipWithoutCorpus(`osv/version-ordering/${file}`),
    }, () => {
      const order = orderFor(ecosystem);
      assert.ok(order, `no order for ${ecosystem}`);
      const vectors = readVectors(file);
      assert.equal(vectors.length, count, `${file}: comparisons read`);
      const failures: string[] = [];
      for (const { line, a, op, b } of vectors) {
        const want = EXPECTED[op] as number;
        const forward = Math.sign(order.compare(a, b));
        const backward = Math.sign(order.compare(b, a));
        if (forward !== want || backward !== -want) {
          failures.push(`${file}:${line}: ${a} ${op} ${b} (got ${forward} forward, ${backward} backward)`);
        }
      }
      assert.deepEqual(failures.slice(0, 10), [], `${failures.length} of ${vectors.length} lines fail`);
    });
  }
}
