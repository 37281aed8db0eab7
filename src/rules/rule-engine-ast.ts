import { compilePythonRegex, type PythonRegex, PythonRegexError } from "../policy/python-regex.js";
import { CONDITION_MAX_DEPTH, ConditionError } from "./condition-error.js";
import { type Token, tokenize } from "./rule-engine-tokens.js";

/** A JSON value, as messages hold them. */
export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };

/** The regular-expression operators: `=~` match, `=~~` search, and their negations. */
export type RegexOp = "=~" | "=~~" | "!~" | "!~~";

/** One node of a parsed condition; `start`/`end` are 0-based offsets into its text. */
export type Node = { start: number; end: number } & (
  | { kind: "literal"; value: Value }
  | { kind: "symbol"; name: string }
  | { kind: "attribute"; object: Node; name: string; safe: boolean }
  | { kind: "item"; object: Node; index: Node; safe: boolean }
  | { kind: "list"; items: Node[] }
  | { kind: "not"; operand: Node }
  | { kind: "negate"; operand: Node }
  | { kind: "logic"; op: "and" | "or"; left: Node; right: Node }
  | { kind: "equality"; op: "==" | "!="; left: Node; right: Node }
  | { kind: "compare"; op: "<" | "<=" | ">" | ">="; left: Node; right: Node }
  | { kind: "arithmetic"; op: "+" | "-" | "*" | "/" | "//" | "%" | "**"; left: Node; right: Node }
  | { kind: "regex"; op: RegexOp; left: Node; right: Node; compiled?: PythonRegex }
  | { kind: "in"; negated: boolean; member: Node; container: Node }
  | { kind: "ternary"; test: Node; then: Node; otherwise: Node }
);

// Binding powers, loosest first, in rule_engine's order of operations.
const TERNARY = 1;
const OR = 2;
const AND = 3;
const NOT = 4;
const EQUALITY = 5;
const COMPARISON = 6;
const SUM = 7;
const PRODUCT = 8;
const UNARY = 9;
const POWER = 10;

const INFIX: Record<string, number> = {
  "?": TERNARY,
  or: OR,
  and: AND,
  "==": EQUALITY,
  "!=": EQUALITY,
  "<": COMPARISON,
  "<=": COMPARISON,
  ">": COMPARISON,
  ">=": COMPARISON,
  "=~": COMPARISON,
  "=~~": COMPARISON,
  "!~": COMPARISON,
  "!~~": COMPARISON,
  in: COMPARISON,
  "not in": COMPARISON,
  "+": SUM,
  "-": SUM,
  "*": PRODUCT,
  "/": PRODUCT,
  "//": PRODUCT,
  "%": PRODUCT,
  "**": POWER,
};

const UNSUPPORTED: Record<string, string> = {
  "&": "the bitwise operator `&` is not supported",
  "|": "the bitwise operator `|` is not supported",
  "^": "the bitwise operator `^` is not supported",
  "<<": "the shift operator `<<` is not supported",
  ">>": "the shift operator `>>` is not supported",
  "??": "the null-coalescing operator `??` is not supported",
  "{": "mapping and set literals are not supported",
  "=": "`=` is not an operator; compare with `==`",
};

/**
 * Parses a condition in rule_engine's syntax (the subset CIPolicE's rules use; see rule-engine-condition.ts)
 * to a tree. Literal regular expressions are compiled here, on RE2, so a bad one is a load-time error.
 * Throws ConditionError with the column of the first problem.
 */
export function parseCondition(text: string): Node {
  const parser = new Parser(text, tokenize(text));
  const node = parser.expression(0, 0);
  const next = parser.peek();
  if (next.type !== "end") throw parser.unexpected(next, "expected an operator or the end of the condition");
  return node;
}

