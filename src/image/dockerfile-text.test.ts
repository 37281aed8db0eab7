import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDockerfileText } from "./dockerfile-text.js";

test("instructions with directive upper-cased and their line", () => {
  const got = parseDockerfileText("FROM debian:12\n\nrun apt-get update\nUSER app\n");
  assert.deepEqual(got, [
    { directive: "FROM", value: "debian:12", line: 1 },
    { directive: "RUN", value: "apt-get update", line: 3 },
    { directive: "USER", value: "app", line: 4 },
  ]);
});

test("line continuations join, and comments inside them are dropped", () => {
  const text = [
    "FROM alpine",
    "RUN apk add --no-cache \\",
    "    curl \\",
    "# a comment in the middle",
    "    git",
    "EXPOSE 80",
  ].join("\n");
  assert.deepEqual(parseDockerfileText(text), [
    { directive: "FROM", value: "alpine", line: 1 },
    { directive: "RUN", value: "apk add --no-cache curl git", line: 2 },
    { directive: "EXPOSE", value: "80", line: 6 },
  ]);
});

test("comments are not instructions; CRLF is read", () => {
  const got = parseDockerfileText('# build the app\r\nFROM scratch\r\n  # indented comment\r\nCMD ["x"]\r\n');
  assert.deepEqual(
    got.map((i) => [i.directive, i.value]),
    [
      ["FROM", "scratch"],
      ["CMD", '["x"]'],
    ],
  );
});

test("parser directives: escape=` changes the continuation character and is not an instruction", () => {
  const text = [
    "# escape=`",
    "# syntax=docker/dockerfile:1",
    "",
    "FROM mcr.microsoft.com/windows",
    "RUN dir `",
    "  c:\\",
  ].join("\n");
  assert.deepEqual(parseDockerfileText(text), [
    { directive: "FROM", value: "mcr.microsoft.com/windows", line: 4 },
    { directive: "RUN", value: "dir c:\\", line: 5 },
  ]);
});

test("a directive-looking comment after an instruction is a comment", () => {
  const got = parseDockerfileText("FROM a\n# escape=`\nRUN x \\\n y");
  assert.deepEqual(got.at(-1), { directive: "RUN", value: "x y", line: 3 });
});

test("heredocs stay in the instruction text", () => {
  const text = [
    "FROM alpine",
    "RUN <<EOF",
    "set -e",
    "echo hi",
    "EOF",
    "COPY <<-'CONF' /etc/app.conf",
    "\tkey=1",
    "\tCONF",
    "USER app",
  ].join("\n");
  assert.deepEqual(parseDockerfileText(text), [
    { directive: "FROM", value: "alpine", line: 1 },
    { directive: "RUN", value: "<<EOF\nset -e\necho hi\nEOF", line: 2 },
    { directive: "COPY", value: "<<-'CONF' /etc/app.conf\n\tkey=1\n\tCONF", line: 6 },
    { directive: "USER", value: "app", line: 9 },
  ]);
});

test("a trailing continuation at the end of the file ends the instruction", () => {
  assert.deepEqual(parseDockerfileText("RUN a \\"), [{ directive: "RUN", value: "a", line: 1 }]);
});
