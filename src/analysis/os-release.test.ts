import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import { corpusPath, skipWithoutCorpus } from "../../test/support/corpus.js";
import { distroOf, identifyRelease, parseOsReleaseText } from "./os-release.js";

const ROOT = "pkgdb/os-release/syft";

/** The fixture directory as an image filesystem: absolute path → bytes. */
function releaseFiles(fixture: string): Map<string, Buffer> {
  const dir = corpusPath(`${ROOT}/${fixture}`);
  const files = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(`/${relative(dir, full)}`, readFileSync(full));
    }
  };
  walk(dir);
  return files;
}

// Expected values: SOURCES.md's pkgdb/os-release rows (syft TestIdentifyRelease)
const CASES: {
  fixture: string;
  id?: string;
  versionId?: string;
  like?: string[];
  extra?: Record<string, string>;
}[] = [
  { fixture: "os/alpine", id: "alpine", versionId: "3.11.6" },
  { fixture: "os/amazon", id: "amzn", versionId: "2", like: ["centos", "rhel", "fedora"] },
  { fixture: "os/centos", id: "centos", versionId: "8", extra: { prettyName: "CentOS Linux 8 (Core)" } },
  {
    fixture: "os/centos5",
    id: "centos",
    versionId: "5.7",
    extra: { prettyName: "CentOS release 5.7 (Final)" },
  },
  { fixture: "os/debian/from-os-release", id: "debian", versionId: "8" },
  {
    fixture: "os/debian/from-debian_version",
    id: "debian",
    versionId: "10.8",
    extra: { prettyName: "Distroless" },
  },
  {
    fixture: "os/debian/with-point-release",
    id: "debian",
    versionId: "13.5",
    extra: { versionCodename: "trixie" },
  },
  { fixture: "os/fedora", id: "fedora", versionId: "36", extra: { variantId: "container" } },
  { fixture: "os/redhat/from-os-release", id: "rhel", versionId: "7.3" },
  { fixture: "os/redhat/from-redhat-release", id: "rhel", versionId: "8.10" },
  {
    fixture: "os/ubuntu",
    id: "ubuntu",
    versionId: "20.04",
    like: ["debian"],
    extra: { versionCodename: "focal" },
  },
  { fixture: "os/oraclelinux", id: "ol", versionId: "8.3" },
  { fixture: "os/opensuse-leap", id: "opensuse-leap", versionId: "15.2" },
  { fixture: "os/sles", id: "sles", versionId: "15.2", extra: { version: "15-SP2" } },
  { fixture: "os/photon", id: "photon", versionId: "2.0" },
  { fixture: "os/mariner", id: "mariner", versionId: "1.0", extra: { version: "1.0.20210901" } },
  { fixture: "os/rockylinux/from-os-release", id: "rocky", versionId: "8.4" },
  { fixture: "os/almalinux/from-os-release", id: "almalinux", versionId: "8.4" },
  { fixture: "os/wolfi", id: "wolfi", versionId: "20220914" },
  { fixture: "os/arch", id: "arch", extra: { buildId: "rolling" } },
  {
    fixture: "partial-fields/missing-id",
    like: ["debian"],
    versionId: "8",
    extra: { name: "Debian GNU/Linux" },
  },
  { fixture: "partial-fields/unknown-id", id: "my-awesome-distro", like: ["debian"], versionId: "8" },
];

describe("identifyRelease (syft TestIdentifyRelease fixtures)", () => {
  for (const c of CASES) {
    test(c.fixture, { skip: skipWithoutCorpus(`${ROOT}/${c.fixture}`) }, () => {
      const release = identifyRelease(releaseFiles(c.fixture));
      assert.ok(release, "a release is identified");
      assert.equal(release.id, c.id);
      assert.equal(release.versionId, c.versionId);
      if (c.like) assert.deepEqual(release.idLike, c.like);
      for (const [key, value] of Object.entries(c.extra ?? {})) {
        assert.equal((release as unknown as Record<string, unknown>)[key], value, key);
      }
    });
  }

  test("a redhat-release file lists rhel as the family of a rebuild (centos5)", {
    skip: skipWithoutCorpus(`${ROOT}/os/centos5`),
  }, () => {
    assert.deepEqual(identifyRelease(releaseFiles("os/centos5"))?.idLike, ["centos", "rhel"]);
  });

  test("the model's Distro: ID and VERSION_ID, the family when ID is missing", {
    skip: skipWithoutCorpus(ROOT),
  }, () => {
    const ubuntu = identifyRelease(releaseFiles("os/ubuntu"));
    assert.deepEqual(ubuntu && distroOf(ubuntu), { name: "ubuntu", version: "20.04", like: ["debian"] });
    const noId = identifyRelease(releaseFiles("partial-fields/missing-id"));
    assert.deepEqual(noId && distroOf(noId), { name: "debian", version: "8", like: ["debian"] });
    const arch = identifyRelease(releaseFiles("os/arch"));
    assert.deepEqual(arch && distroOf(arch), { name: "arch" });
  });
});

describe("release-file precedence beyond the fixtures", () => {
  test("/etc/os-release wins over /usr/lib/os-release and older files", () => {
    const release = identifyRelease({
      "/etc/os-release": "ID=alpine\nVERSION_ID=3.19.1\n",
      "/usr/lib/os-release": "ID=debian\nVERSION_ID=12\n",
      "/etc/redhat-release": "CentOS release 6.10 (Final)",
    });
    assert.equal(release?.id, "alpine");
    assert.equal(release?.source, "/etc/os-release");
  });

  test("an empty os-release falls through to the next file", () => {
    const release = identifyRelease({ "/etc/os-release": "\n# nothing\n", "/etc/alpine-release": "3.4.6\n" });
    assert.deepEqual(release && distroOf(release), { name: "alpine", version: "3.4.6" });
  });

  test("debian_version alone, and a testing codename that is no version", () => {
    assert.equal(identifyRelease({ "/etc/debian_version": "9.13\n" })?.versionId, "9.13");
    assert.equal(identifyRelease({ "/etc/debian_version": "bookworm/sid\n" }), undefined);
    const testing = identifyRelease({
      "/etc/os-release": 'ID=debian\nPRETTY_NAME="Debian GNU/Linux trixie/sid"\n',
      "/etc/debian_version": "trixie/sid",
    });
    assert.equal(testing?.versionId, undefined);
  });

  test("system-release-cpe of CentOS 6", () => {
    const release = identifyRelease({ "/etc/system-release-cpe": "cpe:/o:centos:linux:6:GA\n" });
    assert.equal(release?.id, "centos");
    assert.equal(release?.versionId, "6");
  });

  test("quoting and escapes as systemd's os-release(5) describes them", () => {
    assert.deepEqual(parseOsReleaseText('A="x \\"y\\" \\$z"\nB=\'q r\'\n#C=no\nnot a line\nD=plain'), {
      A: 'x "y" $z',
      B: "q r",
      D: "plain",
    });
  });

  test("nothing present is undefined", () => {
    assert.equal(identifyRelease(new Map()), undefined);
  });
});
