/** The 16-byte marker Go's linker puts around the module info string. */
export const GO_MODINFO_SENTINEL = Buffer.alloc(16, 0x30);

/**
 * A minimal little-endian ELF64 holding Go build info in the layout linkers before Go 1.18 wrote: a header at a
 * 16-byte boundary pointing, through one load segment, at Go string headers for the version and the module info
 * (`path`, `mod`, `dep` lines). It has no code: only what a build-info reader (ours, syft's, trivy's) looks at.
 */
export function goBuildInfoElf(goVersion: string, modInfo: string): Buffer {
  const base = 0x400000;
  const mod = Buffer.concat([GO_MODINFO_SENTINEL, Buffer.from(modInfo), GO_MODINFO_SENTINEL]);
  const file = Buffer.alloc(192 + goVersion.length + mod.length);
  file.writeUInt32BE(0x7f454c46, 0);
  file[4] = 2; // ELFCLASS64
  file[5] = 1; // little endian
  file[6] = 1; // EV_CURRENT
  file.writeUInt16LE(2, 16); // ET_EXEC
  file.writeUInt16LE(62, 18); // x86-64
  file.writeBigUInt64LE(64n, 32); // e_phoff
  file.writeUInt16LE(64, 52); // e_ehsize
  file.writeUInt16LE(56, 54); // e_phentsize
  file.writeUInt16LE(1, 56); // e_phnum
  file.writeUInt16LE(64, 58); // e_shentsize
  file.writeUInt32LE(1, 64); // PT_LOAD covering the whole file
  file.writeBigUInt64LE(0n, 72); // p_offset
  file.writeBigUInt64LE(BigInt(base), 80); // p_vaddr
  file.writeBigUInt64LE(BigInt(file.length), 96); // p_filesz
  Buffer.from("\xff Go buildinf:", "latin1").copy(file, 128);
  file[128 + 14] = 8; // pointer size
  file[128 + 15] = 0; // little endian, pointers (not inline strings)
  file.writeBigUInt64LE(BigInt(base + 160), 144);
  file.writeBigUInt64LE(BigInt(base + 176), 152);
  file.writeBigUInt64LE(BigInt(base + 192), 160);
  file.writeBigUInt64LE(BigInt(goVersion.length), 168);
  file.writeBigUInt64LE(BigInt(base + 192 + goVersion.length), 176);
  file.writeBigUInt64LE(BigInt(mod.length), 184);
  Buffer.from(goVersion).copy(file, 192);
  mod.copy(file, 192 + goVersion.length);
  return file;
}
