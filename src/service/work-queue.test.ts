import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WorkQueue } from "./work-queue.js";

describe("WorkQueue", () => {
  it("runs at most `concurrency` tasks at once, all of them in the end, and refuses offers beyond maxQueued", async () => {
    const errors: unknown[] = [];
    const queue = new WorkQueue({ concurrency: 2, maxQueued: 3, onError: (e) => errors.push(e) });
    let running = 0;
    let most = 0;
    const done: number[] = [];
    const task = (n: number) => async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      done.push(n);
      if (n === 3) throw new Error("task 3 failed");
    };
    // Two start at once, three wait: the queue is full
    assert.equal(queue.offer([task(1), task(2), task(3), task(4), task(5)]), true);
    assert.deepEqual(queue.size, { waiting: 3, running: 2 });
    assert.equal(queue.offer([task(6)]), false, "a sixth task fits nowhere");
    await queue.drained();
    assert.equal(most, 2);
    assert.deepEqual(
      done.sort((a, b) => a - b),
      [1, 2, 3, 4, 5],
    );
    assert.equal((errors[0] as Error).message, "task 3 failed");
    assert.equal(queue.offer([task(7)]), true, "room again once drained");
    await queue.drained();
  });
});
