import assert from "node:assert/strict";
import { test } from "node:test";
import { nextLink } from "./link-header.js";

test("a relative next link resolves against the request URL", () => {
  assert.equal(
    nextLink('</v2/_catalog?last=b&n=2>; rel="next"', "http://127.0.0.1:5000/v2/_catalog?n=2"),
    "http://127.0.0.1:5000/v2/_catalog?last=b&n=2",
  );
});

test("next is found among several links and unquoted rel values", () => {
  const header =
    "<https://r.example/v2/a/tags/list?last=x>; rel=prev, <https://r.example/v2/a/tags/list?last=z>; rel=next";
  assert.equal(
    nextLink(header, "https://r.example/v2/a/tags/list"),
    "https://r.example/v2/a/tags/list?last=z",
  );
});

test("no Link header, or none with rel=next, ends pagination", () => {
  assert.equal(nextLink(null, "https://r.example/v2/_catalog"), undefined);
  assert.equal(nextLink('</v2/_catalog?last=a>; rel="prev"', "https://r.example/v2/_catalog"), undefined);
});
