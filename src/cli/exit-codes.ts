/** Exit codes: the image passed, the policy failed it, or it could not be evaluated (bad input, errors). */
export const EXIT = { pass: 0, policyFailure: 1, cannotEvaluate: 2 } as const;
