/**
 * The webhook route, hardened: it replaces @octokit/webhooks' node middleware that Probot 14 mounts at
 * `WEBHOOK_PATH` (see {@link installWebhookGuard}). In order, each step before the next:
 *
 * 1. route, method (`POST`), `Content-Type: application/json` and the three GitHub headers;
 * 2. `X-Hub-Signature-256` must look like `sha256=<64 hex>` — otherwise 401 before any byte of the body is read;
 * 3. body size: a `Content-Length` above the cap is refused (413) unread; a streamed body stops being
 *    read at the cap (413, connection closed). GitHub caps payloads at 25 MB (GitHub Docs, "Webhook
 *    events and payloads": "Payloads are capped at 25 MB"), so the cap is 25 MiB + 64 KiB;
 * 4. the signature over the exact bytes received (HMAC-SHA256 with the webhook secret, compared in
 *    constant time by @octokit/webhooks' `verify`) — 401 when it does not match;
 * 5. only then JSON parsing (400 on invalid JSON) and the payload shape (400, {@link payloadProblem});
 * 6. dispatch through `webhooks.receive` (no second verification), answering 200, or 202 after 9 s
 *    while the handlers keep running (as @octokit/webhooks does), or 500 with a fixed sentence. With a
 *    job queue (`enqueue`, docs/scaling.md) the delivery is stored instead: 202 once stored, 200 for a
 *    redelivery already stored, 503 when the queue cannot store it (GitHub marks the delivery failed,
 *    so it can be redelivered; nothing is dropped silently).
 *
 * Response bodies are short fixed sentences (plus the redacted field list of a malformed payload); no
 * stack, no error text from a handler, no payload. Logging: a rejected delivery gets one `warn` line with
 * the delivery id, the event name and the byte count; `debug` adds one line per accepted delivery. The
 * payload is never logged: the event handed to the handlers carries it as a non-enumerable property, so
 * error loggers that serialise `error.event` (Probot's, pino's) print only its id and name.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Redactor } from "../redact.js";
import { payloadProblem } from "./webhook-payloads.js";

/** GitHub's documented maximum webhook payload size, in bytes (25 MiB). */
export const GITHUB_MAX_PAYLOAD_BYTES = 25 * 1024 * 1024;

/** Body-size cap of the webhook route in bytes: GitHub's maximum plus 64 KiB of slack. */
export const MAX_WEBHOOK_BODY_BYTES = GITHUB_MAX_PAYLOAD_BYTES + 64 * 1024;

/** The subset of @octokit/webhooks' `Webhooks` the guard uses (Probot's `app.webhooks`). */
export interface GuardWebhooks {
  /** Constant-time check of `sha256=<hex>` against the HMAC of `payload` (as UTF-8) with the secret. */
  verify(payload: string, signature: string): Promise<boolean>;
  /** Dispatch an already verified event to the handlers; rejects with an AggregateError of their errors. */
  receive(event: { id: string; name: never; payload: never }): Promise<void>;
}

