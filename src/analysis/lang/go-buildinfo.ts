import type { AnalysedPackage } from "../analysed-package.js";
import { golangPurl } from "../package-url.js";

/** A module as Go's build info records it. */
export interface GoModule {
  path: string;
  version: string;
  /** `h1:` checksum, when recorded. */
  sum?: string;
  /** The module that replaced this one (`=>` line), when replaced. */
  replace?: GoModule;
}

/** The build information the Go linker embeds in a binary (what `go version -m` prints). */
export interface GoBuildInfo {
  /** Toolchain version, `go1.22.1`. */
  goVersion: string;
  /** Main package path. */
  path?: string;
  main?: GoModule;
  deps: GoModule[];
  /** Build settings (`-ldflags`, `GOOS`, `vcs.revision`, …) in order. */
  settings: [string, string][];
}

const MAGIC = Buffer.from("\xff Go buildinf:", "latin1");
const FLAG_BIG_ENDIAN = 1;
const FLAG_INLINE = 2;
/** Longest version or module-info string read; real ones are a few KiB, large programs some hundred. */
const MAX_STRING = 16 * 1024 * 1024;
/** Header candidates tried when the magic bytes also occur in ordinary data. */
const MAX_CANDIDATES = 64;
const MAX_DEPS = 100_000;

/**
 * Finds and reads the build info of a Go binary: the blob that starts with `\xff Go buildinf:`, in the ELF
 * `.go.buildinfo` section when the file has one, else at any 16-byte aligned offset of the file. Reads
 * both layouts: the inline strings of Go ≥ 1.18 (any executable format) and the older pointers to Go
 * string headers (resolved through ELF program headers). Undefined when the file carries none (not Go,
 * or stripped of it). Work is one scan of the buffer plus bounded reads.
 */
export function readGoBuildInfo(binary: Buffer): GoBuildInfo | undefined {
  const elf = readElf(binary);
  const section = elf?.sections.find((s) => s.name === ".go.buildinfo");
  const offsets: number[] = [];
  if (
    section &&
    section.offset + 32 <= binary.length &&
    binary.subarray(section.offset, section.offset + MAGIC.length).equals(MAGIC)
  ) {
    offsets.push(section.offset);
  } else {
    for (
      let at = binary.indexOf(MAGIC);
      at >= 0 && offsets.length < MAX_CANDIDATES;
      at = binary.indexOf(MAGIC, at + 1)
    ) {
      if (at % 16 === 0) offsets.push(at);
    }
  }
  for (const offset of offsets) {
    const strings = headerStrings(binary, offset, elf);
    if (strings === undefined) continue;
    return parseModInfo(strings.version, strings.modInfo);
  }
  return undefined;
}

/**
 * The packages a Go binary stands for, as trivy lists them: the main module (its version from the build
 * info, or when that is `(devel)` or a pseudo-version, from a `-X …version=` link flag), every dependency
 * (replaced ones by their replacement), and `stdlib` at the toolchain version (`v1.22.1`). `path` is the
 * binary's path in the image.
 */
export function goPackages(info: GoBuildInfo, path: string): AnalysedPackage[] {
  const packages: AnalysedPackage[] = [];
  const add = (name: string, version: string): void => {
    const pkg: AnalysedPackage = { name, version, type: "go", path };
    if (version !== "") pkg.purl = golangPurl(name, version);
    packages.push(pkg);
  };
  if (info.main?.path) {
    const built = info.main.version === "(devel)" ? "" : info.main.version;
    const linked = ldflagsVersion(info.main.path, info.settings.find(([k]) => k === "-ldflags")?.[1]);
    add(info.main.path, built !== "" && !isPseudoVersion(built) ? built : linked || built);
  }
  for (const dep of info.deps) {
    const used = dep.replace ?? dep;
    if (used.path === "") continue;
    add(used.path, used.version === "(devel)" ? "" : used.version);
  }
  add("stdlib", stdlibVersion(info.goVersion));
  return packages;
}

