import { randomBytes } from "node:crypto";
import { linkSync, lstatSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { Command } from "@commander-js/extra-typings";
import { readBoundedSync } from "../../io/bounded-read.js";
import { CipError } from "../../model/index.js";
import { terminalLine } from "../../model/terminal-safe.js";
import { decodeText } from "../read-input.js";

/** Environment variables a passphrase is read from, in this order (cosign reads the second). */
export const PASSPHRASE_ENV = ["CIPOLICE_PASSWORD", "COSIGN_PASSWORD"] as const;

const MAX_PASSPHRASE_FILE_BYTES = 64 * 1024;

/** `cipolice keys generate`: cosign-compatible ECDSA P-256 key pairs. */
export function keysCommand(setExitCode: (code: number) => void): Command {
  const keys = new Command("keys").description("Make signing keys that cosign, skopeo and podman also use");

  keys
    .command("generate")
    .description(
      "Write an ECDSA P-256 key pair as cosign generate-key-pair does: PREFIX.key (encrypted, mode 0600) and PREFIX.pub",
    )
    .option("--output-prefix <prefix>", "write <prefix>.key and <prefix>.pub", "cosign")
    .option(
      "--passphrase-file <file>",
      "read the passphrase from the first line of FILE (else CIPOLICE_PASSWORD, COSIGN_PASSWORD, or a prompt)",
    )
    .option(
      "--unencrypted",
      "write the private key as unencrypted PKCS#8 PEM (cosign and skopeo sign only with encrypted keys)",
    )
    .option("--force", "overwrite existing key files")
    .action(async (opts) => {
      const keyPath = `${opts.outputPrefix}.key`;
      const pubPath = `${opts.outputPrefix}.pub`;
      if (opts.outputPrefix === "") {
        throw new CipError("CIP_USAGE", "Cannot generate a key pair: --output-prefix is empty", {
          hint: "Give a prefix such as cosign or keys/release.",
        });
      }
      if (opts.unencrypted && opts.passphraseFile !== undefined) {
        throw new CipError("CIP_USAGE", "Cannot use --unencrypted with --passphrase-file", {
          hint: "Leave out --unencrypted to encrypt the key with the passphrase, or the file for no passphrase.",
        });
      }
      if (!opts.force) refuseExisting([keyPath, pubPath]);
      const passphrase = opts.unencrypted
        ? undefined
        : await readPassphrase({
            passphraseFile: opts.passphraseFile,
            confirm: true,
            action: "Cannot generate a key pair",
          });
      const sign = await import("../../sign/keys/index.js");
      const { privateKey, publicKey } = sign.generateSigningKeyPair();
      const keyText =
        passphrase === undefined
          ? sign.privateKeyPem(privateKey)
          : sign.encryptCosignPrivateKey(privateKey, passphrase);
      writeKeyFiles(
        [
          { path: keyPath, text: keyText, mode: 0o600 },
          { path: pubPath, text: sign.publicKeyPem(publicKey), mode: 0o644 },
        ],
        opts.force === true,
      );
      process.stdout.write(
        `Private key written to ${terminalLine(keyPath)}${passphrase === undefined ? " (unencrypted)" : ""}\n` +
          `Public key written to ${terminalLine(pubPath)}\n` +
          `Public key fingerprint (SHA-256 of its DER): ${sign.keyFingerprint(publicKey)}\n`,
      );
      setExitCode(0);
    });

  return keys;
}

/**
 * Reads a key file (PEM text) of at most 64 KiB: `what` is "private key" or "public key" in messages. For
 * commands that load keys (sign, verify).
 */
export function readKeyFile(path: string, what: string): string {
  const bytes = readBoundedSync(path, {
    maxBytes: 64 * 1024,
    what: `${what} ${path}`,
    limitName: "key file",
    limitHint: "Give the key file itself: a PEM key is under 1 KiB.",
  });
  return decodeText(bytes);
}

/**
 * The passphrase of a key: the first line of `passphraseFile` (without its newline, as skopeo and podman
 * read `--sign-passphrase-file`), else CIPOLICE_PASSWORD, else COSIGN_PASSWORD (each may be set empty: an
 * empty passphrase given on purpose), else a prompt on a terminal (twice with `confirm`; empty refused).
 * Without any, a CipError saying how to give one; `action` starts its message.
 */
export async function readPassphrase(options: {
  passphraseFile?: string | undefined;
  confirm: boolean;
  action: string;
}): Promise<string> {
  if (options.passphraseFile !== undefined) {
    const bytes = readBoundedSync(options.passphraseFile === "-" ? 0 : options.passphraseFile, {
      maxBytes: MAX_PASSPHRASE_FILE_BYTES,
      what: `passphrase file ${options.passphraseFile === "-" ? "standard input" : options.passphraseFile}`,
      limitName: "passphrase file",
      limitHint: "The passphrase is the first line of the file; give a file that holds only it.",
    });
    const text = decodeText(bytes);
    const newline = text.indexOf("\n");
    return newline < 0 ? text : text.slice(0, newline);
  }
  for (const name of PASSPHRASE_ENV) {
    const value = process.env[name];
    if (value !== undefined) return value;
  }
  if (process.stdin.isTTY) return promptPassphrase(options.confirm, options.action);
  throw new CipError(
    "CIP_USAGE",
    `${options.action}: no passphrase was given, and standard input is not a terminal to ask for one`,
    {
      hint: "Give it with --passphrase-file FILE, or in CIPOLICE_PASSWORD or COSIGN_PASSWORD (set one empty, e.g. CIPOLICE_PASSWORD=, for an empty passphrase).",
    },
  );
}

async function promptPassphrase(confirm: boolean, action: string): Promise<string> {
  const first = await readHidden("Enter passphrase for the private key: ", action);
  if (first === "") {
    throw new CipError("CIP_USAGE", `${action}: the passphrase entered is empty`, {
      hint: "Type a passphrase, or set CIPOLICE_PASSWORD= (empty) to mean an empty one.",
    });
  }
  if (!confirm) return first;
  const second = await readHidden("Enter the passphrase again: ", action);
  if (second !== first) {
    throw new CipError("CIP_USAGE", `${action}: the two passphrases entered differ`, {
      hint: "Run the command again and type the same passphrase twice.",
    });
  }
  return first;
}

/** One line from the terminal without echo (raw mode), the question on standard error. */
function readHidden(question: string, action: string): Promise<string> {
  const input = process.stdin;
  // Raw (no echo) before the prompt shows: a line typed as soon as it appears must not be echoed
  input.setRawMode(true);
  process.stderr.write(question);
  input.setEncoding("utf8");
  input.resume();
  return new Promise((resolve, reject) => {
    let chars: string[] = [];
    const finish = () => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write("\n");
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") {
          finish();
          resolve(chars.join(""));
          return;
        }
        if (ch === "\u0003") {
          finish();
          reject(new CipError("CIP_USAGE", `${action}: interrupted at the passphrase prompt`));
          return;
        }
        if (ch === "\u007f" || ch === "\b") chars = chars.slice(0, -1);
        else chars.push(ch);
      }
    };
    input.on("data", onData);
  });
}

