import { readFileSync } from "node:fs";
import type { ConsumeEventsOptions } from "../src/queue/amqp-consumer.js";
import { planActions } from "../src/rules/evaluate-rules.js";
import { parseRulesFile } from "../src/rules/parse-rules-file.js";
import type { RuleSet } from "../src/rules/rule-types.js";
import { runActions } from "../src/rules/run-actions.js";
import type { Assessment } from "../src/service/assess-image.js";
import { checkImage } from "../src/service/check-image.js";
import { loadBundle } from "../src/service/load-bundle.js";
import { EventReactor } from "../src/service/react-to-event.js";
import type { Store } from "../src/service/store-ports.js";
import { factsFromStoredReports } from "../src/service/stored-report-facts.js";
import { openSqliteStore } from "../src/store/sqlite-store.js";

type Handle = ConsumeEventsOptions["handle"];

/** A consumer handler running CIPolicE's EventReactor: the rules planned and run, the outcomes returned. */
function reactorHandle(
  store: Store,
  rules: RuleSet,
  assess?: (image: string) => Promise<Assessment>,
): Handle {
  const reactor = new EventReactor({
    store,
    rules: () => rules,
    plan: planActions,
    // `log` lines are dropped: the bench measures the path, not a terminal
    run: (actions, message, builtins) =>
      runActions(actions, message, { baseDir: ".", builtins: { ...builtins, log: () => {} } }),
    ...(assess !== undefined ? { assess: (image: string) => assess(image) } : {}),
    log: { info() {}, warn() {} },
    now: () => new Date(),
    assessTimeoutMs: 30_000,
  });
  return async (message, meta) => ({ outcomes: (await reactor.react(message, meta)).outcomes });
}

/** (a) CIPolicE's rules on `{image, level}` messages: one condition per message, a `log` for a few. */
export async function trivialReactorHandle(storeFile: string): Promise<Handle> {
  const store = await openSqliteStore(storeFile);
  return reactorHandle(store, parseRulesFile("level > 8\n\tlog level {level} for {image}\n", "bench.rules"));
}

/**
 * (b) The default bundle evaluated for each message on the facts stored for its digest: the store read, the
 * facts document parsed and evaluated (no decision cache), the decision summarized into the message, and a
 * rule reacting to it.
 */
export async function bundleReactorHandle(options: {
  storeFile: string;
  bundleFile: string;
  factsText: string;
  digests: string[];
}): Promise<Handle> {
  const store = await openSqliteStore(options.storeFile);
  for (const digest of options.digests) {
    await store.putReports(digest, [{ name: "facts", format: "facts", text: options.factsText }], new Date());
  }
  const bundle = loadBundle(readFileSync(options.bundleFile, "utf8"), options.bundleFile);
  const rules = parseRulesFile('decision.status == "fail"\n\tlog {image} fails\n', "bench.rules");
  return reactorHandle(store, rules, async (image) => {
    const digest = image.slice(image.indexOf("@") + 1);
    const facts = factsFromStoredReports(image, await store.listReports(digest)).facts;
    const decision = checkImage(bundle, { ...facts, digest }, { now: new Date() });
    return { image, digest, outcome: decision.status, decisions: [decision], cache: "miss" };
  });
}
