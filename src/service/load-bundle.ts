import { clairCicdBundle, parseClairCicdWhitelist } from "../ingest/clair-cicd-whitelist.js";
import { parseDocumentText } from "../ingest/parse-document.js";
import { CipError } from "../model/index.js";
import { type CompiledBundle, compileBundle } from "../policy/compile-bundle.js";

/** Options for loading a bundle. */
export interface LoadBundleOptions {
  /** Reject retired anchore gates (default true). */
  strict?: boolean;
}

/**
 * Parses (JSON or YAML), validates and compiles a policy bundle. Throws CIP_PARSE for syntax errors and
 * CIP_BUNDLE_INVALID listing every problem; warnings stay on the compiled bundle.
 */
export function loadBundle(text: string, source: string, options: LoadBundleOptions = {}): CompiledBundle {
  const document = parseDocumentText(text, source);
  const { compiled, problems } = compileBundle(document, options);
  if (compiled) return compiled;
  const errors = problems.filter((p) => p.level === "error");
  throw new CipError(
    errors.some((p) => p.code === "CIP_BUNDLE_VERSION") && errors.length === 1
      ? "CIP_BUNDLE_VERSION"
      : "CIP_BUNDLE_INVALID",
    `Cannot use policy bundle ${source}: ${errors.length} problem${errors.length > 1 ? "s" : ""}`,
    {
      problems,
      hint: "Fix each problem listed; `cipolice policy gates` lists every gate, trigger and parameter.",
    },
  );
}

/** A clair-cicd whitelist (file text or `json://{…}`) as the equivalent compiled bundle. */
export function loadWhitelistBundle(text: string, source: string): CompiledBundle {
  const document = clairCicdBundle(parseClairCicdWhitelist(text, source));
  const { compiled, problems } = compileBundle(document);
  if (compiled) return compiled;
  throw new CipError(
    "CIP_INTERNAL",
    `Cannot use whitelist ${source}: the bundle made from it does not compile`,
    { problems },
  );
}
