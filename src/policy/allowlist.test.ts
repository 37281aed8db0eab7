import assert from "node:assert/strict";
import { test } from "node:test";
import type { Allowlist } from "../model/index.js";
import { compileAllowlist, lookupAllowlists } from "./allowlist.js";

const EXPIRES = "2026-11-01T12:00:00Z";
const EXPIRES_MS = Date.parse(EXPIRES);

const ITEM = { id: "i1", gate: "vulnerabilities", triggerId: "CVE-2026-1+openssl", expiresOn: EXPIRES };
const list: Allowlist = { id: "wl", version: "1_0", items: [ITEM] };

function lookupAt(nowMs: number) {
  const { compiled, problems } = compileAllowlist(list, "whitelists[0]");
  assert.deepEqual(problems, []);
  return lookupAllowlists([compiled], {
    gate: "vulnerabilities",
    triggerId: "CVE-2026-1+openssl",
    image: "docker.io/library/test:1.0",
    nowMs,
  });
}

test("an allowlist item still suppresses one millisecond before it expires", () => {
  const lookup = lookupAt(EXPIRES_MS - 1);
  assert.equal(lookup.match?.itemId, "i1");
  assert.deepEqual(lookup.expired, []);
});

test("an allowlist item is not honoured at the exact instant it expires", () => {
  const lookup = lookupAt(EXPIRES_MS);
  assert.equal(lookup.match, undefined);
  assert.deepEqual(
    lookup.expired.map((e) => e.item.id),
    ["i1"],
  );
});

test("an allowlist item is not honoured after it expired", () => {
  assert.equal(lookupAt(EXPIRES_MS + 1).match, undefined);
});

test("expires_on with an offset is compared as the instant it names", () => {
  const offset: Allowlist = {
    ...list,
    items: [{ ...ITEM, expiresOn: "2026-11-01T14:00:00+02:00" }],
  };
  const { compiled } = compileAllowlist(offset, "whitelists[0]");
  const at = (nowMs: number) =>
    lookupAllowlists([compiled], {
      gate: "vulnerabilities",
      triggerId: "CVE-2026-1+openssl",
      image: "x",
      nowMs,
    });
  assert.equal(at(EXPIRES_MS - 1).match?.itemId, "i1");
  assert.equal(at(EXPIRES_MS).match, undefined);
});

test("an item scoped by namespace label or pod annotation suppresses only where they match", () => {
  const scoped: Allowlist = {
    id: "wl",
    version: "1_0",
    items: [
      {
        id: "dev-only",
        gate: "vulnerabilities",
        triggerId: "CVE-2026-1+*",
        scope: { namespaceLabels: { env: "dev*" } },
      },
      {
        id: "break-glass",
        gate: "vulnerabilities",
        triggerId: "CVE-2026-2+*",
        scope: { annotations: { "cipolice.io/exception": "INC-*" } },
      },
    ],
  };
  const { compiled, problems } = compileAllowlist(scoped, "whitelists[0]");
  assert.deepEqual(problems, []);
  const at = (triggerId: string, context: Record<string, Record<string, string>>) =>
    lookupAllowlists([compiled], { gate: "vulnerabilities", triggerId, image: "x", nowMs: 0, ...context })
      .match?.itemId;
  assert.equal(at("CVE-2026-1+openssl", { namespaceLabels: { env: "development" } }), "dev-only");
  assert.equal(at("CVE-2026-1+openssl", { namespaceLabels: { env: "production" } }), undefined);
  assert.equal(at("CVE-2026-1+openssl", {}), undefined, "no labels known: out of scope");
  assert.equal(at("CVE-2026-2+zlib", { annotations: { "cipolice.io/exception": "INC-42" } }), "break-glass");
  assert.equal(at("CVE-2026-2+zlib", { annotations: {} }), undefined);
});
