import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { factsFor, fireTrigger, paramProblems } from "../../../test/support/gates.js";
import type { ImageFacts } from "../../model/index.js";
import { metadataGate, parseByteSize } from "./metadata.js";

// The image of anchore-engine's unit tests for this gate (nginx on debian 10, five layers, no OS recorded).
const NGINX: ImageFacts = factsFor({
  size: 141455360,
  platform: { os: "", architecture: "amd64" },
  distro: { name: "debian", version: "10" },
  layers: ["a", "b", "c", "d", "e"].map((d) => ({ digest: `sha256:${d}` })),
});

const msg = (attribute: string, check: string, value: string, image: string) =>
  `Attribute check for attribute: '${attribute}' check: '${check}' check_value: '${value}' matched image value: '${image}'`;

const run = (params: Record<string, string>, facts: ImageFacts = NGINX) =>
  fireTrigger(metadataGate, "attribute", params, facts).map((h) => h.message);

describe("metadata/attribute", () => {
  const cases: { params: Record<string, string>; facts?: ImageFacts; expect: string[] }[] = [
    { params: { attribute: "size", check: ">", value: "0" }, expect: [msg("size", ">", "0", "141455360")] },
    { params: { attribute: "size", check: "<", value: "100000000" }, expect: [] },
    {
      params: { attribute: "size", check: "<=", value: "141455360" },
      expect: [msg("size", "<=", "141455360", "141455360")],
    },
    { params: { attribute: "size", check: ">=", value: "141455361" }, expect: [] },
    {
      params: { attribute: "size", check: "=", value: "141455360" },
      expect: [msg("size", "=", "141455360", "141455360")],
    },
    { params: { attribute: "size", check: "!=", value: "141455360" }, expect: [] },
    // Sizes take kb/mb/gb/tb (1024-based); the message shows the value in bytes.
    {
      params: { attribute: "size", check: "<", value: "1gb" },
      expect: [msg("size", "<", "1073741824", "141455360")],
    },
    {
      params: { attribute: "size", check: ">", value: "134mb" },
      expect: [msg("size", ">", "140509184", "141455360")],
    },
    { params: { attribute: "size", check: ">", value: "135MB" }, expect: [] },
    { params: { attribute: "size", check: "exists" }, expect: [msg("size", "exists", "", "141455360")] },
    {
      params: { attribute: "architecture", check: "like", value: "amd64" },
      expect: [msg("architecture", "like", "amd64", "amd64")],
    },
    { params: { attribute: "architecture", check: "like", value: "64" }, expect: [] },
    {
      params: { attribute: "architecture", check: "like", value: "(?i)AMD" },
      expect: [msg("architecture", "like", "(?i)AMD", "amd64")],
    },
    { params: { attribute: "architecture", check: "not_like", value: "amd64" }, expect: [] },
    {
      params: { attribute: "architecture", check: "not_like", value: "arm" },
      expect: [msg("architecture", "not_like", "arm", "amd64")],
    },
    {
      params: { attribute: "os_type", check: "not_exists", value: "" },
      facts: factsFor({ distro: { name: "debian" } }),
      expect: [msg("os_type", "not_exists", "", "None")],
    },
    // An empty string does not exist either (Python truthiness).
    {
      params: { attribute: "os_type", check: "not_exists" },
      expect: [msg("os_type", "not_exists", "None", "")],
    },
    {
      params: { attribute: "distro", check: "in", value: "debian,centos" },
      expect: [msg("distro", "in", "debian,centos", "debian")],
    },
    {
      params: { attribute: "distro", check: "in", value: "alpine , debian" },
      expect: [msg("distro", "in", "alpine , debian", "debian")],
    },
    { params: { attribute: "distro", check: "not_in", value: "debian,centos" }, expect: [] },
    {
      params: { attribute: "distro", check: "not_in", value: "alpine" },
      expect: [msg("distro", "not_in", "alpine", "debian")],
    },
    {
      params: { attribute: "distro_version", check: "=", value: "10" },
      expect: [msg("distro_version", "=", "10", "10")],
    },
    { params: { attribute: "distro_version", check: "!=", value: "10" }, expect: [] },
    // Versions compare as text, as in anchore: "10" < "9".
    {
      params: { attribute: "distro_version", check: "<", value: "9" },
      expect: [msg("distro_version", "<", "9", "10")],
    },
    // like_distro is the ID_LIKE list comma-joined, or the distro id when there is none.
    {
      params: { attribute: "like_distro", check: "exists", value: "" },
      expect: [msg("like_distro", "exists", "", "debian")],
    },
    {
      params: { attribute: "like_distro", check: "=", value: "rhel,fedora" },
      facts: factsFor({ distro: { name: "centos", version: "8", like: ["rhel", "fedora"] } }),
      expect: [msg("like_distro", "=", "rhel,fedora", "rhel,fedora")],
    },
    // A text attribute checked without a value shows it as None, as Python's str(None).
    { params: { attribute: "distro", check: "exists" }, expect: [msg("distro", "exists", "None", "debian")] },
    {
      params: { attribute: "layer_count", check: ">=", value: "5" },
      expect: [msg("layer_count", ">=", "5", "5")],
    },
    { params: { attribute: "layer_count", check: ">", value: "5" }, expect: [] },
    {
      params: { attribute: "layer_count", check: "<", value: " 6 " },
      expect: [msg("layer_count", "<", "6", "5")],
    },
    // No layers counts as 0, which does not exist.
    {
      params: { attribute: "layer_count", check: "not_exists" },
      facts: factsFor(),
      expect: [msg("layer_count", "not_exists", "", "0")],
    },
    { params: { attribute: "layer_count", check: "exists" }, facts: factsFor(), expect: [] },
    // Unknown attributes are None: = never matches, != and not_in do.
    { params: { attribute: "architecture", check: "=", value: "amd64" }, facts: factsFor(), expect: [] },
    {
      params: { attribute: "architecture", check: "!=", value: "amd64" },
      facts: factsFor(),
      expect: [msg("architecture", "!=", "amd64", "None")],
    },
    { params: { attribute: "distro", check: "in", value: "debian" }, facts: factsFor(), expect: [] },
    {
      params: { attribute: "distro", check: "not_in", value: "debian" },
      facts: factsFor(),
      expect: [msg("distro", "not_in", "debian", "None")],
    },
  ];
  for (const c of cases) {
    test(`${JSON.stringify(c.params)} fires ${c.expect.length}`, () => {
      assert.deepEqual(run(c.params, c.facts), c.expect);
    });
  }

  test("hits carry md5(gate + trigger + message) trigger ids", () => {
    const big = factsFor({ size: 2 * 1024 ** 3, distro: { name: "debian" } });
    const [size] = fireTrigger(
      metadataGate,
      "attribute",
      { attribute: "size", check: ">", value: "1gb" },
      big,
    );
    assert.equal(size?.triggerId, "14c9cbd1d81d4c3b2b713d6db49968eb");
    const [distro] = fireTrigger(
      metadataGate,
      "attribute",
      { attribute: "distro", check: "in", value: "debian,centos" },
      big,
    );
    assert.equal(distro?.triggerId, "bba11a3a7cfa5970afa60be4f3a9b830");
  });

  test("checks that cannot apply fail the evaluation, as they do in anchore", () => {
    assert.throws(
      () => run({ attribute: "size", check: "like", value: "1" }),
      /check 'like' cannot apply to attribute size: its value 141455360 is a number/,
    );
    assert.throws(
      () => run({ attribute: "layer_count", check: "in", value: "5" }),
      /check 'in' cannot apply to attribute layer_count/,
    );
    assert.throws(
      () => run({ attribute: "size", check: ">", value: "1" }, factsFor()),
      /attribute size: the image has no value for it/,
    );
    assert.throws(
      () => run({ attribute: "architecture", check: "like", value: "amd" }, factsFor()),
      /has no value/,
    );
  });

  test("rejects values the attribute cannot take", () => {
    const problem = (params: Record<string, string>) =>
      paramProblems(metadataGate, "attribute", params)[0] ?? "";
    assert.match(problem({ attribute: "foo", check: ">", value: "200" }), /"attribute"/);
    assert.match(problem({ attribute: "size", check: "!", value: "200" }), /"check"/);
    assert.match(problem({ attribute: "size", check: "!=", value: "test" }), /size in bytes/);
    assert.match(problem({ attribute: "size", check: ">", value: "1.5gb" }), /size in bytes/);
    assert.match(problem({ attribute: "size", check: ">", value: "1 gb" }), /size in bytes/);
    assert.match(problem({ attribute: "layer_count", check: ">", value: "many" }), /whole number/);
    assert.match(
      problem({ attribute: "distro", check: "like", value: "deb(" }),
      /not a valid regular expression/,
    );
    assert.match(problem({ attribute: "distro", check: "=" }), /"value" is required/);
    assert.match(problem({ attribute: "distro", check: "=", value: "" }), /"value" is required/);
    assert.deepEqual(paramProblems(metadataGate, "attribute", { attribute: "size", check: "exists" }), []);
  });
});

describe("parseByteSize", () => {
  const cases: [string, number | undefined][] = [
    ["10", 10],
    ["1kb", 1024],
    ["2MB", 2 * 1024 ** 2],
    ["1gb", 1073741824],
    ["1tb", 1024 ** 4],
    ["1b", undefined],
    ["1.5gb", undefined],
    ["-1", undefined],
    ["", undefined],
  ];
  for (const [text, bytes] of cases) {
    test(`${JSON.stringify(text)} -> ${bytes}`, () => assert.equal(parseByteSize(text), bytes));
  }
});
