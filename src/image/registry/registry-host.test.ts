import assert from "node:assert/strict";
import { test } from "node:test";
import { apiHost, isLoopback, plainHttpAllowed } from "./registry-host.js";

test("docker.io is served from registry-1.docker.io; other registries from themselves", () => {
  assert.equal(apiHost("docker.io"), "registry-1.docker.io");
  assert.equal(apiHost("index.docker.io"), "registry-1.docker.io");
  assert.equal(apiHost("ghcr.io"), "ghcr.io");
  assert.equal(apiHost("localhost:5000"), "localhost:5000");
});

test("loopback hosts allow plain HTTP, other hosts only when listed as insecure", () => {
  for (const host of ["localhost:5000", "127.0.0.1:5000", "127.8.9.10", "[::1]:5000", "localhost"]) {
    assert.ok(isLoopback(host), host);
  }
  for (const host of ["128.0.0.1", "10.0.0.1:5000", "localhost.example.com", "[::2]:5000"]) {
    assert.ok(!isLoopback(host), host);
  }
  assert.ok(plainHttpAllowed("reg.lan:5000", ["reg.lan:5000"]));
  assert.ok(plainHttpAllowed("reg.lan:5000", ["reg.lan"]));
  assert.ok(plainHttpAllowed("reg.lan:5000", ["http://reg.lan:5000/"]));
  assert.ok(!plainHttpAllowed("reg.lan:5000", ["reg.lan:5001"]));
  assert.ok(!plainHttpAllowed("reg.lan", []));
});
