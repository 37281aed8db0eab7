export /** Medians of interleaved timings of two functions: alternating runs see the same machine load. */
function interleavedMedians(a: () => unknown, b: () => unknown, runs = 21, warmup = 3): [number, number] {
  for (let i = 0; i < warmup; i++) {
    a();
    b();
  }
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < runs; i++) {
    for (const [fn, times] of [
      [a, ta],
      [b, tb],
    ] as const) {
      const start = process.hrtime.bigint();
      fn();
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  const mid = (t: number[]) => t.sort((x, y) => x - y)[Math.floor(t.length / 2)] as number;
  return [mid(ta), mid(tb)];
}

/** As interleavedMedians, for functions that return promises (streamed reads). */
export async function interleavedMediansAsync(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  runs = 11,
  warmup = 2,
): Promise<[number, number]> {
  for (let i = 0; i < warmup; i++) {
    await a();
    await b();
  }
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < runs; i++) {
    for (const [fn, times] of [
      [a, ta],
      [b, tb],
    ] as const) {
      const start = process.hrtime.bigint();
      await fn();
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  const mid = (t: number[]) => t.sort((x, y) => x - y)[Math.floor(t.length / 2)] as number;
  return [mid(ta), mid(tb)];
}
