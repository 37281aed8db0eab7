/**
 * Longest status message (denial reason) we send, in characters (Unicode code points). Kubernetes sets no
 * hard limit, but the message is shown by kubectl, stored in events and audit logs, and an unbounded list
 * of findings there helps no one: the rest stays in the decision log.
 */
export const MAX_STATUS_MESSAGE_CHARS = 4096;

/**
 * Longest single warning, in characters. The API server cuts warnings to 256 runes (without saying so)
 * once the warnings of a request exceed 4096 runes; cutting them ourselves keeps the "left out" note.
 * Kubernetes asks for 120 characters "if possible": that is for the wording of each warning, not a limit.
 */
export const MAX_WARNING_CHARS = 256;

/**
 * Characters all our warnings of one answer may take together. The API server's budget is 4096 runes for
 * every source of the request (deprecation notices, other webhooks); we leave a quarter of it to them.
 */
export const MAX_WARNINGS_TOTAL_CHARS = 3072;

/** Unpaired UTF-16 surrogates, which cannot be encoded as UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** Every control character (C0, DEL, C1): the API server drops a warning holding any of them. */
const CONTROL = /\p{Cc}/gu;
/** Control characters except tab and newline, which a multi-line status message may keep. */
const CONTROL_BUT_LAYOUT = /[^\P{Cc}\t\n]/gu;

/** The number of characters (code points) of a text, as Go counts runes. */
export function charCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/**
 * Cuts a text to at most `max` characters, ending it with how much was left out:
 * "… (1234 more characters left out)". Texts within the limit are returned unchanged.
 */
export function truncateText(text: string, max: number): string {
  // Fast path: UTF-16 length is never below the code point count.
  if (text.length <= max) return text;
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  let kept = max;
  let suffix = "";
  // The suffix length depends on the number it reports, so settle it in a few rounds.
  for (let round = 0; round < 4; round++) {
    suffix = ` … (${chars.length - kept} more characters left out)`;
    const fit = Math.max(0, max - charCount(suffix));
    if (fit === kept) break;
    kept = fit;
  }
  const cut = `${chars.slice(0, kept).join("").trimEnd()}${suffix}`;
  // A limit shorter than any note: the bare cut is all that fits.
  return charCount(cut) <= max ? cut : chars.slice(0, max).join("");
}

/** A status message the API server and kubectl show as sent: valid UTF-8, no control bytes, bounded. */
export function statusMessageText(message: string): string {
  const clean = message.replace(LONE_SURROGATE, "\uFFFD").replace(CONTROL_BUT_LAYOUT, " ").trim();
  return truncateText(clean, MAX_STATUS_MESSAGE_CHARS);
}

/**
 * Warnings the API server passes on unchanged: control characters become spaces (a warning holding one is
 * dropped by the API server), blanks and duplicates go, each is cut to {@link MAX_WARNING_CHARS}, and
 * once the total would pass {@link MAX_WARNINGS_TOTAL_CHARS} the rest is replaced by one note saying how
 * many were left out.
 */
export function limitWarnings(warnings: readonly string[]): string[] {
  const unique = new Map<string, number>();
  for (const warning of warnings) {
    const clean = truncateText(
      warning.replace(LONE_SURROGATE, "\uFFFD").replace(CONTROL, " ").trim(),
      MAX_WARNING_CHARS,
    );
    if (clean !== "" && !unique.has(clean)) unique.set(clean, charCount(clean));
  }
  let total = 0;
  for (const size of unique.values()) total += size;
  if (total <= MAX_WARNINGS_TOTAL_CHARS) return [...unique.keys()];
  // Room kept for the closing note, so that it fits in the budget too.
  const budget = MAX_WARNINGS_TOTAL_CHARS - 48;
  const out: string[] = [];
  let used = 0;
  for (const [warning, size] of unique) {
    if (used + size > budget) break;
    out.push(warning);
    used += size;
  }
  const omitted = unique.size - out.length;
  out.push(`${omitted} more warning${omitted === 1 ? "" : "s"} left out`);
  return out;
}
