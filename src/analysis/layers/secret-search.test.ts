import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ANCHORE_SECRET_REGEXES } from "../../policy/gates/secret-scans.js";
import { compilePythonRegex } from "../../policy/python-regex.js";
import { LINEAR_SECRET_REGEXES, SecretSearch, secretMatcher } from "./secret-search.js";

/** anchore-engine's pattern on a backtracking engine with lookbehind (V8), as Python's re.match reads it. */
function original(name: string): RegExp {
  const pattern = ANCHORE_SECRET_REGEXES[name] as string;
  return new RegExp(`^(?:${pattern.replace(/^\(\?i\)/, "")})`, "i");
}

const KEY20 = "AKIAIOSFODNN7EXAMPLE";
const SECRET40 = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const LINES = [
  `aws_access_key_id = ${KEY20}`,
  `aws_access_key_id=${KEY20}`,
  `AWS_ACCESS_KEY_ID == "${KEY20}"`,
  `aws_access_key_id = ${KEY20}X`,
  `aws_access_key_id = x${KEY20}`,
  `aws_access_key_id = ${KEY20.toLowerCase()}`,
  `export aws_access_key_id = '${KEY20}' # note`,
  `aws_access_key_id: ${KEY20}`,
  `aws_secret_access_key = ${SECRET40}`,
  `aws_secret_access_key=${SECRET40}`,
  `aws_secret_access_key =${SECRET40}`,
  `aws_secret_access_key = "${SECRET40}"`,
  `aws_secret_access_key = ${SECRET40}=`,
  `aws_secret_access_key == x ${SECRET40}`,
  `api_key = ${"A".repeat(20)}`,
  `api-key = ${"A".repeat(60)}`,
  `api-key = ${"A".repeat(61)}`,
  `API_KEY=${"9".repeat(19)}`,
  `my_api_key = abc ${"B".repeat(30)} tail`,
  "-----BEGIN RSA PRIVATE KEY-----",
  '  "auth": "dXNlcjpwYXNz"',
  '"auth":""',
  "nothing to see here",
];

describe("LINEAR_SECRET_REGEXES", () => {
  it("match exactly the lines anchore-engine's lookaround patterns match", () => {
    for (const name of Object.keys(ANCHORE_SECRET_REGEXES)) {
      const linear = compilePythonRegex(LINEAR_SECRET_REGEXES[name] as string);
      const native = original(name);
      for (const line of LINES) {
        assert.equal(linear.match(line), native.test(line), `${name} on ${JSON.stringify(line)}`);
      }
    }
  });

  it("agree with the originals on random lines built from their parts", () => {
    const parts = [
      "aws_access_key_id",
      "aws_secret_access_key",
      "api_key",
      "api-key",
      " ",
      "=",
      "==",
      "x",
      "/",
      "+",
      '"',
      KEY20,
      SECRET40,
      "A".repeat(19),
      "Z9".repeat(15),
    ];
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    const compiled = Object.keys(ANCHORE_SECRET_REGEXES).map((name) => ({
      name,
      linear: compilePythonRegex(LINEAR_SECRET_REGEXES[name] as string),
      native: original(name),
    }));
    for (let i = 0; i < 3000; i++) {
      const length = 2 + (next() % 6);
      const line = Array.from({ length }, () => parts[next() % parts.length]).join("");
      for (const { name, linear, native } of compiled) {
        assert.equal(linear.match(line), native.test(line), `${name} on ${JSON.stringify(line)}`);
      }
    }
  });
});

describe("SecretSearch", () => {
  it("names the regex, path and line, across chunk boundaries, never the secret", () => {
    const search = new SecretSearch(secretMatcher(), "/app/.env");
    const text = `# config\nname=x\naws_access_key_id = ${KEY20}\n\n-----BEGIN OPENSSH PRIVATE KEY-----\nabc`;
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += 7) search.push(bytes.subarray(i, i + 7));
    const findings = search.end();
    assert.deepEqual(findings, [
      { regexName: "AWS_ACCESS_KEY", path: "/app/.env", line: 3 },
      { regexName: "PRIV_KEY", path: "/app/.env", line: 5 },
    ]);
    assert.ok(!JSON.stringify(findings).includes(KEY20));
  });

  it("reports a custom pattern RE2 cannot run as a problem", () => {
    const matcher = secretMatcher({ BAD: "(?<=x)y", GOOD: "(?i).*password=.+" });
    assert.deepEqual(
      matcher.regexes.map((r) => r.name),
      ["GOOD"],
    );
    assert.match(matcher.problems[0] as string, /secret regex BAD is not used/);
    const search = new SecretSearch(matcher, "/f");
    search.push(Buffer.from("a\nPASSWORD=hunter2\n"));
    assert.deepEqual(search.end(), [{ regexName: "GOOD", path: "/f", line: 2 }]);
  });
});