/** `go1.22.1` → `v1.22.1`; a custom suffix after a space or `-X:` experiment tags are dropped. */
export function stdlibVersion(goVersion: string): string {
  const bare = goVersion.replace(/^go/, "").split(" ")[0]?.split("-X:")[0] ?? "";
  return `v${bare}`;
}

// ---- header ----------------------------------------------------------------------------------------

function headerStrings(
  binary: Buffer,
  offset: number,
  elf: Elf | undefined,
): { version: string; modInfo: string } | undefined {
  if (offset + 32 > binary.length) return undefined;
  const ptrSize = binary[offset + 14] as number;
  const flags = binary[offset + 15] as number;
  if (flags & FLAG_INLINE) {
    const version = readVarintString(binary, offset + 32);
    if (version === undefined) return undefined;
    const modInfo = readVarintString(binary, version.end);
    if (modInfo === undefined) return undefined;
    return { version: version.text, modInfo: stripSentinels(modInfo.text) };
  }
  if ((ptrSize !== 4 && ptrSize !== 8) || elf === undefined) return undefined;
  const bigEndian = (flags & FLAG_BIG_ENDIAN) !== 0;
  const versionAddress = readPointer(binary, offset + 16, ptrSize, bigEndian);
  const modAddress = readPointer(binary, offset + 16 + ptrSize, ptrSize, bigEndian);
  if (versionAddress === undefined || modAddress === undefined) return undefined;
  const version = readGoString(binary, elf, versionAddress, ptrSize, bigEndian);
  const modInfo = readGoString(binary, elf, modAddress, ptrSize, bigEndian);
  if (version === undefined || modInfo === undefined) return undefined;
  return { version, modInfo: stripSentinels(modInfo) };
}

// Module info is framed by 16-byte sentinels; without them the binary recorded no module info
function stripSentinels(modInfo: string): string {
  return modInfo.length >= 33 && modInfo[modInfo.length - 17] === "\n" ? modInfo.slice(16, -16) : "";
}

function readVarintString(binary: Buffer, at: number): { text: string; end: number } | undefined {
  let length = 0;
  let shift = 0;
  let pos = at;
  for (let i = 0; i < 5; i++, pos++) {
    if (pos >= binary.length) return undefined;
    const byte = binary[pos] as number;
    length += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) {
      pos++;
      if (length > MAX_STRING || pos + length > binary.length) return undefined;
      return { text: binary.toString("utf8", pos, pos + length), end: pos + length };
    }
  }
  return undefined;
}

function readPointer(binary: Buffer, at: number, size: number, bigEndian: boolean): number | undefined {
  if (at + size > binary.length) return undefined;
  if (size === 4) return bigEndian ? binary.readUInt32BE(at) : binary.readUInt32LE(at);
  const value = bigEndian ? binary.readBigUInt64BE(at) : binary.readBigUInt64LE(at);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(value);
}

/** A Go string header `{data pointer, length}` at a virtual address, read through the ELF load segments. */
function readGoString(
  binary: Buffer,
  elf: Elf,
  address: number,
  ptrSize: number,
  bigEndian: boolean,
): string | undefined {
  const header = elf.fileOffset(address, 2 * ptrSize);
  if (header === undefined) return undefined;
  const data = readPointer(binary, header, ptrSize, bigEndian);
  const length = readPointer(binary, header + ptrSize, ptrSize, bigEndian);
  if (data === undefined || length === undefined || length > MAX_STRING) return undefined;
  const start = elf.fileOffset(data, length);
  return start === undefined ? undefined : binary.toString("utf8", start, start + length);
}

// ---- module info -----------------------------------------------------------------------------------

function parseModInfo(goVersion: string, modInfo: string): GoBuildInfo {
  const info: GoBuildInfo = { goVersion, deps: [], settings: [] };
  let last: GoModule | undefined;
  for (const line of modInfo.split("\n")) {
    const [kind, ...fields] = line.split("\t");
    switch (kind) {
      case "path":
        info.path = fields[0];
        break;
      case "mod":
        info.main = moduleOf(fields);
        last = info.main;
        break;
      case "dep":
        if (info.deps.length >= MAX_DEPS) break;
        last = moduleOf(fields);
        info.deps.push(last);
        break;
      case "=>":
        if (last) last.replace = moduleOf(fields);
        last = undefined;
        break;
      case "build": {
        const setting = buildSetting(fields.join("\t"));
        if (setting) info.settings.push(setting);
        break;
      }
    }
  }
  return info;
}

