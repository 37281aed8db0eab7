import { CipError, type Problem } from "../model/index.js";
import { CEL_PREFIX, compileCelCondition } from "./cel-condition.js";
import { type ClassifyOptions, classifyAction, isActionProblem } from "./classify-action.js";
import { ConditionError } from "./condition-error.js";
import { compileRuleEngineCondition } from "./rule-engine-condition.js";
import type { CompiledCondition, Rule, RuleSet, SourcePosition } from "./rule-types.js";

/**
 * The error code of a rules file that does not load. There is no rules-specific code in the catalog yet; a
 * rules file is configuration of the server and of `cipolice rules`.
 */
export const RULES_INVALID_CODE = "CIP_CONFIG_INVALID" as const;

/** Most lines a rules file may have. */
export const RULES_MAX_LINES = 10_000;
/** Longest line of a rules file, in characters. */
export const RULES_MAX_LINE_LENGTH = 8_192;
/** Most problems listed for one file; the rest are counted. */
const MAX_PROBLEMS = 100;

/** Options of parseRulesFile: how action names are classified. */
export type ParseRulesOptions = ClassifyOptions;

/**
 * Parses a CIPolicE rules file: a condition on each unindented line, its actions on the indented lines
 * (tab or spaces) under it, in file order. Lines whose first non-blank character is `#` are comments; blank
 * lines are ignored. A condition is in rule_engine's syntax, or in CEL after the prefix `cel:`. Each action
 * is classified (classifyAction); every condition is compiled once, here.
 *
 * Every problem of the file is reported at once, each as `file:line:column: what`, in a CipError with
 * code RULES_INVALID_CODE; nothing of an invalid file is loaded.
 */
export function parseRulesFile(text: string, file: string, options: ParseRulesOptions = {}): RuleSet {
  const problems: Problem[] = [];
  const report = (line: number, column: number, reason: string, code: string = RULES_INVALID_CODE) => {
    const where = `${file}:${line}:${column}`;
    problems.push({ level: "error", code, message: `${where}: ${reason}`, path: where });
  };
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\n|\r/);
  if (lines.length > RULES_MAX_LINES) {
    report(RULES_MAX_LINES + 1, 1, `the file has more than ${RULES_MAX_LINES} lines`);
    throw invalid(file, problems, problems.length);
  }
  const rules: Rule[] = [];
  let current: Rule | undefined;
  // After a condition that does not compile, its actions are still checked but belong to no rule.
  let currentBroken = false;
  let count = 0;
  lines.forEach((line, index) => {
    const lineNumber = index + 1;
    if (line.length > RULES_MAX_LINE_LENGTH) {
      count++;
      report(
        lineNumber,
        RULES_MAX_LINE_LENGTH + 1,
        `the line is longer than ${RULES_MAX_LINE_LENGTH} characters`,
      );
      return;
    }
    const content = line.trimEnd();
    const trimmed = content.trimStart();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const indent = content.length - trimmed.length;
    const at: SourcePosition = { file, line: lineNumber, column: indent + 1 };
    if (indent > 0) {
      if (!current && !currentBroken) {
        count++;
        report(
          lineNumber,
          1,
          "an indented action comes before any condition; write the condition on an unindented line above it",
        );
        return;
      }
      const action = classifyAction(trimmed, at, options);
      if (isActionProblem(action)) {
        count++;
        report(lineNumber, action.column, action.reason);
        return;
      }
      current?.actions.push(action);
      return;
    }
    const condition = compileCondition(content);
    if (condition instanceof ConditionError) {
      count++;
      report(lineNumber, condition.column, condition.reason, condition.code);
      current = undefined;
      currentBroken = true;
      return;
    }
    current = { condition, actions: [], at };
    currentBroken = false;
    rules.push(current);
  });
  if (problems.length > 0) throw invalid(file, problems.slice(0, MAX_PROBLEMS), count);
  return { rules, sources: [file] };
}

/** Concatenates rule sets in order: the rules of the first file are evaluated first. */
export function mergeRuleSets(sets: readonly RuleSet[]): RuleSet {
  return { rules: sets.flatMap((s) => s.rules), sources: sets.flatMap((s) => s.sources) };
}

/** Compiles the condition of an unindented line; a ConditionError's column is then the column on the line. */
function compileCondition(line: string): CompiledCondition | ConditionError {
  const cel = line.startsWith(CEL_PREFIX);
  const offset = cel
    ? CEL_PREFIX.length + (line.length - CEL_PREFIX.length - line.slice(CEL_PREFIX.length).trimStart().length)
    : 0;
  const text = line.slice(offset);
  try {
    return cel ? compileCelCondition(text) : compileRuleEngineCondition(text);
  } catch (error) {
    if (!(error instanceof ConditionError)) throw error;
    return new ConditionError(
      error.code as "CIP_EXPRESSION_INVALID",
      error.column + offset,
      cel ? `CEL: ${error.reason}` : error.reason,
    );
  }
}

function invalid(file: string, problems: Problem[], count: number): CipError {
  const more = count > problems.length ? ` (the first ${problems.length} are listed)` : "";
  return new CipError(
    RULES_INVALID_CODE,
    `Cannot load rules file ${file}: ${count} problem${count === 1 ? "" : "s"}${more}; nothing of it was loaded`,
    {
      problems,
      hint: "A condition goes on an unindented line (rule_engine syntax, or CEL after `cel:`), its actions on the indented lines under it; check each line named above.",
    },
  );
}
