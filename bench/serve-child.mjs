import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

// One server of the serve benchmark, in a process of its own so the load generator never shares its event
// loop (started by bench/serve.ts with an IPC channel). Plain JavaScript on purpose: the server runs as
// `cipolice serve` does, without tsx's loader and the source-map support it turns on.
//   serve-child.mjs floor <response-file>                          a bare node:http server, the floor
//   serve-child.mjs floor-json <response-file>                     the same, parsing the review and answering
//                                                                  its uid: the least work of any webhook
//   serve-child.mjs cipolice <root> <config-file> <store> <bundle>  `cipolice serve` from the built dist/
// It sends {type: "listening", url}; it answers {type: "memory"} with its memory after a full collection
// (when started with --expose-gc), {type: "cpu"} with the CPU time it used so far (microseconds), and
// {type: "loop"} with the event loop delay since the last such question (p50, p99, max in ms), and
// {type: "stop"} by closing and exiting.

const [mode, ...args] = process.argv.slice(2);
// How late the event loop runs, per phase: a stall of the server (GC, synchronous work) shows here
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
const send = (message) => process.send?.(message);

let close;
let cachedDecisions = () => undefined;
if (mode === "floor" || mode === "floor-json") {
  const body = readFileSync(args[0]);
  const answer = JSON.parse(body.toString("utf8"));
  const server = createServer((req, res) => {
    // A real webhook reads the whole AdmissionReview before it can answer
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      let out = body;
      if (mode === "floor-json") {
        // The least any webhook does: parse the review, answer its uid in its apiVersion
        const review = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        const { uid: _uid, ...rest } = answer.response;
        out = Buffer.from(
          JSON.stringify({
            apiVersion: review.apiVersion,
            kind: "AdmissionReview",
            response: { uid: review.request.uid, ...rest },
          }),
        );
      }
      res.writeHead(200, { "content-type": "application/json", "content-length": out.length });
      res.end(out);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  send({ type: "listening", url: `http://127.0.0.1:${server.address().port}` });
} else if (mode === "cipolice") {
  const [root, configFile, storeSpec, bundle] = args;
  const dist = (path) => pathToFileURL(join(root, "dist", path)).href;
  const { startServer } = await import(dist("server/start-server.js"));
  const { loadServeConfig } = await import(dist("server/serve-config.js"));
  const { createLogger } = await import(dist("server/logger.js"));
  const config = loadServeConfig(readFileSync(configFile, "utf8"), configFile);
  const server = await startServer({
    config,
    storeSpec,
    policyPaths: [bundle],
    logger: createLogger({ level: config.log.level }),
  });
  cachedDecisions = () => server.context.assessor.cachedDecisions;
  close = () => server.close();
  send({ type: "listening", url: server.url });
} else {
  throw new Error(`Cannot start a bench server: unknown mode ${JSON.stringify(mode)} (serve-child.mjs)`);
}

process.on("message", (message) => {
  if (message.type === "memory") {
    // Twice: the first collection's finalizers free more for the second
    globalThis.gc?.();
    globalThis.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    send({ type: "memory", rss, heapUsed, cachedDecisions: cachedDecisions() });
  } else if (message.type === "cpu") {
    const { user, system } = process.cpuUsage();
    send({ type: "cpu", micros: user + system });
  } else if (message.type === "loop") {
    // Nanoseconds in, milliseconds out; the histogram starts over for the next phase
    const ms = (ns) => ns / 1e6;
    send({
      type: "loop",
      p50: ms(loopDelay.percentile(50)),
      p99: ms(loopDelay.percentile(99)),
      max: ms(loopDelay.max),
    });
    loopDelay.reset();
  } else if (message.type === "stop") {
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  }
});
// The parent died: do not linger
process.on("disconnect", () => process.exit(0));
