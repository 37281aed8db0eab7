import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RepeatedReviews } from "./repeated-reviews.js";

const OPTIONS = { maxEntries: 16, maxBodyBytes: 64 * 1024 };

/** A review as the API server lays it out: the uid first in the request object. */
function review(uid: string, image = "registry.example/team/app:1.0", extra = ""): Buffer {
  return Buffer.from(
    `{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"${uid}","kind":{"group":"","version":"v1","kind":"Pod"},"namespace":"default","operation":"CREATE"${extra},"object":{"spec":{"containers":[{"name":"c","image":"${image}"}]}}}}`,
  );
}

const parseUid = (text: string) => (JSON.parse(text) as { request: { uid: unknown } }).request.uid;

/** Records a body as the route does after parsing it. */
function observe(memo: RepeatedReviews<string>, body: Buffer, value = "read"): void {
  memo.observe(body, parseUid(body.toString()) as string, value, parseUid);
}

describe("repeated admission reviews", () => {
  test("a review seen once answers nothing; from the second sighting on, the same bytes with any uid are found", () => {
    const memo = new RepeatedReviews<string>(OPTIONS);
    observe(memo, review("uid-1"));
    assert.equal(memo.find(review("uid-2")), undefined, "one sighting proves nothing about the uid's place");
    observe(memo, review("uid-2"));
    assert.deepEqual(memo.find(review("uid-3")), { value: "read", uid: "uid-3" });
    assert.deepEqual(memo.find(review("0d4d7c2e-6f51-4b7e-9a53-3c1a2f9e8b10")), {
      value: "read",
      uid: "0d4d7c2e-6f51-4b7e-9a53-3c1a2f9e8b10",
    });
  });

  test("the same body with the same uid twice is proven by a probe parse", () => {
    const memo = new RepeatedReviews<string>(OPTIONS);
    let probes = 0;
    const counting = (text: string) => {
      probes++;
      return parseUid(text);
    };
    memo.observe(review("same"), "same", "read", counting);
    memo.observe(review("same"), "same", "read", counting);
    assert.equal(probes, 1);
    assert.deepEqual(memo.find(review("same")), { value: "read", uid: "same" });
  });

  test("one body object looked up, then observed twice, is found: a lookup is not reused once entries changed", () => {
    const memo = new RepeatedReviews<string>(OPTIONS);
    const body = review("same");
    assert.equal(memo.find(body), undefined);
    observe(memo, body);
    observe(memo, body);
    assert.deepEqual(memo.find(body), { value: "read", uid: "same" });
    assert.equal(memo.size, 1);
  });

  test("a body differing in one byte besides the uid is not found", () => {
    const memo = new RepeatedReviews<string>(OPTIONS);
    observe(memo, review("a", "registry.example/team/app:1.0"));
    observe(memo, review("b", "registry.example/team/app:1.0"));
    assert.equal(memo.find(review("c", "registry.example/team/app:1.1")), undefined);
    assert.equal(memo.find(review("c", "registry.example/team/app:1.0 ")), undefined);
    assert.notEqual(memo.find(review("c", "registry.example/team/app:1.0")), undefined);
  });

  test("a later duplicate uid key, which JSON.parse reads instead, keeps the body out", () => {
    const memo = new RepeatedReviews<string>(OPTIONS);
    // JSON.parse takes the last "uid": the bytes after "request":{"uid": are not the request's uid
    const body = (uid: string) => review(uid, "registry.example/team/app:1.0", ',"uid":"fixed"');
    for (const uid of ["x1", "x2", "x2"]) {
      memo.observe(body(uid), parseUid(body(uid).toString()) as string, "read", parseUid);
    }
    assert.equal(memo.find(body("x3")), undefined);
    // Even when the route claims the uid it saw there, the probe parse refuses it
    memo.observe(body("x4"), "x4", "read", parseUid);
    memo.observe(body("x4"), "x4", "read", parseUid);
    assert.equal(memo.find(body("x5")), undefined);
  });

  test("a body where the pattern stands earlier than where the last review had it is looked up there", () => {
    const memo = new RepeatedReviews<string>(OPTIONS);
    const plain = (uid: string) => review(uid);
    // The same review with a field before the request that holds the pattern's bytes (its uid not the request's)
    const nested = (uid: string) =>
      Buffer.from(plain(uid).toString().replace('"request":{', '"x":{"request":{"uid":"n"}},"request":{'));
    observe(memo, plain("p1"));
    observe(memo, plain("p2"));
    for (const uid of ["n1", "n2", "n3"]) observe(memo, nested(uid));
    assert.equal(memo.find(nested("n4")), undefined);
    assert.deepEqual(memo.find(plain("p3")), { value: "read", uid: "p3" });
  });

  test("uids that JSON would escape, other layouts and large bodies are not remembered", () => {
    const memo = new RepeatedReviews<string>({ maxEntries: 16, maxBodyBytes: 400 });
    const escaped = Buffer.from(review("a").toString().replace('"uid":"a"', '"uid":"a\\u0041"'));
    memo.observe(escaped, "aA", "read", parseUid);
    memo.observe(escaped, "aA", "read", parseUid);
    assert.equal(memo.find(escaped), undefined);
    const spaced = Buffer.from(review("a").toString().replace('"request":{', '"request": {'));
    observe(memo, spaced);
    observe(memo, spaced);
    assert.equal(memo.find(spaced), undefined);
    const large = review("a", `registry.example/team/${"x".repeat(400)}:1`);
    observe(memo, large);
    observe(memo, large);
    assert.equal(memo.find(large), undefined);
    assert.equal(memo.size, 0);
  });

  test("reviews seen once, of the same shape (new pods of a ReplicaSet), do not push out one asked again and again", () => {
    const memo = new RepeatedReviews<string>(OPTIONS);
    const pod = (name: string, uid: string) => review(uid, `registry.example/team/${name}:1`);
    observe(memo, pod("steady", "u1"));
    observe(memo, pod("steady", "u2"));
    for (let i = 0; i < 100; i++) observe(memo, pod(`p${String(i).padStart(5, "0")}`, `n${i}`));
    assert.deepEqual(memo.find(pod("steady", "u3")), { value: "read", uid: "u3" });
    assert.ok(memo.size <= 4, `one bucket holds at most 4, not ${memo.size}`);
  });

  test("entries are bounded: the oldest go first", () => {
    const memo = new RepeatedReviews<string>({ maxEntries: 4, maxBodyBytes: 64 * 1024 });
    // Images of different lengths: each body is a bucket of its own
    const image = (i: number) => `registry.example/team/${"a".repeat(i + 1)}:1`;
    for (let i = 0; i < 6; i++) {
      observe(memo, review("u1", image(i)));
      observe(memo, review("u2", image(i)));
    }
    assert.equal(memo.size, 4);
    assert.equal(memo.find(review("u3", image(0))), undefined);
    assert.equal(memo.find(review("u3", image(1))), undefined);
    assert.notEqual(memo.find(review("u3", image(5))), undefined);
    memo.clear();
    assert.equal(memo.size, 0);
  });
});
