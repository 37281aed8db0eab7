import type { NotificationMessages } from "./notification-types.js";
import { compact, isoFromSeconds, Reader, rootObject } from "./payload-reader.js";

const WHAT = "Docker Hub webhook";

/**
 * A Docker Hub push webhook (`{push_data: {tag, pusher, pushed_at}, repository: {repo_name, …}, callback_url}`)
 * as one `push` message for `docker.io/<repo_name>:<tag>` (official images' one-part names get `library/`),
 * with `repository`, `tag`, `pushed_by`, `pushed_at` and `callback_url`. Docker Hub sends no digest.
 */
export function normalizeDockerHub(payload: unknown): NotificationMessages {
  const root = new Reader(rootObject(payload, WHAT), WHAT);
  const push = root.object("push_data");
  const repo = root.object("repository");
  const repoName = repo.string("repo_name");
  const tag = push.string("tag");
  const path = repoName.includes("/") ? repoName : `library/${repoName}`;
  return {
    sender: "dockerhub",
    event: "push",
    messages: [
      compact({
        sender: "dockerhub",
        event: "push",
        image: `docker.io/${path}:${tag}`,
        registry: "docker.io",
        repository: path,
        tag,
        pushed_by: push.optString("pusher"),
        pushed_at: isoFromSeconds(push.optNumber("pushed_at")),
        callback_url: root.optString("callback_url"),
      }),
    ],
  };
}
