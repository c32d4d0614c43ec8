/**
 * Deadlines for GitHub requests: a total time limit per Octokit request (its retries and the JSON body
 * read included), and a guard that refuses every further request once an event's work was abandoned, so
 * an abandoned handler can never write a partial comment or issue after its deadline.
 */
import type { Octokit } from "@octokit/rest";
import { rejectOnAbort } from "../deadline.js";

/** A GitHub request did not finish within its deadline. */
export class GitHubDeadlineError extends Error {
  constructor(endpoint: string, deadlineMs: number) {
    super(`GitHub request ${endpoint} did not finish within ${deadlineMs} ms (GITHUB_REQUEST_DEADLINE_MS)`);
    this.name = "GitHubDeadlineError";
  }
}

const withDeadline = new WeakSet<object>();

/** An Octokit instance as far as hooks go (Probot's and @octokit/rest's). */
export type HookableOctokit = Pick<Octokit, "hook">;

/**
 * Gives every request of `octokit` a total deadline of `deadlineMs`: the request's `signal` aborts at the
 * deadline (fetch then abandons the connection and the body read) and the call rejects with a
 * {@link GitHubDeadlineError}. Registered as the outermost `request` hook, so it spans Octokit's own
 * retries and rate-limit waits. A response requested as a stream (`parseSuccessResponseBody: false`, the
 * tarball) is covered until its headers; its body is bounded by the handler's deadline instead.
 *
 * With `abandoned`, every request made after that signal aborted is refused before it is sent (it throws
 * the signal's reason), and one in flight is aborted.
 *
 * Without `abandoned`, a second call for the same instance is a no-op (Probot's app-level client is
 * shared, so repeated calls must not stack hooks); with it, the caller must pass a per-event instance.
 *
 * @param deadlineMs whole milliseconds ≥ 1
 * @returns the same instance
 */
export function addRequestDeadline<T extends HookableOctokit>(octokit: T, deadlineMs: number, abandoned?: AbortSignal): T {
  if (!abandoned) {
    if (withDeadline.has(octokit)) return octokit;
    withDeadline.add(octokit);
  }
  // One listener for the instance's lifetime, not one per request.
  const abandonedPromise = abandoned ? rejectOnAbort(abandoned) : null;
  octokit.hook.wrap("request", async (request, options) => {
    abandoned?.throwIfAborted();
    const endpoint = `${String(options.method)} ${String(options.url)}`;
    const controller = new AbortController();
    const expired = new Promise<never>((_, reject) => {
      controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true });
    });
    expired.catch(() => undefined);
    const timer = setTimeout(() => controller.abort(new GitHubDeadlineError(endpoint, deadlineMs)), deadlineMs);
    const signals = [controller.signal];
    if (options.request?.signal) signals.push(options.request.signal);
    if (abandoned) signals.push(abandoned);
    options.request = { ...options.request, signal: signals.length === 1 ? controller.signal : AbortSignal.any(signals) };
    try {
      const running = Promise.resolve(request(options));
      running.catch(() => undefined);
      return await Promise.race(abandonedPromise ? [running, expired, abandonedPromise] : [running, expired]);
    } catch (err) {
      // fetch reports an aborted request as its own AbortError; say why it was aborted instead.
      if (controller.signal.aborted) throw controller.signal.reason;
      if (abandoned?.aborted) throw abandoned.reason;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  });
  return octokit;
}

/**
 * A view of `octokit` whose calls (`request`, `paginate`, `graphql`, `rest.<scope>.<method>`, and plugin
 * namespaces such as `config.get`) reject with `signal.reason` once `signal` has aborted, so the abandoned work
 * of one repository cannot write anything, while the underlying instance (shared by other repositories
 * of the same installation) keeps working. Pages of `paginate` are checked one by one.
 *
 * @returns a Proxy typed as the input; the input is not modified.
 */
export function guardOctokit<T extends object>(octokit: T, signal: AbortSignal): T {
  const guardFn = <F extends (...args: never[]) => unknown>(fn: F, self: unknown): F =>
    new Proxy(fn, {
      apply(target, _this, args) {
        // Octokit's calls are async: refuse with a rejected promise, as the real call would fail.
        if (signal.aborted) return Promise.reject(signal.reason as Error);
        return Reflect.apply(target, self, args);
      },
    });
  const guardNamespace = (ns: object): object =>
    new Proxy(ns, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === "function" ? guardFn(v as (...args: never[]) => unknown, target) : v;
      },
    });
  return new Proxy(octokit, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop === "hook" || prop === "log" || prop === "auth") return v;
      if (typeof v === "function") return guardFn(v as (...args: never[]) => unknown, target);
      if (prop === "rest" && v && typeof v === "object") {
        return new Proxy(v, { get: (t, p, r) => guardValue(Reflect.get(t, p, r)) });
      }
      if (v && typeof v === "object" && prop === "config") return guardNamespace(v);
      return v;
    },
  });
  function guardValue(v: unknown): unknown {
    return v && typeof v === "object" ? guardNamespace(v) : v;
  }
}
