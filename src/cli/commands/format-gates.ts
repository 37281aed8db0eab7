import type { GateSpec } from "../../policy/gate-types.js";

/** The gate catalog as text (for people), JSON (for tools) or Markdown (for the docs). */
export function formatGates(gates: readonly GateSpec[], format: "text" | "json" | "markdown"): string {
  if (format === "json") {
    const doc = gates.map((g) => ({
      name: g.name,
      description: g.description,
      triggers: g.triggers.map((t) => ({
        name: t.name,
        description: t.description,
        params: t.params.map((p) => ({
          name: p.name,
          description: p.description,
          kind: p.kind,
          required: Boolean(p.required),
          ...(p.values ? { values: p.values } : {}),
          ...(p.default !== undefined ? { default: p.default } : {}),
          ...(p.example !== undefined ? { example: p.example } : {}),
        })),
      })),
    }));
    return `${JSON.stringify(doc, null, 2)}\n`;
  }
  const lines: string[] = [];
  for (const g of gates) {
    if (format === "markdown") {
      lines.push(`### \`${g.name}\``, "", g.description, "");
      for (const t of g.triggers) {
        lines.push(`- **${t.name}**: ${t.description}`);
        for (const p of t.params)
          lines.push(`  - \`${p.name}\`${p.required ? " (required)" : ""}: ${paramLine(p, true)}`);
      }
      lines.push("");
    } else {
      lines.push(`${g.name}: ${g.description}`);
      for (const t of g.triggers) {
        lines.push(`  ${t.name}: ${t.description}`);
        for (const p of t.params)
          lines.push(`    ${p.name}${p.required ? " (required)" : ""}: ${paramLine(p, false)}`);
      }
      lines.push("");
    }
  }
  return `${lines.join("\n")}`;
}

function paramLine(p: GateSpec["triggers"][number]["params"][number], markdown: boolean): string {
  // Examples are often regular expressions: in Markdown they must be code, or `*` turns into emphasis.
  const code = (text: string) => (markdown ? `\`${text}\`` : text);
  const kind = p.values ? `${p.kind} of ${p.values.join("|")}` : p.kind;
  const extra = [
    p.default !== undefined ? `default ${code(p.default)}` : "",
    p.example !== undefined ? `e.g. ${code(p.example)}` : "",
  ]
    .filter(Boolean)
    .join("; ");
  return `${p.description} [${kind}${extra ? `; ${extra}` : ""}]`;
}