function moduleOf(fields: string[]): GoModule {
  const mod: GoModule = { path: fields[0] ?? "", version: fields[1] ?? "" };
  if (fields[2]) mod.sum = fields[2];
  return mod;
}

// key=value, either side Go-quoted when it holds spaces, quotes or '='
function buildSetting(text: string): [string, string] | undefined {
  let key: string;
  let rest: string;
  if (text.startsWith('"')) {
    const quoted = goQuotedPrefix(text);
    if (quoted === undefined || text[quoted.end] !== "=") return undefined;
    key = quoted.value;
    rest = text.slice(quoted.end + 1);
  } else {
    const eq = text.indexOf("=");
    if (eq <= 0) return undefined;
    key = text.slice(0, eq);
    rest = text.slice(eq + 1);
  }
  const value = rest.startsWith('"') ? (goQuotedPrefix(rest)?.value ?? rest) : rest;
  return [key, value];
}

function goQuotedPrefix(text: string): { value: string; end: number } | undefined {
  for (let i = 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') {
      try {
        return { value: JSON.parse(text.slice(0, i + 1)) as string, end: i + 1 };
      } catch {
        return { value: text.slice(1, i), end: i + 1 };
      }
    }
  }
  return undefined;
}

// ---- versions ----------------------------------------------------------------------------------------

const PSEUDO_VERSION =
  /^v[0-9]+\.(0\.0-|\d+\.\d+-([^+]*\.)?0\.)\d{14}-[A-Za-z0-9]+(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

/** A Go pseudo-version (`v0.0.0-20240426060020-9640d75c1384`): a commit, not a release. */
export function isPseudoVersion(version: string): boolean {
  return version.length <= MAX_VERSION && PSEUDO_VERSION.test(version);
}

/** Longer strings are not taken for versions, which also keeps the regular expressions' work small. */
const MAX_VERSION = 256;
const SEMVER = /^v(0|[1-9]\d*)(\.(0|[1-9]\d*)(\.(0|[1-9]\d*))?)?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const VERSION_PREFIXES = new Set(["main", "common", "version", "cmd"]);

/**
 * The version a `-ldflags` value stamps with `-X <pkg>.version=<semver>` (or `.Version`, `.ver`), chosen
 * as trivy chooses: `<module>/cmd/…` keys first, then the `main`/`common`/`version`/`cmd` packages, then any
 * other; two different versions in the winning group mean none. Empty when nothing fits.
 */
export function ldflagsVersion(modulePath: string, ldflags: string | undefined): string {
  if (ldflags === undefined) return "";
  const tiers: string[][] = [[], [], []];
  for (const [key, value] of linkerDefinitions(shellWords(ldflags))) {
    const lower = key.toLowerCase();
    if (!lower.endsWith(".version") && !lower.endsWith(".ver")) continue;
    if (value.length > MAX_VERSION || (!SEMVER.test(value) && !SEMVER.test(`v${value}`))) continue;
    const pkg = key.slice(0, key.lastIndexOf("."));
    const tier = key.startsWith(`${modulePath}/cmd/`)
      ? 0
      : VERSION_PREFIXES.has((pkg.split("/").at(-1) ?? "").toLowerCase())
        ? 1
        : 2;
    const group = tiers[tier] as string[];
    if (!group.includes(value)) group.push(value);
  }
  for (const group of tiers) {
    if (group.length === 1) return group[0] as string;
    if (group.length > 1) return "";
  }
  return "";
}

// -X key=value, -X=key=value, -Xkey=value
function* linkerDefinitions(words: string[]): Generator<[string, string]> {
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    let definition: string | undefined;
    if (word === "-X" || word === "--X") definition = words[++i];
    else if (word.startsWith("-X=")) definition = word.slice(3);
    else if (word.startsWith("-X")) definition = word.slice(2);
    if (definition === undefined) continue;
    const eq = definition.indexOf("=");
    if (eq <= 0) continue;
    yield [definition.slice(0, eq).replace(/^'+/, ""), definition.slice(eq + 1).replace(/'+$/, "")];
  }
}