/** Minimal logger (pino-compatible). */
export interface GuardLog {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Options of {@link createWebhookGuard}. */
export interface WebhookGuardOptions {
  webhooks: GuardWebhooks;
  /** URL path of the route, e.g. `/api/github/webhooks` (trailing slashes ignored). */
  path: string;
  log: GuardLog;
  /** Applied to every response body. */
  redact: Redactor;
  /** Body cap in bytes. Default {@link MAX_WEBHOOK_BODY_BYTES}. */
  maxBodyBytes?: number;
  /** Time to receive the whole body, in ms; past it 408 and the connection is closed. Default 30,000. */
  bodyTimeoutMs?: number;
  /** Answer 202 after this many ms while handlers still run (GitHub waits 10 s). Default 9,000. */
  responseTimeoutMs?: number;
  /**
   * Store a verified, shape-checked delivery for workers instead of running the handlers here
   * (`JobQueue.enqueue`): resolves `"queued"` (answer 202) or `"duplicate"` (200); a rejection is
   * answered 503.
   */
  enqueue?: (event: { id: string; name: string; payload: unknown }) => Promise<"queued" | "duplicate">;
}

type Middleware = (req: IncomingMessage, res: ServerResponse, next?: () => void) => Promise<boolean>;

const SIGNATURE = /^sha256=[0-9a-f]{64}$/;
const JSON_TYPE = /^\s*application\/json\s*(?:;|$)/i;
const REQUIRED_HEADERS = ["x-github-event", "x-hub-signature-256", "x-github-delivery"] as const;

function trimSlashes(path: string): string {
  const t = path.replace(/\/+$/, "");
  return t === "" ? "/" : t;
}

type BodyResult = { kind: "ok"; bytes: Buffer } | { kind: "too-large"; bytes: number } | { kind: "timeout"; bytes: number } | { kind: "error" };

/** Reads the request body, stopping at `max` bytes or after `timeoutMs`. */
function readBody(req: IncomingMessage, max: number, timeoutMs: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: BodyResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      if (r.kind !== "ok") {
        chunks.length = 0;
        req.pause();
      }
      resolve(r);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) finish({ kind: "too-large", bytes: size });
      else chunks.push(chunk);
    };
    const onEnd = () => finish({ kind: "ok", bytes: Buffer.concat(chunks, size) });
    const onError = () => finish({ kind: "error" });
    const timer = setTimeout(() => finish({ kind: "timeout", bytes: size }), timeoutMs);
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Builds the guarded webhook middleware. Input: see {@link WebhookGuardOptions}. Output: a node
 * middleware `(req, res, next?) => Promise<boolean>` that answers requests to `path` (true) and passes
 * other paths on (calls `next`, returns false). Never throws for a bad request.
 */
