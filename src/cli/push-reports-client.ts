import { basename } from "node:path";
import { HttpClient } from "../image/registry/http-request.js";
import { parseReportText } from "../ingest/read-report.js";
import { detectVexFormat } from "../ingest/report-formats.js";
import { CipError } from "../model/index.js";
import type { GatherInput } from "../service/gather-facts.js";

const PUSH_TIMEOUT_MS = 60_000;

/** One document to push, with the name it is stored under and its format when known. */
interface PushItem {
  text: string;
  source: string;
  name: string;
  format?: string;
}

/**
 * Pushes the reports, VEX and facts documents a check read to a `cipolice serve` (`--push URL`), stored
 * under the image's digest; each file name is the report's name there, so the next push of the same file
 * replaces it. Throws CIP_USAGE without a digest and CIP_REGISTRY-like errors naming the server's answer.
 */
export async function pushCheckInputs(
  serverUrl: string,
  token: string | undefined,
  digest: string | undefined,
  input: GatherInput,
): Promise<string[]> {
  if (digest === undefined) {
    throw new CipError("CIP_USAGE", "Cannot push the reports: the image's digest is not known", {
      hint: "Name the image by digest (IMAGE@sha256:…), add --pull to read it from the registry, or give reports that carry the digest.",
    });
  }
  const items: PushItem[] = [
    ...input.reports.map((r) => ({
      ...r,
      name: basename(r.source),
      ...(input.reportFormat ? { format: input.reportFormat } : {}),
    })),
    ...input.vex.map((v) => ({
      ...v,
      name: basename(v.source),
      format: detectVexFormat(parseReportText(v.text, v.source), v.source).id,
    })),
    ...(input.facts ? [{ ...input.facts, name: basename(input.facts.source), format: "facts" }] : []),
  ];
  const client = new HttpClient();
  const pushed: string[] = [];
  try {
    for (const item of items) {
      const url = new URL(`v1/images/${encodeURIComponent(digest)}/reports`, withSlash(serverUrl));
      url.searchParams.set("name", item.name);
      if (item.format) url.searchParams.set("format", item.format);
      let answer: Awaited<ReturnType<HttpClient["send"]>>;
      try {
        answer = await client.send(
          url.href,
          {
            method: "PUT",
            headers: {
              "content-type": "application/json",
              ...(token ? { authorization: `Bearer ${token}` } : {}),
            },
            body: item.text,
          },
          PUSH_TIMEOUT_MS,
        );
      } catch (error) {
        throw new CipError(
          "CIP_OUTPUT_WRITE",
          `Cannot push ${item.source} to ${url.origin}: ${(error as Error).message}`,
          {
            hint: "Check the --push URL and that `cipolice serve` is running there.",
            cause: error,
          },
        );
      }
      const text = await readText(answer.body);
      if (!answer.ok) {
        throw new CipError(
          "CIP_OUTPUT_WRITE",
          `Cannot push ${item.source} to ${url.origin}: the server answered ${answer.status} ${serverMessage(text)}`,
          {
            hint:
              answer.status === 401
                ? "Give the server's push token with --push-token-file FILE or CIPOLICE_PUSH_TOKEN."
                : "Fix what the server names and push again.",
          },
        );
      }
      pushed.push(item.source);
    }
  } finally {
    client.close();
  }
  return pushed;
}

function withSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

async function readText(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    // An error answer is short; a server that streams more is not worth reading on
    if (size < 65_536) chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks).toString("utf8");
}

function serverMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (parsed.error?.message) return `${parsed.error.code ?? ""}: ${parsed.error.message}`.trim();
  } catch {
    // not JSON: show the start of the text
  }
  return JSON.stringify(text.slice(0, 200));
}