/** Splits a command line as a POSIX shell would (quotes and backslashes), without expanding anything. */
function shellWords(text: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === "\\" && i + 1 < text.length && '"\\$`'.includes(text[i + 1] as string))
        word += text[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

// ---- ELF ---------------------------------------------------------------------------------------------

interface Elf {
  sections: { name: string; offset: number; size: number }[];
  /** File offset of `length` bytes at a virtual address, when one load segment holds them all. */
  fileOffset(address: number, length: number): number | undefined;
}

const MAX_HEADERS = 4096;

/** Reads an ELF file's section and program headers, refusing counts and offsets outside the file. */
function readElf(binary: Buffer): Elf | undefined {
  if (binary.length < 52 || binary.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const is64 = binary[4] === 2;
  const big = binary[5] === 2;
  if ((binary[4] !== 1 && !is64) || (binary[5] !== 1 && !big) || (is64 && binary.length < 64))
    return undefined;
  const u16 = (at: number) => (big ? binary.readUInt16BE(at) : binary.readUInt16LE(at));
  const u32 = (at: number) => (big ? binary.readUInt32BE(at) : binary.readUInt32LE(at));
  const addr = (at: number): number => {
    if (!is64) return u32(at);
    const v = big ? binary.readBigUInt64BE(at) : binary.readBigUInt64LE(at);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  };
  const inFile = (at: number, size: number) => at >= 0 && size >= 0 && at + size <= binary.length;
  const phoff = addr(is64 ? 32 : 28);
  const shoff = addr(is64 ? 40 : 32);
  const phentsize = u16(is64 ? 54 : 42);
  const phnum = Math.min(u16(is64 ? 56 : 44), MAX_HEADERS);
  const shentsize = u16(is64 ? 58 : 46);
  const shnum = Math.min(u16(is64 ? 60 : 48), MAX_HEADERS);
  const shstrndx = u16(is64 ? 62 : 50);

  const segments: { vaddr: number; offset: number; filesz: number }[] = [];
  const phMin = is64 ? 56 : 32;
  for (let i = 0; i < phnum && phentsize >= phMin; i++) {
    const at = phoff + i * phentsize;
    if (!inFile(at, phMin)) break;
    if (u32(at) !== 1) continue; // PT_LOAD
    segments.push(
      is64
        ? { offset: addr(at + 8), vaddr: addr(at + 16), filesz: addr(at + 32) }
        : { offset: u32(at + 4), vaddr: u32(at + 8), filesz: u32(at + 16) },
    );
  }

  const raw: { nameAt: number; offset: number; size: number }[] = [];
  const shMin = is64 ? 64 : 40;
  for (let i = 0; i < shnum && shentsize >= shMin; i++) {
    const at = shoff + i * shentsize;
    if (!inFile(at, shMin)) break;
    raw.push(
      is64
        ? { nameAt: u32(at), offset: addr(at + 24), size: addr(at + 32) }
        : { nameAt: u32(at), offset: u32(at + 16), size: u32(at + 20) },
    );
  }
  const names = raw[shstrndx];
  const sections = raw.map((s) => ({
    name: names ? cString(binary, names.offset + s.nameAt, names.offset + names.size) : "",
    offset: s.offset,
    size: s.size,
  }));

  return {
    sections,
    fileOffset(address: number, length: number): number | undefined {
      for (const s of segments) {
        if (address >= s.vaddr && address + length <= s.vaddr + s.filesz) {
          const at = s.offset + (address - s.vaddr);
          return inFile(at, length) ? at : undefined;
        }
      }
      return undefined;
    },
  };
}

function cString(binary: Buffer, at: number, limit: number): string {
  const end = Math.min(limit, binary.length, at + 256);
  if (at < 0 || at >= end) return "";
  const nul = binary.indexOf(0, at);
  return binary.toString("latin1", at, nul < 0 || nul > end ? end : nul);
}