export function createWebhookGuard(opts: WebhookGuardOptions): Middleware {
  const path = trimSlashes(opts.path);
  const max = opts.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES;
  const bodyTimeout = opts.bodyTimeoutMs ?? 30_000;
  const responseTimeout = opts.responseTimeoutMs ?? 9_000;
  const { log, webhooks, redact } = opts;

  const send = (res: ServerResponse, status: number, message: string, close = false): true => {
    if (res.headersSent) return true;
    const body = status < 300 ? `${message}\n` : `${JSON.stringify({ error: redact(message) })}\n`;
    const headers: Record<string, string> = {
      "content-type": status < 300 ? "text/plain; charset=utf-8" : "application/json; charset=utf-8",
      "content-length": String(Buffer.byteLength(body)),
    };
    if (close) headers["connection"] = "close";
    res.writeHead(status, headers).end(body);
    return true;
  };

  return async function webhookGuard(req, res, next) {
    let pathname: string;
    try {
      pathname = trimSlashes(new URL(req.url ?? "/", "http://localhost").pathname);
    } catch {
      pathname = "";
    }
    if (pathname !== path) {
      next?.();
      return false;
    }
    const id = String(req.headers["x-github-delivery"] ?? "");
    const name = String(req.headers["x-github-event"] ?? "");
    const declared = Number(req.headers["content-length"] ?? NaN);
    const where = { delivery: id.slice(0, 80), event: name.slice(0, 60) };
    const reject = (status: number, message: string, reason: string, bytes?: number, close = true): true => {
      log.warn({ ...where, status, bytes: bytes ?? (Number.isFinite(declared) ? declared : undefined) }, `webhook delivery refused: ${reason}`);
      return send(res, status, message, close);
    };

    if (req.method !== "POST") return reject(405, `use POST for ${path}`, "method");
    const type = req.headers["content-type"];
    if (typeof type !== "string" || !JSON_TYPE.test(type)) {
      return reject(415, 'Content-Type must be "application/json"', "content type");
    }
    const missing = REQUIRED_HEADERS.filter((h) => typeof req.headers[h] !== "string" || req.headers[h] === "");
    if (missing.length > 0) return reject(400, `required headers missing: ${missing.join(", ")}`, "headers");
    const signature = String(req.headers["x-hub-signature-256"]);
    if (!SIGNATURE.test(signature)) return reject(401, "signature missing or malformed", "signature format");
    if (Number.isFinite(declared) && declared > max) {
      return reject(413, `payload larger than ${max} bytes`, "too large (Content-Length)");
    }

    const body = await readBody(req, max, bodyTimeout);
    if (body.kind === "too-large") return reject(413, `payload larger than ${max} bytes`, "too large", body.bytes);
    if (body.kind === "timeout") return reject(408, "payload not received in time", "body timeout", body.bytes);
    if (body.kind === "error") return reject(400, "payload could not be read", "read error");
    const bytes = body.bytes.length;

    // Verify before parsing. A fatal, BOM-keeping UTF-8 decode is lossless, so the HMAC that `verify`
    // computes over the string's UTF-8 encoding is the HMAC of the bytes received. Bytes that are not
    // UTF-8 cannot carry GitHub's signature.
    let text: string;
    try {
      text = utf8.decode(body.bytes);
    } catch {
      return reject(401, "signature does not match", "not UTF-8", bytes);
    }
    const valid = bytes > 0 && (await webhooks.verify(text, signature).catch(() => false));
    if (!valid) return reject(401, "signature does not match", "signature mismatch (check WEBHOOK_SECRET)", bytes);

    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      return reject(400, "payload is not valid JSON", "invalid JSON", bytes, false);
    }
    const problem = payloadProblem(name, payload);
    if (problem) return reject(400, problem, "malformed payload", bytes, false);

    log.debug({ ...where, bytes }, "webhook delivery accepted");
    if (opts.enqueue) {
      let stored: "queued" | "duplicate";
      try {
        stored = await opts.enqueue({ id, name, payload });
      } catch (err) {
        log.error(
          { ...where, bytes, err: err instanceof Error ? err.message : String(err) },
          "could not queue the delivery; answered 503 so GitHub marks it failed and it can be redelivered",
        );
        return send(res, 503, `the job queue is unavailable; delivery ${id.slice(0, 80)} was not stored, redeliver it later`);
      }
      return stored === "duplicate" ? send(res, 200, "duplicate delivery; already queued") : send(res, 202, "queued");
    }
    const event = { id, name } as { id: string; name: never; payload: never };
    // Non-enumerable: handlers read `event.payload`, error serialisers (which walk `error.event`) skip it.
    Object.defineProperty(event, "payload", { value: payload, enumerable: false });

    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), responseTimeout);
    });
    const handled = webhooks.receive(event).then(
      () => "ok" as const,
      (err: unknown) => err,
    );
    const first = await Promise.race([handled, timedOut]);
    if (first === "timeout") {
      send(res, 202, "still processing");
      const late = await handled;
      if (late !== "ok") logFailure(late);
      return true;
    }
    clearTimeout(timer);
    if (first === "ok") return send(res, 200, "ok");
    logFailure(first);
    return send(res, 500, `handling the ${name} delivery failed; the app's log has the details (delivery ${id.slice(0, 80)})`);

    function logFailure(err: unknown) {
      // Probot's own error handler has logged each error with its stack already; this is the summary.
      const errors = err instanceof AggregateError ? err.errors : [err];
      log.error(
        { ...where, bytes, errors: errors.map((e) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e))).slice(0, 5) },
        "webhook handler failed",
      );
    }
  };
}

/** The parts of a Probot instance {@link installWebhookGuard} uses. */
export interface GuardableProbot {
  webhooks: GuardWebhooks;
  webhookPath: string;
  log: GuardLog;
  getNodeMiddleware(opts?: { log?: unknown; path?: string }): Promise<unknown>;
}

/**
 * Makes `probot.getNodeMiddleware()` return the guarded route instead of @octokit/webhooks' middleware.
 *
 * Probot 14's `Server.start()` and `createNodeMiddleware()` both mount the webhook route through this
 * method of the Probot instance that the app function receives, before any route an app can add with
 * `addHandler`; overriding it on that instance is the only way to see the request before its body is
 * read. Call it from the app function (it runs before `start()`). Input: the Probot instance, a
 * redactor and guard options; returns nothing.
 */
export function installWebhookGuard(
  probot: GuardableProbot,
  redact: Redactor,
  options: Pick<WebhookGuardOptions, "maxBodyBytes" | "bodyTimeoutMs" | "responseTimeoutMs" | "enqueue"> = {},
): void {
  probot.getNodeMiddleware = async (opts: { log?: unknown; path?: string } = {}) =>
    createWebhookGuard({
      webhooks: probot.webhooks,
      path: opts.path ?? probot.webhookPath,
      log: (opts.log as GuardLog | undefined) ?? probot.log,
      redact,
      ...options,
    });
}
