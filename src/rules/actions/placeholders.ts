import type { RuleMessage } from "../rule-types.js";

/** A template filled from a message, and the placeholders it named that the message lacks. */
export interface FilledTemplate {
  value: string;
  /** Names of `{placeholders}` whose field is absent: they stay in `value` as written. */
  missing: string[];
}

// `{{` and `}}` are literal braces; `{name}` names a field (`size-mb`) or a path (`decision.status`)
const TOKEN = /\{\{|\}\}|\{([A-Za-z0-9_][A-Za-z0-9_.-]*)\}/g;

/**
 * Fills the `{field}` and `{a.b}` placeholders of one action argument from the message. The result is one
 * value (one argv entry, one function argument): a placeholder's value is inserted as text and never split
 * or interpreted. Strings go in as they are, other scalars as JSON text (`3`, `true`, `null`), objects and
 * lists as JSON. A placeholder naming an absent field stays as written and is reported in `missing`, as
 * CIPolicE left such a word unchanged. `{{` and `}}` write a literal brace; any other brace is kept.
 */
export function fillPlaceholders(template: string, message: RuleMessage): FilledTemplate {
  const missing: string[] = [];
  const value = template.replace(TOKEN, (token: string, name: string | undefined) => {
    if (name === undefined) return token === "{{" ? "{" : "}";
    const found = lookUp(message, name);
    if (!found.present) {
      missing.push(name);
      return token;
    }
    return asText(found.value);
  });
  return { value, missing };
}

/** A message field by its name or, failing that, by its dotted path through nested objects. */
export function lookUp(message: RuleMessage, name: string): { present: boolean; value?: unknown } {
  // A top-level key with a dot in its name wins over the path, as the name is written whole
  if (Object.hasOwn(message, name)) return { present: true, value: message[name] };
  let current: unknown = message;
  for (const part of name.split(".")) {
    if (current === null || typeof current !== "object" || Array.isArray(current)) return { present: false };
    if (!Object.hasOwn(current, part)) return { present: false };
    current = (current as Record<string, unknown>)[part];
  }
  return { present: true, value: current };
}

/** A field's value as argument text. */
export function asText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  return JSON.stringify(value) ?? String(value);
}
