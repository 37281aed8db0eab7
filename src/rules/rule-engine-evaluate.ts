import { compilePythonRegex, type PythonRegex, PythonRegexError } from "../policy/python-regex.js";
import type { Node, RegexOp, Value } from "./rule-engine-ast.js";

/**
 * Why a condition could not decide on a message: a field it reads is absent, or a value has the wrong type
 * for an operator. rule_engine raises for both and CIPolicE treated that as a non-match; the message here
 * becomes the notice.
 */
export class NoDecision {
  // Not an Error: no stack is captured, as messages that lack a field are common and must stay cheap.
  constructor(readonly message: string) {}
}

/** Longest string `+` may build, so a condition cannot grow a message's text without bound. */
const MAX_STRING = 1024 * 1024;
/** Longest pattern a message may supply to `=~` (literal patterns are bounded by the condition's length). */
const MAX_DYNAMIC_PATTERN = 4_096;

const dynamicPatterns = new Map<string, PythonRegex>();

/** Evaluates a parsed condition over a message; throws NoDecision when it cannot decide. */
export function evaluateNode(node: Node, message: Record<string, unknown>, text: string): Value {
  const evaluate = (n: Node): Value => {
    switch (n.kind) {
      case "literal":
        return n.value;
      case "symbol":
        if (!Object.hasOwn(message, n.name)) throw new NoDecision(`${n.name} is not in the message`);
        return message[n.name] as Value;
      case "list":
        return n.items.map(evaluate);
      case "attribute":
        return attribute(evaluate(n.object), n.name, n.safe, { text, node: n, object: n.object });
      case "item":
        return item(evaluate(n.object), evaluate(n.index), n.safe, { text, node: n, object: n.object });
      case "not":
        return !truthy(evaluate(n.operand));
      case "negate": {
        const value = evaluate(n.operand);
        if (typeof value !== "number") throw mismatch(`cannot negate ${typeName(value)}`, { text, node: n });
        return -value;
      }
      case "logic": {
        // Short-circuit as Python does: a field the other side makes irrelevant may be absent.
        const left = truthy(evaluate(n.left));
        if (n.op === "and") return left ? truthy(evaluate(n.right)) : false;
        return left ? true : truthy(evaluate(n.right));
      }
      case "equality": {
        const same = equal(evaluate(n.left), evaluate(n.right));
        return n.op === "==" ? same : !same;
      }
      case "compare":
        return compare(n.op, evaluate(n.left), evaluate(n.right), { text, node: n });
      case "arithmetic":
        return arithmetic(n.op, evaluate(n.left), evaluate(n.right), { text, node: n });
      case "regex":
        return regex(n.op, evaluate(n.left), n.compiled ?? evaluate(n.right), { text, node: n });
      case "in":
        return membership(evaluate(n.member), evaluate(n.container), { text, node: n }) !== n.negated;
      case "ternary":
        return truthy(evaluate(n.test)) ? evaluate(n.then) : evaluate(n.otherwise);
    }
  };
  return evaluate(node);
}

/** Python's truth value: null, false, 0, "", [] and {} are false. */
export function truthy(value: Value): boolean {
  if (value === null || value === false || value === 0 || value === "") return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}

/** The rule_engine name of a value's type, for notices. */
export function typeName(value: Value | undefined): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "string":
      return "a string";
    case "number":
      return "a number";
    case "boolean":
      return "a boolean";
    default:
      return "a mapping";
  }
}

/** Where an operator is in the condition: its text is sliced only when a notice needs it. */
interface At {
  text: string;
  node: Node;
  object?: Node;
}

function sourceOf(at: At, node: Node = at.node): string {
  return at.text.slice(node.start, node.end);
}

function mismatch(what: string, at: At): NoDecision {
  return new NoDecision(`${what} (in \`${sourceOf(at)}\`)`);
}

function kind(value: Value): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** `==`: values of different types are never equal (rule_engine), arrays and mappings compare by content. */
function equal(a: Value, b: Value): boolean {
  if (kind(a) !== kind(b)) return false;
  if (Array.isArray(a)) {
    const other = b as Value[];
    return a.length === other.length && a.every((x, i) => equal(x, other[i] as Value));
  }
  if (a !== null && typeof a === "object") {
    const other = b as Record<string, Value>;
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(other).length &&
      keys.every((k) => Object.hasOwn(other, k) && equal(a[k] as Value, other[k] as Value))
    );
  }
  return a === b;
}

/** `<`, `<=`, `>`, `>=` on two values of one type: numbers, strings, booleans, nulls, arrays (lexicographic). */
function compare(op: "<" | "<=" | ">" | ">=", a: Value, b: Value, at: At): boolean {
  if (a === null && b === null) return op === "<=" || op === ">=";
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (!equal(a[i] as Value, b[i] as Value)) return compare(op, a[i] as Value, b[i] as Value, at);
    }
    return compare(op, a.length, b.length, at);
  }
  const ta = kind(a);
  if (ta !== kind(b) || ta === "object" || ta === "null") {
    throw mismatch(`cannot order ${typeName(a)} and ${typeName(b)}`, at);
  }
  const x = a as number | string | boolean;
  const y = b as number | string | boolean;
  switch (op) {
    case "<":
      return x < y;
    case "<=":
      return x <= y;
    case ">":
      return x > y;
    default:
      return x >= y;
  }
}

