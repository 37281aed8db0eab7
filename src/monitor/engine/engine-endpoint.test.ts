import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isCipError } from "../../model/index.js";
import { DEFAULT_ENGINE_SOCKET, engineEndpoint } from "./engine-endpoint.js";

describe("engineEndpoint", () => {
  test("defaults to /var/run/docker.sock, as the Docker CLI", () => {
    assert.deepEqual(engineEndpoint({}), {
      kind: "unix",
      socketPath: DEFAULT_ENGINE_SOCKET,
      display: "unix:///var/run/docker.sock",
    });
    assert.equal(DEFAULT_ENGINE_SOCKET, "/var/run/docker.sock");
    assert.deepEqual(engineEndpoint({ DOCKER_HOST: "" }, "  "), engineEndpoint({}));
  });

  test("reads DOCKER_HOST, and --host before it", () => {
    assert.deepEqual(engineEndpoint({ DOCKER_HOST: "unix:///run/podman/podman.sock" }), {
      kind: "unix",
      socketPath: "/run/podman/podman.sock",
      display: "unix:///run/podman/podman.sock",
    });
    const flagged = engineEndpoint({ DOCKER_HOST: "unix:///run/podman/podman.sock" }, "tcp://10.0.0.5:2375");
    assert.deepEqual(flagged, { kind: "tcp", host: "10.0.0.5", port: 2375, display: "tcp://10.0.0.5:2375" });
  });

  test("tcp:// without a port is 2375, or 2376 with DOCKER_TLS_VERIFY", () => {
    assert.equal(engineEndpoint({ DOCKER_HOST: "tcp://docker.example" }).kind, "tcp");
    assert.deepEqual(engineEndpoint({ DOCKER_HOST: "tcp://docker.example" }), {
      kind: "tcp",
      host: "docker.example",
      port: 2375,
      display: "tcp://docker.example:2375",
    });
    const tls = engineEndpoint({
      DOCKER_HOST: "tcp://docker.example",
      DOCKER_TLS_VERIFY: "1",
      DOCKER_CERT_PATH: "/etc/docker-certs",
    });
    assert.deepEqual(tls, {
      kind: "tcp",
      host: "docker.example",
      port: 2376,
      tls: {
        ca: "/etc/docker-certs/ca.pem",
        cert: "/etc/docker-certs/cert.pem",
        key: "/etc/docker-certs/key.pem",
      },
      display: "tcp://docker.example:2376",
    });
  });

  test("DOCKER_CERT_PATH defaults to ~/.docker; an empty DOCKER_TLS_VERIFY means no TLS", () => {
    const tls = engineEndpoint({
      DOCKER_HOST: "tcp://127.0.0.1:2376",
      DOCKER_TLS_VERIFY: "1",
      HOME: "/home/ci",
    });
    assert.equal(tls.kind === "tcp" ? tls.tls?.ca : undefined, "/home/ci/.docker/ca.pem");
    const plain = engineEndpoint({ DOCKER_HOST: "tcp://127.0.0.1:2376", DOCKER_TLS_VERIFY: "" });
    assert.equal(plain.kind === "tcp" ? plain.tls : "unix", undefined);
  });

  test("IPv6 addresses and a bare host:port", () => {
    assert.deepEqual(engineEndpoint({ DOCKER_HOST: "tcp://[::1]:2375" }), {
      kind: "tcp",
      host: "::1",
      port: 2375,
      display: "tcp://[::1]:2375",
    });
    assert.deepEqual(engineEndpoint({ DOCKER_HOST: "127.0.0.1:2375" }), {
      kind: "tcp",
      host: "127.0.0.1",
      port: 2375,
      display: "tcp://127.0.0.1:2375",
    });
  });

  test("refuses ssh://, npipe:// and malformed addresses with a usage error naming the source", () => {
    for (const [host, reason] of [
      ["ssh://me@build-host", "the scheme ssh:// is not supported"],
      ["npipe:////./pipe/docker_engine", "the scheme npipe:// is not supported"],
      ["tcp://host:2375/path", "a tcp:// address takes a host and a port only"],
      ["tcp://host:99999", "it is not a valid tcp://host:port address"],
      ["unix://", "the socket path is empty"],
    ] as const) {
      assert.throws(
        () => engineEndpoint({ DOCKER_HOST: host }),
        (error: unknown) => {
          assert.ok(isCipError(error));
          assert.equal(error.code, "CIP_USAGE");
          assert.equal(error.message, `Cannot use the engine address "${host}": ${reason} (DOCKER_HOST)`);
          return true;
        },
      );
    }
    assert.throws(() => engineEndpoint({}, "ssh://x"), /\(--host\)$/);
  });
});
