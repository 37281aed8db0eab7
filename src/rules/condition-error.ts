import { CipError, type ErrorCode } from "../model/index.js";

/**
 * Why a condition cannot be compiled, with the 1-based column inside the condition's text where the problem
 * is. The rules file parser adds the file, the line and the condition's own column on that line.
 */
export class ConditionError extends CipError {
  /** 1-based column inside the condition text. */
  readonly column: number;
  /** What is wrong, without the position: "expected an operand after `and`". */
  readonly reason: string;

  constructor(
    code: Extract<ErrorCode, "CIP_EXPRESSION_INVALID" | "CIP_EXPRESSION_BUDGET" | "CIP_REGEX_UNSUPPORTED">,
    column: number,
    reason: string,
  ) {
    super(code, `Cannot compile condition: ${reason} (column ${column})`);
    this.column = column;
    this.reason = reason;
  }
}

/** Longest condition text accepted, in characters: real conditions are one short line. */
export const CONDITION_MAX_LENGTH = 4_096;

/** Deepest nesting of parentheses, brackets and prefix operators in a rule_engine condition. */
export const CONDITION_MAX_DEPTH = 32;
