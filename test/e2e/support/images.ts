import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, normalize } from "node:path";
import { promisify } from "node:util";
import type { RegistryCredentials } from "./registry-harness.js";

const execFileAsync = promisify(execFile);

/** The `skip` option for tests needing umoci and skopeo: false when both are installed, else why not. */
export function imageToolsMissing(): false | string {
  const missing = ["/usr/bin/umoci", "/usr/bin/skopeo"].filter((p) => !existsSync(p));
  return missing.length === 0 ? false : `image tools not installed: ${missing.join(", ")}`;
}

/** What a test image holds; every field is optional. */
export interface BuildImageOptions {
  user?: string;
  env?: string[];
  exposedPorts?: string[];
  labels?: Record<string, string>;
  entrypoint?: string[];
  cmd?: string[];
  workdir?: string;
  /** Files of the single layer, path inside the image → content. A default file is used when empty. */
  files?: Record<string, string>;
  architecture?: string;
  os?: string;
}

/** An OCI image layout on disk holding one tagged image; `remove()` deletes it. */
export interface ImageLayout {
  layoutDir: string;
  tag: string;
  remove(): Promise<void>;
}

/** Where to push: a harness registry or anything with its `host` (`127.0.0.1:port`). */
export interface RegistryTarget {
  host: string;
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string; variant?: string };
  annotations?: Record<string, string>;
}

const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

async function run(command: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`Cannot run ${command} ${args.join(" ")}: ${(e.stderr ?? "").trim() || e.message}`);
  }
}

/**
 * Builds a single-platform image with umoci (init, new, unpack, write `files`, repack, config) in a
 * fresh OCI layout: it has one real layer and the config the options ask for.
 */