function refuseExisting(paths: string[]): void {
  const existing = paths.filter((path) => {
    try {
      lstatSync(path);
      return true;
    } catch {
      return false;
    }
  });
  if (existing.length > 0) {
    throw new CipError(
      "CIP_USAGE",
      `Cannot generate a key pair: ${existing.join(" and ")} already exist${existing.length === 1 ? "s" : ""}`,
      { hint: "Choose another --output-prefix, or pass --force to overwrite (the old key is lost)." },
    );
  }
}

/**
 * Writes each file beside its target under a temporary name with its mode, then moves all into place:
 * a failure leaves no half-written key. Without `force`, a target that appeared meanwhile is not replaced.
 */
function writeKeyFiles(files: Array<{ path: string; text: string; mode: number }>, force: boolean): void {
  const staged: string[] = [];
  const placed: string[] = [];
  try {
    for (const file of files) {
      const temp = `${file.path}.tmp-${randomBytes(6).toString("hex")}`;
      writeFileSync(temp, file.text, { mode: file.mode, flag: "wx" });
      staged.push(temp);
    }
    files.forEach((file, i) => {
      const temp = staged[i] as string;
      // link() fails when the target exists, so nothing is overwritten without --force
      if (force) renameSync(temp, file.path);
      else {
        linkSync(temp, file.path);
        unlinkSync(temp);
      }
      placed.push(file.path);
    });
  } catch (error) {
    for (const path of staged) unlinkQuietly(path);
    if (!force) for (const path of placed) unlinkQuietly(path);
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "EEXIST"
        ? "a key file appeared meanwhile"
        : code === "ENOENT"
          ? `the directory of ${files[0]?.path ?? "the key files"} does not exist`
          : code === "EACCES"
            ? "permission denied"
            : (error as Error).message;
    throw new CipError("CIP_OUTPUT_WRITE", `Cannot write the key pair: ${reason}`, {
      hint: "Check that the directory of --output-prefix exists and is writable.",
      cause: error,
    });
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
