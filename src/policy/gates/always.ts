import type { GateSpec } from "../gate-types.js";

/** `always/always`: fires on every image; used to block everything a mapping selects. */
export const alwaysGate: GateSpec = {
  name: "always",
  // Reads nothing: it fires on every image.
  needs: [],
  description: "Triggers that fire unconditionally, to block or warn on every image a mapping selects.",
  triggers: [
    {
      name: "always",
      description: "Fires whenever it is evaluated; combine with mappings and allowlists to block or test.",
      params: [],
      fixedId: "always",
      compile: () => (ctx) => ctx.fire({ message: "Unconditional trigger match" }),
    },
  ],
};
