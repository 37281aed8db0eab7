import { createHash } from "node:crypto";

/** One entry of a hand-built tar: any name and link target, even ones tar tools refuse to write. */
export interface TarEntrySpec {
  path: string;
  /** Default "file". */
  type?: "file" | "dir" | "symlink" | "hardlink";
  /** The link target, for symlinks and hard links. */
  linkpath?: string;
  content?: Buffer | string;
  /** The size the header declares; default the content's length. */
  size?: number;
}

const TYPE_FLAGS = { file: "0", hardlink: "1", symlink: "2", dir: "5" } as const;

/** A 512-byte ustar header, checksum included. */
export function tarHeader(spec: TarEntrySpec): Buffer {
  const header = Buffer.alloc(512);
  const size = spec.size ?? Buffer.byteLength(spec.content ?? "");
  const field = (offset: number, length: number, text: string) => {
    header.write(text.slice(0, length), offset, length, "latin1");
  };
  const octal = (offset: number, length: number, value: number) => {
    field(offset, length, `${value.toString(8).padStart(length - 1, "0")}\0`);
  };
  field(0, 100, spec.path);
  octal(100, 8, spec.type === "dir" ? 0o755 : 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, spec.type === "file" || spec.type === undefined ? size : 0);
  octal(136, 12, 0);
  field(156, 1, TYPE_FLAGS[spec.type ?? "file"]);
  field(157, 100, spec.linkpath ?? "");
  field(257, 6, "ustar\0");
  field(263, 2, "00");
  // The checksum is computed with its own field read as eight spaces
  header.fill(" ", 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  field(148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return header;
}

/** An entry: its header, then its content padded to whole 512-byte blocks. */
export function tarEntry(spec: TarEntrySpec): Buffer {
  const content = Buffer.from(spec.content ?? "");
  const padding = (512 - (content.length % 512)) % 512;
  return Buffer.concat([tarHeader(spec), content, Buffer.alloc(padding)]);
}

/** The end-of-archive marker: two zero blocks. */
export const TAR_END = Buffer.alloc(1024);

/** A whole tar of the entries, with its end-of-archive marker. */
export function tarArchive(entries: TarEntrySpec[]): Buffer {
  return Buffer.concat([...entries.map(tarEntry), TAR_END]);
}

/** sha256 hex of bytes. */
export function sha256(bytes: Buffer | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * The entries of a minimal Docker ≤24 `docker save` archive: manifest.json naming one config and one
 * layer, tagged `tag`. `extra` entries are appended after them.
 */
export function dockerSaveEntries(tag = "hostile/test:1", extra: TarEntrySpec[] = []): TarEntrySpec[] {
  const layer = tarArchive([{ path: "etc/hostname", content: "box\n" }]);
  const layerId = sha256(layer);
  const config = JSON.stringify({
    architecture: "amd64",
    os: "linux",
    config: { Cmd: ["/bin/sh"] },
    rootfs: { type: "layers", diff_ids: [`sha256:${layerId}`] },
    history: [{ created_by: "COPY hostname /etc/hostname" }],
  });
  const configName = `${sha256(config)}.json`;
  const manifest = JSON.stringify([
    { Config: configName, RepoTags: [tag], Layers: [`${layerId}/layer.tar`] },
  ]);
  return [
    { path: `${layerId}/`, type: "dir" },
    { path: `${layerId}/layer.tar`, content: layer },
    { path: configName, content: config },
    { path: "manifest.json", content: manifest },
    ...extra,
  ];
}
