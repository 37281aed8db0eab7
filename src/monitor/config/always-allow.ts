/**
 * The shortest image id prefix accepted: docker-py's `Image.short_id` (what the seed hands to twistcli) is
 * `sha256:` and 10 hex digits; the Docker CLI prints 12. Shorter prefixes would match too many images.
 */
export const MIN_IMAGE_ID_PREFIX = 10;

/** One `always_allow` entry: the hex digits of an image id or of its prefix, lowercased. */
export interface AllowedImageId {
  /** As written, for messages. */
  written: string;
  hex: string;
}

/**
 * Splits `[policy] always_allow` (comma-separated, as the seed documents; newlines of a continued value
 * and spaces also separate) into image ids. An id is `sha256:` and hex, or bare hex: 64 digits for a full
 * id, at least {@link MIN_IMAGE_ID_PREFIX} for a short one (`docker images` shows 12). Returns the ids and
 * a message per entry that is not an image id (a name such as `nginx:1.27` is not: ids are what the seed
 * documents, and names move).
 */
export function parseAlwaysAllow(value: string): { ids: AllowedImageId[]; errors: string[] } {
  const ids: AllowedImageId[] = [];
  const errors: string[] = [];
  for (const written of value.split(/[\s,]+/)) {
    if (written === "") continue;
    const lower = written.toLowerCase();
    const hex = lower.startsWith("sha256:") ? lower.slice("sha256:".length) : lower;
    if (!/^[0-9a-f]+$/.test(hex) || hex.length > 64) {
      errors.push(`${JSON.stringify(written)} is not an image id (sha256:<hex> or hex digits)`);
    } else if (hex.length < MIN_IMAGE_ID_PREFIX) {
      errors.push(
        `${JSON.stringify(written)} is too short an image id prefix: write at least ${MIN_IMAGE_ID_PREFIX} hex digits`,
      );
    } else {
      ids.push({ written, hex });
    }
  }
  return { ids, errors };
}

/**
 * The entry that allows an image id (`sha256:…` as the engine reports it), or undefined: a full id
 * matches exactly, a shorter one as a prefix of the id's hex digits, as `docker` resolves a short id.
 */
export function findAlwaysAllowed(
  imageId: string,
  allowed: readonly AllowedImageId[],
): AllowedImageId | undefined {
  const lower = imageId.toLowerCase();
  const hex = lower.startsWith("sha256:") ? lower.slice("sha256:".length) : lower;
  if (!/^[0-9a-f]{64}$/.test(hex)) return undefined;
  return allowed.find((entry) => hex.startsWith(entry.hex));
}
