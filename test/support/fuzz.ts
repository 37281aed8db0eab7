/** A small deterministic PRNG (mulberry32): fuzz runs are repeatable from their seed. */
export function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1e308,
  "",
  "x",
  "1_0",
  "*",
  [],
  {},
  [null],
  { a: 1 },
  "regexp:(",
  "\u0000",
];

/** A random JSON value of bounded depth. */
export function randomValue(rnd: () => number, depth = 0): unknown {
  const pick = rnd();
  if (depth > 3 || pick < 0.5) return ODD_VALUES[Math.floor(rnd() * ODD_VALUES.length)];
  if (pick < 0.75) return Array.from({ length: Math.floor(rnd() * 4) }, () => randomValue(rnd, depth + 1));
  const out: Record<string, unknown> = {};
  for (let i = Math.floor(rnd() * 4); i > 0; i--)
    out[`k${Math.floor(rnd() * 5)}`] = randomValue(rnd, depth + 1);
  return out;
}

/** A copy of `value` with one randomly chosen node replaced by a random value (or deleted). */
export function mutate(value: unknown, rnd: () => number): unknown {
  const copy = structuredClone(value);
  const nodes: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v))
      v.forEach((item, i) => {
        nodes.push({ parent: v, key: i });
        walk(item);
      });
    else if (v !== null && typeof v === "object")
      for (const [k, item] of Object.entries(v)) {
        nodes.push({ parent: v as Record<string, unknown>, key: k });
        walk(item);
      }
  };
  walk(copy);
  const target = nodes[Math.floor(rnd() * nodes.length)];
  if (!target) return randomValue(rnd);
  if (rnd() < 0.2 && !Array.isArray(target.parent))
    delete (target.parent as Record<string, unknown>)[target.key as string];
  else (target.parent as Record<string | number, unknown>)[target.key] = randomValue(rnd);
  return copy;
}
