/**
 * A per-event view of the shared PostHog client that stops serving an event whose work was abandoned.
 */
import { rejectOnAbort } from "../deadline.js";
import type { PostHogApi } from "./api.js";

/**
 * Wraps `client` so that every method call rejects with `signal.reason` once `signal` has aborted, and a call in
 * flight rejects with it the moment the signal aborts (the HTTP request itself ends at its own request
 * deadline). Properties (`host`, `projectId`, `requestCount`) pass through. The shared client is not
 * modified, so other events keep using it.
 *
 * @returns a Proxy with the same interface as `client`.
 */
export function abortablePostHog(client: PostHogApi, signal: AbortSignal): PostHogApi {
  // One listener for the whole view (not one per call: an analysis has dozens of calls in flight).
  const aborted = rejectOnAbort(signal);
  return new Proxy(client, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => {
        if (signal.aborted) return Promise.reject(signal.reason as Error);
        const running = Promise.resolve(Reflect.apply(v as (...a: unknown[]) => unknown, target, args));
        running.catch(() => undefined);
        return Promise.race([running, aborted]);
      };
    },
  });
}
