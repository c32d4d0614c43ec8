/**
 * One replica of the load bench and of the queue's load and fault tests, as its own process: the real
 * app (`createApp`) with `REDIS_URL`, against the fake GitHub (`FAKE_GITHUB_URL`) and the fake PostHog
 * (`FAKE_POSTHOG_URL`, `FAKE_POSTHOG_PROJECT`, `FAKE_POSTHOG_KEY`).
 *
 * `REPLICA_ROLE=all` (default) serves webhooks on 127.0.0.1 (a free port) and runs a worker;
 * `REPLICA_ROLE=worker` only runs a worker. Once ready it prints one line `{"ready":true,"port":N}`.
 * Probot's GitHub throttle is off (as in `npm run bench -- pr`): its 1 s / 3 s spacing of writes per app
 * would measure plugin-throttling, not the queue. `LOAD_NOW` fixes the app's clock (ISO date).
 */
import { generateKeyPairSync } from "node:crypto";
import { Probot, ProbotOctokit, Server } from "probot";
import { createApp } from "../app/index.js";
import { createPostHogClient } from "../posthog/index.js";
import { freePort } from "./redis-server.js";
import { posthogSharing } from "../app/posthog-sharing.js";

const env = process.env;
const need = (name: string): string => {
  const v = env[name];
  if (!v) throw new Error(`load replica: ${name} is not set`);
  return v;
};
const privateKey = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  publicKeyEncoding: { type: "spki", format: "pem" },
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
}).privateKey;
const ProbotForLoad = Probot.defaults({
  appId: 1,
  privateKey,
  secret: need("LOAD_SECRET"),
  logLevel: (env["LOG_LEVEL"] as "warn" | undefined) ?? "warn",
  baseUrl: need("FAKE_GITHUB_URL"),
  Octokit: ProbotOctokit.defaults((options: Record<string, any>) => ({
    ...options,
    throttle: { ...(options["throttle"] ?? {}), enabled: false },
    retry: { enabled: false },
  })),
});
// As the server wires it: the read cache and the request budget on Redis, shared by every replica.
const posthogCfg = { host: need("FAKE_POSTHOG_URL"), apiKey: need("FAKE_POSTHOG_KEY") };
const posthog = createPostHogClient({ ...posthogCfg, projectId: need("FAKE_POSTHOG_PROJECT"), ...posthogSharing(env, posthogCfg) });
const now = env["LOAD_NOW"] ? new Date(env["LOAD_NOW"]) : new Date();
const app = createApp({ posthog, now: () => now, env: { ...env, SCAN_INTERVAL_HOURS: "0" }, role: env["REPLICA_ROLE"] === "worker" ? "worker" : undefined });

if (env["REPLICA_ROLE"] === "worker") {
  const probot = new ProbotForLoad();
  await probot.load(app);
  process.stdout.write(`${JSON.stringify({ ready: true, port: 0 })}\n`);
} else {
  const port = await freePort();
  const server = new Server({ Probot: ProbotForLoad, host: "127.0.0.1", port, webhookPath: "/api/github/webhooks" });
  await server.load(app);
  await server.start();
  process.stdout.write(`${JSON.stringify({ ready: true, port })}\n`);
}
process.on("SIGTERM", () => process.exit(0));
