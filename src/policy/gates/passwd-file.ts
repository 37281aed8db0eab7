import type { ImageFacts } from "../../model/index.js";
import type { GateSpec, TriggerContext } from "../gate-types.js";
import { pySplitLines } from "../python-format.js";

/** /etc/passwd entries by user name (the fields after the name); a later line for a name replaces an earlier one. */
type PasswdEntries = Map<string, string[]>;

function parsePasswd(facts: ImageFacts): PasswdEntries {
  const entries: PasswdEntries = new Map();
  const text = facts.passwd ?? facts.retrievedFiles?.["/etc/passwd"];
  for (const line of pySplitLines(text ?? "")) {
    const [user = "", ...rest] = line.trim().split(":");
    entries.set(user, rest);
  }
  return entries;
}

/** Fires for each entry whose field (`-1` = user name, `undefined` = the whole line) is listed. */
function denyByField(
  ctx: TriggerContext<PasswdEntries>,
  listed: ReadonlySet<string>,
  field: number | undefined,
  message: (candidate: string, entry: string) => string,
): void {
  for (const [user, rest] of ctx.gate) {
    const entry = [user, ...rest].join(":");
    // A line too short to have the field cannot match it (anchore-engine would fail on it instead).
    const candidate = field === undefined ? entry : field < 0 ? user : rest[field];
    if (candidate !== undefined && listed.has(candidate)) ctx.fire({ message: message(candidate, entry) });
  }
}

/**
 * `passwd_file`: checks on /etc/passwd as a layer analysis read it (denied users, uids, gids, shells,
 * whole entries), after anchore-engine's gate of that name. Without the file only
 * `content_not_available` fires.
 */
export const passwdFileGate: GateSpec<PasswdEntries> = {
  name: "passwd_file",
  // /etc/passwd is read by a layer analysis.
  needs: ["reports"],
  description:
    "Inspects the entries of the image's /etc/passwd: user names, user and group ids, login shells and whole lines.",
  needsLayerAnalysis: true,
  prepare: parsePasswd,
  triggers: [
    {
      name: "content_not_available",
      description:
        "Fires when no /etc/passwd content is available for the image, for example because the analysis did not retrieve it.",
      params: [],
      compile: () => (ctx) => {
        if (ctx.gate.size === 0) {
          ctx.fire({
            message: "Cannot locate /etc/passwd in image stored files archive: check analyzer settings.",
          });
        }
      },
    },
    {
      name: "blacklist_usernames",
      description: "Fires for each /etc/passwd entry whose user name is listed.",
      params: [
        {
          name: "user_names",
          description: "Comma-separated user names to deny.",
          kind: "string-list",
          required: true,
          example: "daemon,ftp",
        },
      ],
      compile(params) {
        const listed = new Set(params.list("user_names") ?? []);
        return (ctx) =>
          denyByField(
            ctx,
            listed,
            -1,
            (user, entry) => `Blacklisted user '${user}' found in image's /etc/passwd: pentry=${entry}`,
          );
      },
    },
    {
      name: "blacklist_userids",
      description: "Fires for each /etc/passwd entry whose user id (third field) is listed.",
      params: [
        {
          name: "user_ids",
          description: "Comma-separated numeric user ids to deny.",
          kind: "int-list",
          required: true,
          example: "0,1",
        },
      ],
      compile(params) {
        const listed = new Set((params.intList("user_ids") ?? []).map(String));
        return (ctx) =>
          denyByField(
            ctx,
            listed,
            1,
            (uid, entry) => `Blacklisted uid '${uid}' found in image's /etc/passwd: pentry=${entry}`,
          );
      },
    },
    {
      name: "blacklist_groupids",
      description: "Fires for each /etc/passwd entry whose primary group id (fourth field) is listed.",
      params: [
        {
          name: "group_ids",
          description: "Comma-separated numeric group ids to deny.",
          kind: "int-list",
          required: true,
          example: "999,20",
        },
      ],
      compile(params) {
        const listed = new Set((params.intList("group_ids") ?? []).map(String));
        return (ctx) =>
          denyByField(
            ctx,
            listed,
            2,
            (gid, entry) => `Blacklisted gid '${gid}' found in image's /etc/passwd: pentry=${entry}`,
          );
      },
    },
    {
      name: "blacklist_shells",
      description: "Fires for each /etc/passwd entry whose login shell (last field) is listed.",
      params: [
        {
          name: "shells",
          description: "Comma-separated login shell paths to deny, compared exactly.",
          kind: "string-list",
          required: true,
          example: "/bin/bash,/bin/zsh",
        },
      ],
      compile(params) {
        const listed = new Set(params.list("shells") ?? []);
        return (ctx) =>
          denyByField(
            ctx,
            listed,
            5,
            (shell, entry) => `Blacklisted shell '${shell}' found in image's /etc/passwd: pentry=${entry}`,
          );
      },
    },
    {
      name: "blacklist_full_entry",
      description: "Fires when a line of /etc/passwd is identical to the given entry.",
      params: [
        {
          name: "entry",
          description:
            "The complete line to deny, all seven colon-separated fields; surrounding whitespace is ignored.",
          kind: "string",
          required: true,
          example: "ftp:x:14:50:FTP User:/var/ftp:/sbin/nologin",
        },
      ],
      compile(params) {
        const listed = new Set([(params.string("entry") ?? "").trim()]);
        return (ctx) =>
          denyByField(
            ctx,
            listed,
            undefined,
            (entry) => `Blacklisted pentry '${entry}' found in image's /etc/passwd: pentry=${entry}`,
          );
      },
    },
  ],
};
