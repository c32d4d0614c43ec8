/**
 * The scan scheduler (single flight, jittered timer) and the authenticated trigger route on the real
 * Probot server.
 */
import { Probot, Server } from "probot";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app/index.js";
import { createScheduler, type Scheduler } from "../../src/app/scheduler.js";
import { silentLogger } from "../../src/github/types.js";
import { PRIVATE_KEY } from "../support/github.js";
import { freePort } from "../support/server.js";

describe("createScheduler", () => {
  afterEach(() => vi.useRealTimers());

  it("runs one scan at a time and reports busy meanwhile", async () => {
    let release!: () => void;
    const scan = vi.fn(() => new Promise<void>((r) => (release = r)));
    const s = createScheduler({ scan, intervalMs: 0, log: silentLogger });
    expect(s.trigger("a")).toBe("started");
    expect(s.trigger("b")).toBe("busy");
    release();
    await s.running;
    expect(s.trigger("c")).toBe("started");
    release();
    await s.running;
    expect(scan).toHaveBeenCalledTimes(2);
  });

  it("ticks every interval plus jitter and survives a failing scan", async () => {
    vi.useFakeTimers();
    const scan = vi.fn().mockRejectedValueOnce(new Error("PostHog down")).mockResolvedValue(undefined);
    const s = createScheduler({ scan, intervalMs: 1000, jitterMs: 100, random: () => 0.5, log: silentLogger });
    s.start();
    await vi.advanceTimersByTimeAsync(1049);
    expect(scan).toHaveBeenCalledTimes(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(scan).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1050);
    expect(scan).toHaveBeenCalledTimes(2);
    s.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(scan).toHaveBeenCalledTimes(2);
  });
});

describe("POST /internal/scan", () => {
  let server: Server | null = null;
  afterEach(async () => {
    await server?.stop();
    server = null;
  });

  it("answers 401 without the secret, 202 with it, 409 while a scan runs", async () => {
    const port = await freePort();
    server = new Server({ Probot: Probot.defaults({ appId: 1, privateKey: PRIVATE_KEY, secret: "s", logLevel: "fatal" }), host: "127.0.0.1", port });
    let scheduler!: Scheduler;
    await server.load(
      createApp({
        env: { SCAN_TRIGGER_SECRET: "trigger-secret", SCAN_INTERVAL_HOURS: "0" },
        onScheduler: (s) => (scheduler = s),
      }),
    );
    await server.start();
    const trigger = vi.spyOn(scheduler, "trigger");
    const url = `http://127.0.0.1:${port}/internal/scan`;

    expect((await fetch(url, { method: "POST" })).status).toBe(401);
    expect((await fetch(url, { method: "POST", headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    expect(trigger).not.toHaveBeenCalled();

    trigger.mockImplementationOnce(() => "started").mockImplementationOnce(() => "busy");
    const ok = await fetch(url, { method: "POST", headers: { authorization: "Bearer trigger-secret" } });
    expect(ok.status).toBe(202);
    expect(await ok.json()).toEqual({ status: "started" });
    const busy = await fetch(url, { method: "POST", headers: { authorization: "Bearer trigger-secret" } });
    expect(busy.status).toBe(409);
    expect((await fetch(url)).status).toBe(405);
  });

  it("has no trigger route without a secret", async () => {
    const port = await freePort();
    server = new Server({ Probot: Probot.defaults({ appId: 1, privateKey: PRIVATE_KEY, secret: "s", logLevel: "fatal" }), host: "127.0.0.1", port });
    await server.load(createApp({ env: { SCAN_INTERVAL_HOURS: "0" } }));
    await server.start();
    const res = await fetch(`http://127.0.0.1:${port}/internal/scan`, { method: "POST", headers: { authorization: "Bearer x" } });
    expect(res.status).toBe(404);
  });
});
