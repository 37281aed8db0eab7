import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { factsFor, fireTrigger, paramProblems } from "../../../test/support/gates.js";
import type { Dockerfile, DockerfileMode, ImageFacts } from "../../model/index.js";
import type { GateSpec } from "../gate-types.js";
import { dockerfileGate } from "./dockerfile.js";

// The helpers take the catalog's untyped view of a gate, as the catalog does.
const gate = dockerfileGate as GateSpec;

/** Facts with a Dockerfile written as text, one instruction a line (as anchore's own tests use). */
function withDockerfile(text: string, mode: DockerfileMode = "actual"): ImageFacts {
  const instructions = text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, index) => {
      const [directive = "", ...rest] = line.split(" ");
      return { directive: directive.toUpperCase(), value: rest.join(" "), line: index + 1 };
    });
  return factsFor({ dockerfile: { mode, instructions } });
}

// The Dockerfile of anchore-engine's unit tests for this gate.
const APP =
  "FROM ubuntu:18.04\nUSER admin\nCOPY . /app\nRUN make /app\nCMD python /app/app.py\nEXPOSE 3000\n";

const messages = (hits: { message: string }[]) => hits.map((h) => h.message);

describe("dockerfile/instruction", () => {
  const cases: { params: Record<string, string>; text?: string; expect: string[] }[] = [
    {
      params: { instruction: "COPY", check: "=", value: ". /app" },
      expect: ["Dockerfile directive 'COPY' check '=' matched against '. /app' for line '. /app'"],
    },
    { params: { instruction: "COPY", check: "!=", value: ". /app" }, expect: [] },
    {
      params: { instruction: "COPY", check: "!=", value: "/src /app" },
      expect: ["Dockerfile directive 'COPY' check '!=' matched against '/src /app' for line '. /app'"],
    },
    {
      params: { instruction: "COPY", check: "exists" },
      expect: ["Dockerfile directive 'COPY' check 'exists' matched against '' for line '. /app'"],
    },
    { params: { instruction: "VOLUME", check: "exists" }, expect: [] },
    {
      params: { instruction: "VOLUME", check: "not_exists" },
      expect: ["Dockerfile directive 'VOLUME' not found, matching condition 'not_exists' check"],
    },
    { params: { instruction: "COPY", check: "not_exists" }, expect: [] },
    {
      params: { instruction: "COPY", check: "like", value: ". /" },
      expect: ["Dockerfile directive 'COPY' check 'like' matched against '. /' for line '. /app'"],
    },
    { params: { instruction: "COPY", check: "like", value: ". /usr/local/bin" }, expect: [] },
    // like is re.match: anchored at the start only.
    { params: { instruction: "FROM", check: "like", value: "18\\.04" }, expect: [] },
    {
      params: { instruction: "FROM", check: "like", value: "(?i)UBUNTU:" },
      expect: [
        "Dockerfile directive 'FROM' check 'like' matched against '(?i)UBUNTU:' for line 'ubuntu:18.04'",
      ],
    },
    {
      params: { instruction: "COPY", check: "not_like", value: ". /usr" },
      expect: ["Dockerfile directive 'COPY' check 'not_like' matched against '. /usr' for line '. /app'"],
    },
    { params: { instruction: "COPY", check: "not_like", value: ". /app" }, expect: [] },
    {
      params: { instruction: "USER", check: "in", value: "root, admin" },
      expect: ["Dockerfile directive 'USER' check 'in' matched against 'root, admin' for line 'admin'"],
    },
    { params: { instruction: "USER", check: "in", value: "root,someuser" }, expect: [] },
    { params: { instruction: "USER", check: "not_in", value: "admin,root" }, expect: [] },
    {
      params: { instruction: "USER", check: "not_in", value: "root" },
      expect: ["Dockerfile directive 'USER' check 'not_in' matched against 'root' for line 'admin'"],
    },
    {
      text: "FROM alpine\nRUN apk add curl\nRUN rm -rf /var/cache/apk\n",
      params: { instruction: "RUN", check: "exists" },
      expect: [
        "Dockerfile directive 'RUN' check 'exists' matched against '' for line 'apk add curl'",
        "Dockerfile directive 'RUN' check 'exists' matched against '' for line 'rm -rf /var/cache/apk'",
      ],
    },
  ];
  for (const c of cases) {
    test(`${JSON.stringify(c.params)} fires ${c.expect.length}`, () => {
      const hits = fireTrigger(gate, "instruction", c.params, withDockerfile(c.text ?? APP));
      assert.deepEqual(messages(hits), c.expect);
    });
  }

  test("not_exists on a missing directive has anchore's md5 trigger id", () => {
    const hits = fireTrigger(
      gate,
      "instruction",
      { instruction: "VOLUME", check: "not_exists" },
      withDockerfile(APP),
    );
    // md5("dockerfile" + "instruction" + message), computed independently with node:crypto.
    assert.equal(hits[0]?.triggerId, "e7925fe10a2e25eefa3d945b6b5630b6");
  });

  test("actual_dockerfile_only skips a guessed Dockerfile and keeps an actual one", () => {
    const params = { instruction: "COPY", check: "exists", actual_dockerfile_only: "true" };
    assert.equal(fireTrigger(gate, "instruction", params, withDockerfile(APP, "guessed")).length, 0);
    assert.equal(fireTrigger(gate, "instruction", params, withDockerfile(APP, "actual")).length, 1);
    const notOnly = { ...params, actual_dockerfile_only: "false" };
    assert.equal(fireTrigger(gate, "instruction", notOnly, withDockerfile(APP, "guessed")).length, 1);
  });

  test("rejects a lower-case instruction, an unknown check, a missing value and a bad regex", () => {
    assert.match(
      paramProblems(gate, "instruction", { instruction: "from", check: "exists" })[0] ?? "",
      /"instruction"/,
    );
    assert.match(
      paramProblems(gate, "instruction", { instruction: "FROM", check: "~=" })[0] ?? "",
      /"check"/,
    );
    for (const check of ["=", "!=", "like", "not_like", "in", "not_in"]) {
      assert.match(
        paramProblems(gate, "instruction", { instruction: "FROM", check })[0] ?? "",
        /"value" is required/,
        check,
      );
    }
    assert.match(
      paramProblems(gate, "instruction", { instruction: "FROM", check: "like", value: "(" })[0] ?? "",
      /not a valid regular expression/,
    );
    assert.match(
      paramProblems(gate, "instruction", {
        instruction: "FROM",
        check: "exists",
        actual_dockerfile_only: "yes",
      })[0] ?? "",
      /actual_dockerfile_only/,
    );
    assert.deepEqual(paramProblems(gate, "instruction", { instruction: "FROM", check: "=", value: "" }), []);
  });
});

