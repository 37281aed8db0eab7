import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CacheOutcome, TtlCache } from "./ttl-cache.js";

describe("TtlCache", () => {
  it("answers from the cache until the value's time to live ends", async () => {
    let now = 1000;
    const cache = new TtlCache<string, number>({ maxEntries: 10, ttlMs: 100, now: () => now });
    let loads = 0;
    const load = async () => ++loads;
    assert.equal(await cache.get("a", load), 1);
    now += 99;
    assert.equal(await cache.get("a", load), 1);
    now += 1;
    assert.equal(await cache.get("a", load), 2);
  });

  it("gives concurrent callers of one key the same load", async () => {
    const cache = new TtlCache<string, number>({ maxEntries: 10, ttlMs: 1000 });
    let loads = 0;
    let release: (v: number) => void = () => {};
    const load = () => {
      loads++;
      return new Promise<number>((resolve) => {
        release = resolve;
      });
    };
    const outcomes: CacheOutcome[] = [];
    const waiting = Array.from({ length: 5 }, () => cache.get("k", load, (o) => outcomes.push(o)));
    release(7);
    assert.deepEqual(await Promise.all(waiting), [7, 7, 7, 7, 7]);
    assert.equal(loads, 1);
    assert.deepEqual(outcomes, ["miss", "coalesced", "coalesced", "coalesced", "coalesced"]);
    await cache.get("k", load, (o) => outcomes.push(o));
    assert.equal(outcomes.at(-1), "hit");
  });

  it("does not keep a failed load, so the next caller tries again", async () => {
    const cache = new TtlCache<string, number>({ maxEntries: 10, ttlMs: 1000 });
    await assert.rejects(
      cache.get("k", async () => {
        throw new Error("registry down");
      }),
      /registry down/,
    );
    assert.equal(await cache.get("k", async () => 3), 3);
  });

  it("keeps at most maxEntries, dropping the least recently used", async () => {
    const cache = new TtlCache<string, number>({ maxEntries: 2, ttlMs: 1000 });
    cache.set("a", 1);
    cache.set("b", 2);
    assert.equal(cache.peek("a"), 1);
    cache.set("c", 3);
    assert.equal(cache.peek("b"), undefined);
    assert.equal(cache.peek("a"), 1);
    assert.equal(cache.size, 2);
  });

  it("gives values their own lifetime (short for negative answers)", () => {
    let now = 0;
    const cache = new TtlCache<string, string>({
      maxEntries: 10,
      ttlMs: (v) => (v === "unknown" ? 10 : 1000),
      now: () => now,
    });
    cache.set("x", "unknown");
    cache.set("y", "pass");
    now = 11;
    assert.equal(cache.peek("x"), undefined);
    assert.equal(cache.peek("y"), "pass");
  });

  it("drops a load that was running when the cache was cleared", async () => {
    const cache = new TtlCache<string, number>({ maxEntries: 10, ttlMs: 1000 });
    let release: (v: number) => void = () => {};
    const pending = cache.get("k", () => new Promise<number>((r) => (release = r)));
    cache.clear();
    release(1);
    assert.equal(await pending, 1);
    assert.equal(cache.peek("k"), undefined);
  });
  it("drops every entry a predicate picks, next to each other or not, and keeps the rest", () => {
    const cache = new TtlCache<string, number>({ maxEntries: 10, ttlMs: 1000 });
    for (const [i, key] of ["a|1", "a|2", "b|1", "a|3", "a|4", "b|2", "a|5"].entries()) cache.set(key, i);
    cache.deleteWhere((key) => key.startsWith("a|"));
    assert.equal(cache.size, 2);
    assert.equal(cache.peek("b|1"), 2);
    assert.equal(cache.peek("b|2"), 5);
    for (const key of ["a|1", "a|2", "a|3", "a|4", "a|5"]) assert.equal(cache.peek(key), undefined, key);
  });
});

describe("TtlCache invalidation while a load runs", () => {
  it("does not store a value whose load started before entries were deleted", async () => {
    const cache = new TtlCache<string, number>({ maxEntries: 10, ttlMs: 1000 });
    let release: (v: number) => void = () => {};
    const pending = cache.get("rev:a", () => new Promise<number>((r) => (release = r)));
    cache.deleteWhere((key) => key === "rev:a");
    release(1);
    assert.equal(await pending, 1, "the caller still gets its answer");
    assert.equal(cache.peek("rev:a"), undefined, "but the next caller loads again");
    assert.equal(await cache.get("rev:a", async () => 2), 2);
  });
});
