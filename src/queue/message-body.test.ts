import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeMessageBody, MAX_MESSAGE_BYTES, messageIdOf } from "./message-body.js";

describe("decodeMessageBody", () => {
  it("reads a JSON object from bytes, text, or the client's parsed value", () => {
    for (const body of [
      Buffer.from('{"image":"nginx","level":3}'),
      '{"image":"nginx","level":3}',
      { image: "nginx", level: 3 },
    ]) {
      const decoded = decodeMessageBody(body);
      assert.equal(decoded.ok, true);
      assert.deepEqual(decoded.ok && decoded.message, { image: "nginx", level: 3 });
    }
  });

  it("refuses what the rules cannot take, saying why", () => {
    const cases: [unknown, RegExp][] = [
      [Buffer.from("level >= 3"), /as JSON/],
      [Buffer.from('{"a":1'), /as JSON: the document ends early/],
      [Buffer.from("[1,2]"), /is an array, not an object/],
      [[1, 2], /is an array, not an object/],
      [Buffer.from("null"), /is null, not an object/],
      ["42", /is a number, not an object/],
      [Buffer.from([0x7b, 0xff, 0x7d]), /not UTF-8/],
      [Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x20), /over the limit of 1048576/],
      [{ pad: "x".repeat(MAX_MESSAGE_BYTES) }, /over the limit/],
      [Buffer.from(`${"[".repeat(600)}${"]".repeat(600)}`), /nest/i],
    ];
    for (const [body, reason] of cases) {
      const decoded = decodeMessageBody(body);
      assert.equal(decoded.ok, false, String(reason));
      assert.match(decoded.ok ? "" : decoded.reason, reason);
    }
  });

  it("takes a smaller limit when told", () => {
    assert.equal(decodeMessageBody(Buffer.from('{"a":"0123456789"}'), 10).ok, false);
  });
});

describe("messageIdOf", () => {
  it("takes the AMQP message id, else the body's sha256", () => {
    assert.equal(messageIdOf(" abc ", Buffer.from("{}")), "abc");
    const hashed = messageIdOf(undefined, Buffer.from("{}"));
    assert.match(hashed, /^sha256:[0-9a-f]{64}$/);
    assert.equal(messageIdOf("", Buffer.from("{}")), hashed, "an empty id counts as none");
    assert.notEqual(messageIdOf(undefined, Buffer.from('{"a":1}')), hashed);
  });
});