describe("dockerfile/effective_user", () => {
  const cases: { text: string; params: Record<string, string>; expect: string[] }[] = [
    {
      text: APP,
      params: { users: "testUser,admin", type: "blacklist" },
      expect: ["User admin found as effective user, which is explicity not allowed"],
    },
    { text: APP, params: { users: "testUser", type: "blacklist" }, expect: [] },
    { text: APP, params: { users: "admin", type: "whitelist" }, expect: [] },
    {
      text: APP,
      params: { users: "nginx, postgres", type: "whitelist" },
      expect: ["User admin found as effective user, which is not on the allowed list"],
    },
    // The last USER wins.
    {
      text: "USER testuser\nRUN echo hi\nUSER root\n",
      params: { users: "testuser", type: "blacklist" },
      expect: [],
    },
    {
      text: "USER testuser\nRUN echo hi\nUSER root\n",
      params: { users: "testuser", type: "whitelist" },
      expect: ["User root found as effective user, which is not on the allowed list"],
    },
    // No USER means root.
    {
      text: "FROM alpine\nRUN echo hi\n",
      params: { users: "root", type: "blacklist" },
      expect: ["User root found as effective user, which is explicity not allowed"],
    },
    // `USER [name]` reads as name; `USER name:group` keeps the group.
    { text: "USER [user1]\nRUN echo hi\n", params: { users: "user1", type: "whitelist" }, expect: [] },
    {
      text: "USER 1000:1000\n",
      params: { users: "1000", type: "whitelist" },
      expect: ["User 1000:1000 found as effective user, which is not on the allowed list"],
    },
  ];
  for (const c of cases) {
    test(`${JSON.stringify(c.params)} on ${JSON.stringify(c.text)}`, () => {
      assert.deepEqual(
        messages(fireTrigger(gate, "effective_user", c.params, withDockerfile(c.text))),
        c.expect,
      );
    });
  }

  test("root on a denied list has the trigger id anchore-engine reports", () => {
    const hits = fireTrigger(
      gate,
      "effective_user",
      { users: "root", type: "blacklist" },
      withDockerfile("FROM x\n"),
    );
    assert.deepEqual(hits, [
      {
        triggerId: "cbff271f45d32e78dcc1979dbca9c14d",
        message: "User root found as effective user, which is explicity not allowed",
      },
    ]);
  });

  test("root missing from an allow list has the trigger id seen in anchorectl output", () => {
    const hits = fireTrigger(
      gate,
      "effective_user",
      { users: "app", type: "whitelist" },
      withDockerfile("FROM x\n"),
    );
    assert.equal(hits[0]?.triggerId, "b2605c2ddbdb02b8e2365c9248dada5a");
  });

  test("a USER line without a name is skipped, not guessed", () => {
    const facts = factsFor({
      dockerfile: { mode: "actual", instructions: [{ directive: "USER", value: "  " }] },
    });
    assert.deepEqual(fireTrigger(gate, "effective_user", { users: "root", type: "whitelist" }, facts), []);
  });

  test("is checked on a guessed Dockerfile too (it has no actual_dockerfile_only parameter)", () => {
    const hits = fireTrigger(
      gate,
      "effective_user",
      { users: "admin", type: "blacklist" },
      withDockerfile(APP, "guessed"),
    );
    assert.equal(hits.length, 1);
    assert.match(
      paramProblems(gate, "effective_user", {
        users: "a",
        type: "blacklist",
        actual_dockerfile_only: "true",
      })[0] ?? "",
      /unknown parameter/,
    );
  });

  test("rejects a missing type or a type other than whitelist/blacklist", () => {
    assert.match(paramProblems(gate, "effective_user", { users: "root" })[0] ?? "", /"type" is missing/);
    assert.match(paramProblems(gate, "effective_user", { users: "root", type: "allow" })[0] ?? "", /"type"/);
  });
});