export async function buildImage(options: BuildImageOptions = {}): Promise<ImageLayout> {
  const dir = await mkdtemp(join(tmpdir(), "cipolice-image-"));
  const layoutDir = join(dir, "oci");
  const tag = "latest";
  const image = `${layoutDir}:${tag}`;
  try {
    await run("umoci", ["init", "--layout", layoutDir]);
    await run("umoci", ["new", "--image", image]);
    const bundle = join(dir, "bundle");
    // --rootless: no chown, so it works for any user; the layer then records root ownership anyway.
    await run("umoci", ["unpack", "--rootless", "--image", image, bundle]);
    const files = options.files && Object.keys(options.files).length > 0 ? options.files : defaultFiles();
    for (const [path, content] of Object.entries(files)) {
      const target = join(bundle, "rootfs", normalize(`/${path}`));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
    }
    await run("umoci", ["repack", "--image", image, bundle]);
    const configArgs = configFlags(options);
    if (configArgs.length > 0) await run("umoci", ["config", "--image", image, ...configArgs]);
    await rm(bundle, { recursive: true, force: true });
    return { layoutDir, tag, remove: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function defaultFiles(): Record<string, string> {
  return { "etc/cipolice-test": "built by the CIPolicE test harness\n" };
}

function configFlags(o: BuildImageOptions): string[] {
  const args: string[] = [];
  if (o.user !== undefined) args.push("--config.user", o.user);
  for (const e of o.env ?? []) args.push("--config.env", e);
  for (const p of o.exposedPorts ?? []) args.push("--config.exposedports", p);
  for (const [k, v] of Object.entries(o.labels ?? {})) args.push("--config.label", `${k}=${v}`);
  for (const e of o.entrypoint ?? []) args.push("--config.entrypoint", e);
  for (const c of o.cmd ?? []) args.push("--config.cmd", c);
  if (o.workdir !== undefined) args.push("--config.workingdir", o.workdir);
  if (o.architecture !== undefined) args.push("--architecture", o.architecture);
  if (o.os !== undefined) args.push("--os", o.os);
  return args;
}

function withTransport(ref: string): string {
  return /^[a-z-]+:\/\//.test(ref) || ref.startsWith("oci:") ? ref : `docker://${ref}`;
}

function credsFlag(flag: string, noCreds: string, creds?: RegistryCredentials): string[] {
  return creds ? [flag, `${creds.username}:${creds.password}`] : [noCreds];
}

/**
 * Pushes the tagged image of an OCI layout to `registry` as `repoTag` (`repo:tag`) with skopeo,
 * keeping digests as they are in the layout. Without `creds` it pushes anonymously.
 */
export async function pushImage(
  layout: Pick<ImageLayout, "layoutDir" | "tag">,
  registry: RegistryTarget,
  repoTag: string,
  creds?: RegistryCredentials,
): Promise<void> {
  await run("skopeo", [
    ...["--insecure-policy", "copy", "--quiet", "--preserve-digests", "--dest-tls-verify=false"],
    ...credsFlag("--dest-creds", "--dest-no-creds", creds),
    `oci:${layout.layoutDir}:${layout.tag}`,
    `docker://${registry.host}/${repoTag}`,
  ]);
}

/** A two-platform image: the index digest and, in index order, each manifest's digest and platform. */
export interface IndexLayout extends ImageLayout {
  indexDigest: string;
  manifests: Array<{ digest: string; architecture: string; os: string }>;
}

/**
 * Builds a linux/amd64 and a linux/arm64 image (each with its own config) and an OCI layout whose
 * tagged entry is an image index listing both manifests with their platforms.
 */
export async function buildIndex(
  platforms: { amd64?: BuildImageOptions; arm64?: BuildImageOptions } = {},
): Promise<IndexLayout> {
  const amd64 = await buildImage({
    labels: { "org.cipolice.test.platform": "amd64" },
    env: ["PLATFORM=amd64"],
    ...platforms.amd64,
    architecture: "amd64",
    os: "linux",
  });
  const arm64 = await buildImage({
    labels: { "org.cipolice.test.platform": "arm64" },
    env: ["PLATFORM=arm64"],
    files: { "etc/arch": "arm64\n" },
    ...platforms.arm64,
    architecture: "arm64",
    os: "linux",
  }).catch(async (error) => {
    await amd64.remove();
    throw error;
  });
  const dir = await mkdtemp(join(tmpdir(), "cipolice-index-"));
  const layoutDir = join(dir, "oci");
  const tag = "latest";
  try {
    await mkdir(join(layoutDir, "blobs", "sha256"), { recursive: true });
    await writeFile(join(layoutDir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
    const manifests: Descriptor[] = [];
    for (const [source, architecture] of [
      [amd64, "amd64"],
      [arm64, "arm64"],
    ] as const) {
      const manifest = await copyImageBlobs(source, layoutDir);
      manifests.push({ ...manifest, platform: { architecture, os: "linux" } });
    }
    const index = { schemaVersion: 2, mediaType: OCI_INDEX, manifests };
    const indexDescriptor = await writeBlob(layoutDir, OCI_INDEX, JSON.stringify(index));
    const top = {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [{ ...indexDescriptor, annotations: { "org.opencontainers.image.ref.name": tag } }],
    };
    await writeFile(join(layoutDir, "index.json"), JSON.stringify(top));
    return {
      layoutDir,
      tag,
      indexDigest: indexDescriptor.digest,
      manifests: manifests.map((m) => ({
        digest: m.digest,
        architecture: m.platform?.architecture ?? "",
        os: m.platform?.os ?? "",
      })),
      remove: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  } finally {
    await amd64.remove();
    await arm64.remove();
  }
}

/** Builds a two-platform image (see buildIndex) and pushes index and both images with `skopeo copy --all`. */
export async function pushIndex(
  registry: RegistryTarget,
  repoTag: string,
  creds?: RegistryCredentials,
  platforms: { amd64?: BuildImageOptions; arm64?: BuildImageOptions } = {},
): Promise<Omit<IndexLayout, "remove" | "layoutDir" | "tag">> {
  const layout = await buildIndex(platforms);
  try {
    await run("skopeo", [
      ...["--insecure-policy", "copy", "--quiet", "--all", "--preserve-digests", "--dest-tls-verify=false"],
      ...credsFlag("--dest-creds", "--dest-no-creds", creds),
      `oci:${layout.layoutDir}:${layout.tag}`,
      `docker://${registry.host}/${repoTag}`,
    ]);
    return { indexDigest: layout.indexDigest, manifests: layout.manifests };
  } finally {
    await layout.remove();
  }
}

/** Copies the manifest, config and layers of a layout's tagged image into `targetLayout`. */
async function copyImageBlobs(source: Pick<ImageLayout, "layoutDir" | "tag">, targetLayout: string) {
  const top = JSON.parse(await readFile(join(source.layoutDir, "index.json"), "utf8")) as {
    manifests: Descriptor[];
  };
  const entry = top.manifests.find(
    (m) => m.annotations?.["org.opencontainers.image.ref.name"] === source.tag,
  );
  if (!entry) throw new Error(`Cannot find tag ${source.tag} in ${source.layoutDir}/index.json`);
  const manifestBytes = await readFile(blobPath(source.layoutDir, entry.digest));
  const manifest = JSON.parse(manifestBytes.toString("utf8")) as { config: Descriptor; layers: Descriptor[] };
  for (const d of [entry, manifest.config, ...manifest.layers]) {
    await copyFile(blobPath(source.layoutDir, d.digest), blobPath(targetLayout, d.digest));
  }
  return { mediaType: entry.mediaType || OCI_MANIFEST, digest: entry.digest, size: entry.size };
}

function blobPath(layoutDir: string, digest: string): string {
  const [algorithm, hex] = digest.split(":");
  return join(layoutDir, "blobs", algorithm ?? "sha256", hex ?? "");
}

async function writeBlob(layoutDir: string, mediaType: string, content: string): Promise<Descriptor> {
  const bytes = Buffer.from(content, "utf8");
  const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  await writeFile(blobPath(layoutDir, digest), bytes);
  return { mediaType, digest, size: bytes.length };
}

/**
 * Parsed JSON of `skopeo inspect --tls-verify=false` for `ref` (`host/repo:tag`, or with a
 * transport). `config` asks for the image config instead; without `creds` it inspects anonymously.
 */
export async function skopeoInspect(
  ref: string,
  creds?: RegistryCredentials,
  config = false,
): Promise<unknown> {
  const args = ["inspect", "--tls-verify=false", ...credsFlag("--creds", "--no-creds", creds)];
  if (config) args.push("--config");
  return JSON.parse(await run("skopeo", [...args, withTransport(ref)]));
}

/** Parsed JSON of `skopeo inspect --raw`: the manifest or index exactly as the registry serves it. */
export async function skopeoInspectRaw(ref: string, creds?: RegistryCredentials): Promise<unknown> {
  const args = ["inspect", "--raw", "--tls-verify=false", ...credsFlag("--creds", "--no-creds", creds)];
  return JSON.parse(await run("skopeo", [...args, withTransport(ref)]));
}

/** What a raw manifest push or look-up gives: the descriptor another index can list it by. */
export interface ManifestDescriptor {
  mediaType: string;
  digest: string;
  size: number;
}

/**
 * PUTs a manifest or index document (its `mediaType` field is the Content-Type) to an anonymous registry as
 * `repository:reference` with the Distribution API, for shapes skopeo does not write (an index of indexes).
 * The registry must already hold what it lists. Returns the descriptor of the bytes sent.
 */
export async function putManifest(
  registry: RegistryTarget,
  repository: string,
  reference: string,
  document: { mediaType: string } & Record<string, unknown>,
): Promise<ManifestDescriptor> {
  const bytes = Buffer.from(JSON.stringify(document), "utf8");
  const url = `http://${registry.host}/v2/${repository}/manifests/${reference}`;
  const response = await fetch(url, {
    method: "PUT",
    headers: { "content-type": document.mediaType },
    body: bytes,
  });
  const answer = await response.text();
  if (response.status !== 201) throw new Error(`Cannot PUT ${url}: ${response.status} ${answer}`);
  const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  const served = response.headers.get("docker-content-digest");
  if (served !== digest) throw new Error(`Cannot PUT ${url}: the registry says ${served}, not ${digest}`);
  return { mediaType: document.mediaType, digest, size: bytes.length };
}

/** The descriptor of a manifest an anonymous registry holds as `repository:reference` (GET, digest of the bytes). */
export async function manifestDescriptor(
  registry: RegistryTarget,
  repository: string,
  reference: string,
): Promise<ManifestDescriptor> {
  const url = `http://${registry.host}/v2/${repository}/manifests/${reference}`;
  const response = await fetch(url, { headers: { accept: `${OCI_MANIFEST}, ${OCI_INDEX}` } });
  const bytes = Buffer.from(await response.arrayBuffer());
  if (!response.ok) throw new Error(`Cannot GET ${url}: ${response.status} ${bytes.toString("utf8")}`);
  const mediaType = (response.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
  const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  return { mediaType, digest, size: bytes.length };
}
