import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { badge, esc, href, page, relative, shortDigest, UI_CSP } from "./html.js";

describe("dashboard HTML helpers", () => {
  test("escapes markup, quotes, control and bidirectional characters", () => {
    assert.equal(
      esc(`<img src=x onerror="alert('1')">&`),
      "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;",
    );
    assert.equal(esc("evil\u202Egpj.exe"), "evil\\u202Egpj.exe");
    assert.equal(esc("a\u0000b"), "a\\u0000b");
    assert.equal(esc(undefined), "");
    assert.equal(esc(42), "42");
  });

  test("links encode query values and are escaped for the attribute", () => {
    assert.equal(
      href("/ui", { image: 'a&b "c"', outcome: "", limit: 5 }),
      "/ui?image=a%26b+%22c%22&amp;limit=5",
    );
    assert.equal(href("/ui/grace"), "/ui/grace");
  });

  test("short digests keep the algorithm and twelve hex digits, the whole one in a title", () => {
    const digest = `sha256:${"ab".repeat(32)}`;
    assert.equal(shortDigest(digest), `<code class="digest" title="${digest}">sha256:abababababab…</code>`);
    assert.equal(shortDigest(undefined), '<span class="dim">none</span>');
  });

  test("relative times", () => {
    assert.equal(relative(30_000), "now");
    assert.equal(relative(-5 * 60_000), "5 min ago");
    assert.equal(relative((3 * 24 + 4) * 3_600_000), "in 3 d 4 h");
    assert.equal(relative(-(90 * 60_000)), "1 h 30 min ago");
  });

  test("a badge of an unexpected word gets a neutral class and escaped text", () => {
    assert.equal(badge("fail"), '<span class="badge b-fail">fail</span>');
    assert.equal(badge("<x>"), '<span class="badge b-other">&lt;x&gt;</span>');
  });

  test("a page is self-contained: no script, no external URL, and the style's hash is in the CSP", () => {
    const html = page({ title: "T <b>", view: "grace", now: new Date("2026-12-07T10:00:00Z") }, "<p>x</p>");
    assert.ok(!/<script|<link|<img|src=|url\(/i.test(html), html);
    assert.ok(html.includes("<title>T &lt;b&gt; · CIPolicE</title>"));
    assert.match(html, /<a href="\/ui\/grace" aria-current="page"/);
    assert.match(UI_CSP, /default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'/);
    assert.doesNotMatch(UI_CSP, /script-src|unsafe/);
  });
});