describe("dockerfile/exposed_ports", () => {
  const cases: { text: string; params: Record<string, string>; expect: string[] }[] = [
    {
      text: APP,
      params: { ports: "2800,3000", type: "blacklist" },
      expect: ["Dockerfile exposes port (3000) which is in policy file DENIEDPORTS list"],
    },
    { text: APP, params: { ports: "2800", type: "blacklist" }, expect: [] },
    { text: APP, params: { ports: "3000", type: "whitelist" }, expect: [] },
    {
      text: APP,
      params: { ports: "2800,3001", type: "whitelist" },
      expect: ["Dockerfile exposes port (3000) which is not in policy file ALLOWEDPORTS list"],
    },
    {
      text: "EXPOSE 80/tcp 53/udp 8080\n",
      params: { ports: "80,53,22", type: "blacklist" },
      expect: [
        "Dockerfile exposes port (80/tcp) which is in policy file DENIEDPORTS list",
        "Dockerfile exposes port (53/udp) which is in policy file DENIEDPORTS list",
      ],
    },
    {
      text: "EXPOSE 80/tcp 53/udp\nEXPOSE 8080\n",
      params: { ports: "80,53,8080", type: "whitelist" },
      expect: [],
    },
    {
      text: "EXPOSE 80/tcp 443/tcp\nEXPOSE 9000/udp\n",
      params: { ports: "80", type: "whitelist" },
      expect: [
        "Dockerfile exposes port (443/tcp) which is not in policy file ALLOWEDPORTS list",
        "Dockerfile exposes port (9000/udp) which is not in policy file ALLOWEDPORTS list",
      ],
    },
    // anchore removes one of each form per round and repeats only after removing a p/udp.
    {
      text: "EXPOSE 80 80\n",
      params: { ports: "80", type: "whitelist" },
      expect: ["Dockerfile exposes port (80) which is not in policy file ALLOWEDPORTS list"],
    },
    { text: "EXPOSE 80 80/udp 80 80/udp 80\n", params: { ports: "80", type: "whitelist" }, expect: [] },
  ];
  for (const c of cases) {
    test(`${JSON.stringify(c.params)} on ${JSON.stringify(c.text)}`, () => {
      assert.deepEqual(
        messages(fireTrigger(gate, "exposed_ports", c.params, withDockerfile(c.text))),
        c.expect,
      );
    });
  }

  test("a denied port has the md5 trigger id of gate + trigger + message", () => {
    const hits = fireTrigger(
      gate,
      "exposed_ports",
      { ports: "3000", type: "blacklist" },
      withDockerfile(APP),
    );
    assert.equal(hits[0]?.triggerId, "c0a2282adb86722e34fe7172b3118877");
  });

  test("actual_dockerfile_only skips a guessed Dockerfile", () => {
    const params = { ports: "3000", type: "blacklist", actual_dockerfile_only: "true" };
    assert.deepEqual(fireTrigger(gate, "exposed_ports", params, withDockerfile(APP, "guessed")), []);
    assert.equal(fireTrigger(gate, "exposed_ports", params, withDockerfile(APP, "actual")).length, 1);
  });

  test("rejects ports that are not whole numbers", () => {
    assert.match(
      paramProblems(gate, "exposed_ports", { ports: "80,http", type: "blacklist" })[0] ?? "",
      /"ports"/,
    );
  });
});