class Parser {
  private index = 0;

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)] as Token;
  }

  private take(): Token {
    const token = this.peek();
    if (token.type !== "end") this.index++;
    return token;
  }

  private is(token: Token, value: string): boolean {
    return (token.type === "op" || token.type === "keyword") && token.value === value;
  }

  private expect(value: string, what: string): Token {
    const token = this.peek();
    if (!this.is(token, value)) throw this.unexpected(token, what);
    return this.take();
  }

  unexpected(token: Token, what: string): ConditionError {
    const found =
      token.type === "end" ? "the end of the condition" : `\`${this.text.slice(token.start, token.end)}\``;
    const reason =
      token.type === "op" && UNSUPPORTED[token.value]
        ? (UNSUPPORTED[token.value] as string)
        : `${what}, found ${found}`;
    return new ConditionError("CIP_EXPRESSION_INVALID", token.start + 1, reason);
  }

  /** Pratt parser: an operand, then every infix operator that binds tighter than `minPower`. */
  expression(minPower: number, depth: number): Node {
    if (depth > CONDITION_MAX_DEPTH) {
      const token = this.peek();
      throw new ConditionError(
        "CIP_EXPRESSION_BUDGET",
        token.start + 1,
        `the condition nests deeper than ${CONDITION_MAX_DEPTH} levels; split it into several rules`,
      );
    }
    let left = this.prefix(depth);
    let lastNonAssoc: number | undefined;
    for (;;) {
      const token = this.peek();
      const op = this.infixOperator(token);
      if (op === undefined) break;
      const power = INFIX[op] as number;
      if (power <= minPower) break;
      if (power === lastNonAssoc) {
        throw new ConditionError(
          "CIP_EXPRESSION_INVALID",
          token.start + 1,
          "comparisons cannot be chained; join them with `and`",
        );
      }
      this.take();
      if (op === "not in") this.take();
      if (op === "?") {
        const then = this.expression(0, depth + 1);
        this.expect(":", "expected `:` of the `? :` operator");
        const otherwise = this.expression(TERNARY - 1, depth + 1);
        left = { kind: "ternary", test: left, then, otherwise, start: left.start, end: otherwise.end };
        continue;
      }
      // `**` binds to its right before a unary minus does (`-2 ** 2` is -4), as in Python.
      const right = this.expression(op === "**" ? UNARY - 1 : power, depth + 1);
      left = this.binary(op, left, right);
      lastNonAssoc = power === EQUALITY || power === COMPARISON ? power : undefined;
    }
    return left;
  }

  private infixOperator(token: Token): string | undefined {
    if (token.type === "keyword") {
      if (token.value === "not" && this.is(this.peek(1), "in")) return "not in";
      return INFIX[token.value] === undefined || token.value === "not" ? undefined : token.value;
    }
    if (token.type !== "op") return undefined;
    if (INFIX[token.value] !== undefined) return token.value;
    if (UNSUPPORTED[token.value]) throw this.unexpected(token, "");
    return undefined;
  }

  private binary(op: string, left: Node, right: Node): Node {
    const span = { start: left.start, end: right.end };
    switch (op) {
      case "and":
      case "or":
        return { kind: "logic", op, left, right, ...span };
      case "==":
      case "!=":
        return { kind: "equality", op, left, right, ...span };
      case "<":
      case "<=":
      case ">":
      case ">=":
        return { kind: "compare", op, left, right, ...span };
      case "=~":
      case "=~~":
      case "!~":
      case "!~~":
        return { kind: "regex", op, left, right, compiled: this.literalRegex(right), ...span };
      case "in":
      case "not in":
        return { kind: "in", negated: op === "not in", member: left, container: right, ...span };
      default:
        return { kind: "arithmetic", op: op as "+", left, right, ...span };
    }
  }

  /** A literal pattern compiles once, now: a syntax error or a backtracking construct fails the load. */
  private literalRegex(right: Node): PythonRegex | undefined {
    if (right.kind !== "literal" || typeof right.value !== "string") return undefined;
    try {
      return compilePythonRegex(right.value);
    } catch (error) {
      if (!(error instanceof PythonRegexError)) throw error;
      const why = error.unsupported
        ? `the regular expression cannot be used: ${error.reason}; patterns run on RE2, in time linear in the text`
        : `the regular expression is not valid (${error.reason})`;
      throw new ConditionError("CIP_REGEX_UNSUPPORTED", right.start + 1, why);
    }
  }

  private prefix(depth: number): Node {
    const token = this.take();
    const span = { start: token.start, end: token.end };
    switch (token.type) {
      case "number":
      case "string":
        return { kind: "literal", value: token.value, ...span };
      case "name":
        return this.postfix({ kind: "symbol", name: token.value, ...span }, depth);
      case "keyword":
        return this.keywordPrefix(token, depth);
      case "op":
        return this.operatorPrefix(token, depth);
      default:
        throw this.unexpected(token, "expected a value");
    }
  }

  private keywordPrefix(token: Token, depth: number): Node {
    const span = { start: token.start, end: token.end };
    switch (token.value) {
      case "true":
        return { kind: "literal", value: true, ...span };
      case "false":
        return { kind: "literal", value: false, ...span };
      case "null":
        return this.postfix({ kind: "literal", value: null, ...span }, depth);
      case "inf":
        return { kind: "literal", value: Number.POSITIVE_INFINITY, ...span };
      case "nan":
        return { kind: "literal", value: Number.NaN, ...span };
      case "not": {
        const operand = this.expression(NOT - 1, depth + 1);
        return { kind: "not", operand, start: token.start, end: operand.end };
      }
      default:
        throw new ConditionError(
          "CIP_EXPRESSION_INVALID",
          token.start + 1,
          `\`${token.value}\` is a reserved word of rule_engine and cannot be used here`,
        );
    }
  }

  private operatorPrefix(token: Token, depth: number): Node {
    if (token.value === "(") {
      const inner = this.expression(0, depth + 1);
      const close = this.expect(")", "expected `)`");
      return this.postfix({ ...inner, start: token.start, end: close.end }, depth);
    }
    if (token.value === "[") return this.postfix(this.list(token, depth), depth);
    if (token.value === "-" || token.value === "+") {
      const operand = this.expression(UNARY - 1, depth + 1);
      if (token.value === "+") return operand;
      if (operand.kind === "literal" && typeof operand.value === "number")
        return { kind: "literal", value: -operand.value, start: token.start, end: operand.end };
      return { kind: "negate", operand, start: token.start, end: operand.end };
    }
    throw this.unexpected(token, "expected a value");
  }

  private list(open: Token, depth: number): Node {
    const items: Node[] = [];
    while (!this.is(this.peek(), "]")) {
      items.push(this.expression(0, depth + 1));
      if (!this.is(this.peek(), ",")) break;
      this.take();
    }
    const close = this.expect("]", "expected `,` or `]` in the list");
    return { kind: "list", items, start: open.start, end: close.end };
  }

  /** Attribute (`a.b`, `a&.b`) and item (`a[0]`, `a&['k']`) access after a value. */
  private postfix(node: Node, depth: number): Node {
    let current = node;
    for (;;) {
      const token = this.peek();
      if (this.is(token, ".") || this.is(token, "&.")) {
        this.take();
        const name = this.take();
        if (name.type !== "name" && name.type !== "keyword")
          throw this.unexpected(name, "expected an attribute name");
        current = {
          kind: "attribute",
          object: current,
          name: name.value,
          safe: token.value === "&.",
          start: current.start,
          end: name.end,
        };
        continue;
      }
      if (this.is(token, "[") || this.is(token, "&[")) {
        this.take();
        const index = this.expression(0, depth + 1);
        const close = this.expect("]", "expected `]`");
        current = {
          kind: "item",
          object: current,
          index,
          safe: token.value === "&[",
          start: current.start,
          end: close.end,
        };
        continue;
      }
      if (this.is(token, "(")) {
        throw new ConditionError(
          "CIP_EXPRESSION_INVALID",
          token.start + 1,
          "function calls are not supported in rules conditions; write the condition in CEL (`cel:` prefix) instead",
        );
      }
      return current;
    }
  }
}
