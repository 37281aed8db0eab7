import { parseImageReference } from "../image/image-reference.js";
import { factsFromDocument } from "../ingest/facts-document.js";
import type { ImageFacts } from "../model/index.js";
import { parseDocumentText } from "../policy/parse-document.js";

/**
 * Reads a normalized facts document (JSON or YAML). The image may be given as `ref` (parsed) or as an
 * `image` string, which is parsed like the Docker CLI does.
 */
export function loadFacts(text: string, source: string): ImageFacts {
  const document = parseDocumentText(text, source);
  if (document !== null && typeof document === "object" && !Array.isArray(document) && "image" in document) {
    const { image, ...rest } = document as Record<string, unknown>;
    if (typeof image === "string" && !("ref" in rest))
      return factsFromDocument({ ...rest, ref: parseImageReference(image) }, source);
  }
  return factsFromDocument(document, source);
}