describe("dockerfile/no_dockerfile_provided", () => {
  const cases: { name: string; dockerfile?: Dockerfile; fires: boolean }[] = [
    {
      name: "actual",
      dockerfile: { mode: "actual", instructions: [{ directive: "FROM", value: "x" }] },
      fires: false,
    },
    { name: "actual but empty", dockerfile: { mode: "actual", instructions: [] }, fires: false },
    {
      name: "guessed",
      dockerfile: { mode: "guessed", instructions: [{ directive: "FROM", value: "x" }] },
      fires: true,
    },
    { name: "unknown", dockerfile: { mode: "unknown", instructions: [] }, fires: true },
    { name: "absent", fires: true },
  ];
  for (const c of cases) {
    test(`${c.name}: ${c.fires ? "fires" : "does not fire"}`, () => {
      const facts = c.dockerfile ? factsFor({ dockerfile: c.dockerfile }) : factsFor();
      const hits = fireTrigger(gate, "no_dockerfile_provided", {}, facts);
      assert.deepEqual(
        hits,
        c.fires
          ? [
              {
                triggerId: "b00b22232c1902075263067d2d2b8eea",
                message: "Image was not analyzed with an actual Dockerfile",
              },
            ]
          : [],
      );
    });
  }
});

describe("dockerfile gate skips when there is no Dockerfile to read", () => {
  const rules: [string, Record<string, string>][] = [
    ["instruction", { instruction: "HEALTHCHECK", check: "not_exists" }],
    ["instruction", { instruction: "USER", check: "!=", value: "app" }],
    ["effective_user", { users: "root", type: "blacklist" }],
    ["effective_user", { users: "app", type: "whitelist" }],
    ["exposed_ports", { ports: "22", type: "whitelist" }],
  ];
  const facts: [string, ImageFacts][] = [
    ["mode unknown", withDockerfile("USER root\nEXPOSE 80\n", "unknown")],
    ["no dockerfile facts", factsFor()],
    ["no instructions", factsFor({ dockerfile: { mode: "guessed", instructions: [] } })],
    // The runtime config is not read: anchore checks the (possibly guessed) Dockerfile only.
    ["only a runtime config", factsFor({ config: { user: "root", exposedPorts: ["80/tcp"] } })],
  ];
  for (const [factsName, f] of facts) {
    for (const [trigger, params] of rules) {
      test(`${factsName}: ${trigger} ${JSON.stringify(params)} does not fire`, () => {
        assert.deepEqual(fireTrigger(gate, trigger, params, f), []);
      });
    }
  }
});
