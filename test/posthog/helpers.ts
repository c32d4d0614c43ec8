/** Shared helpers of the PostHog adapter tests (not a test file). */
import { readFileSync } from "node:fs";
import { createPostHogClient, type PostHogClientOptions, type PostHogRetryOptions } from "../../src/posthog/index.js";

export const HOST = "https://us.posthog.com";
export const PID = "1";
/** A fake personal API key; tests assert it never leaks into messages. */
export const KEY = "phx_TESTKEY_do_not_leak_0123456789";

/** Retry budget with millisecond delays so retry tests stay fast. */
export const FAST_RETRY: PostHogRetryOptions = { limit: 3, delay: () => 1, backoffLimit: 5, maxRetryAfter: 5 };

/** Reads `test/fixtures/posthog/<name>` as JSON (a fresh copy each call). */
export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/posthog/${name}`, import.meta.url), "utf8")) as T;
}

/** A client for {@link HOST} project {@link PID} with {@link KEY} and {@link FAST_RETRY}; `extra` overrides any option. */
export function fastClient(extra: Partial<PostHogClientOptions> = {}) {
  return createPostHogClient({ host: HOST, projectId: PID, apiKey: KEY, retry: FAST_RETRY, ...extra });
}

/** The error `p` rejects with; throws when it resolves instead. */
export async function caught(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected the promise to reject");
}