function arithmetic(op: string, a: Value, b: Value, at: At): Value {
  if (op === "+" && typeof a === "string" && typeof b === "string") {
    if (a.length + b.length > MAX_STRING)
      throw mismatch(`the string would be longer than ${MAX_STRING} characters`, at);
    return a + b;
  }
  if (typeof a !== "number" || typeof b !== "number") {
    throw mismatch(`cannot apply \`${op}\` to ${typeName(a)} and ${typeName(b)}`, at);
  }
  if ((op === "/" || op === "//" || op === "%") && b === 0) throw mismatch("division by zero", at);
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      return a / b;
    case "//":
      return Math.floor(a / b);
    case "%":
      // Python's modulo takes the sign of the divisor.
      return ((a % b) + b) % b;
    default:
      return a ** b;
  }
}

/** `=~` (Python `re.match`), `=~~` (`re.search`) and their negations, on RE2; a null on either side never matches. */
function regex(op: RegexOp, left: Value, right: Value | PythonRegex, at: At): boolean {
  if (left !== null && typeof left !== "string")
    throw mismatch(`cannot match ${typeName(left)} against a pattern`, at);
  let pattern: PythonRegex | null;
  if (right === null) pattern = null;
  else if (typeof right === "string") pattern = dynamicRegex(right, at);
  else if (typeof right === "object" && "search" in right && typeof right.search === "function")
    pattern = right as PythonRegex;
  else throw mismatch(`the pattern is ${typeName(right as Value)}, not a string`, at);
  const negated = op.startsWith("!");
  if (left === null || pattern === null) return negated;
  const found = op.endsWith("~~") ? pattern.search(left) : pattern.match(left);
  return found !== negated;
}

function dynamicRegex(source: string, at: At): PythonRegex {
  const cached = dynamicPatterns.get(source);
  if (cached) return cached;
  if (source.length > MAX_DYNAMIC_PATTERN) {
    throw mismatch(`the pattern from the message is longer than ${MAX_DYNAMIC_PATTERN} characters`, at);
  }
  let compiled: PythonRegex;
  try {
    compiled = compilePythonRegex(source);
  } catch (error) {
    if (!(error instanceof PythonRegexError)) throw error;
    throw mismatch(`the pattern ${JSON.stringify(source)} cannot be used: ${error.reason}`, at);
  }
  if (dynamicPatterns.size >= 256) dynamicPatterns.clear();
  dynamicPatterns.set(source, compiled);
  return compiled;
}

/** `in`: a substring of a string, an element of an array, a key of a mapping. */
function membership(member: Value, container: Value, at: At): boolean {
  if (typeof container === "string") {
    if (typeof member !== "string") throw mismatch(`cannot look for ${typeName(member)} in a string`, at);
    return container.includes(member);
  }
  if (Array.isArray(container)) return container.some((x) => equal(x, member));
  if (container !== null && typeof container === "object") {
    return typeof member === "string" && Object.hasOwn(container, member);
  }
  throw mismatch(`cannot look for a value in ${typeName(container)}`, at);
}

/** `a.b`: a key of a mapping first, then the builtin attributes rule_engine gives strings, arrays and mappings. */
function attribute(object: Value, name: string, safe: boolean, at: At): Value {
  if (object === null) {
    if (safe) return null;
    throw new NoDecision(`${sourceOf(at, at.object)} is null, so ${sourceOf(at)} cannot be read`);
  }
  if (typeof object === "object" && !Array.isArray(object) && Object.hasOwn(object, name)) {
    return object[name] as Value;
  }
  const builtin = builtinAttribute(object, name);
  if (builtin !== undefined) return builtin;
  if (safe) return null;
  if (typeof object === "object" && !Array.isArray(object))
    throw new NoDecision(`${sourceOf(at)} is not in the message`);
  throw mismatch(`${typeName(object)} has no attribute \`${name}\``, at);
}

function builtinAttribute(object: Value, name: string): Value | undefined {
  const sized = typeof object === "string" || Array.isArray(object);
  const mapping = object !== null && typeof object === "object" && !Array.isArray(object);
  if (name === "length" && (sized || mapping))
    return mapping ? Object.keys(object).length : (object as string | Value[]).length;
  if (name === "is_empty" && (sized || mapping)) return !truthy(object);
  if (typeof object === "string" && name === "as_lower") return object.toLowerCase();
  if (typeof object === "string" && name === "as_upper") return object.toUpperCase();
  if (mapping && name === "keys") return Object.keys(object);
  if (mapping && name === "values") return Object.values(object);
  return undefined;
}

/** `a[i]`: an index of an array or string (negative from the end), or a key of a mapping. */
function item(object: Value, index: Value, safe: boolean, at: At): Value {
  if (object === null) {
    if (safe) return null;
    throw new NoDecision(`${sourceOf(at, at.object)} is null, so ${sourceOf(at)} cannot be read`);
  }
  if (Array.isArray(object) || typeof object === "string") {
    if (typeof index !== "number" || !Number.isInteger(index))
      throw mismatch(`an index must be a whole number, not ${typeName(index)}`, at);
    const items = typeof object === "string" ? Array.from(object) : object;
    const position = index < 0 ? items.length + index : index;
    if (position >= 0 && position < items.length) return items[position] as Value;
    if (safe) return null;
    throw new NoDecision(`${sourceOf(at)} is not in the message`);
  }
  if (typeof object === "object") {
    if (typeof index !== "string")
      throw mismatch(`a mapping key must be a string, not ${typeName(index)}`, at);
    if (Object.hasOwn(object, index)) return object[index] as Value;
    if (safe) return null;
    throw new NoDecision(`${sourceOf(at)} is not in the message`);
  }
  throw mismatch(`${typeName(object)} has no items`, at);
}
