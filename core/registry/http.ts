// The HTTP layer under the OCI client: one registry origin, authentication (Basic and the Bearer token flow,
// tokens cached per scope), and retries with exponential backoff on 429, 5xx and network failures.
// Everything that waits or reads the clock is injected (`sleep`, `now`, `random`) so that tests run instantly.

import { basicAuthorization, parseAuthChallenges, requestBearerToken } from './auth.js';
import type { AuthChallenge, IssuedToken } from './auth.js';
import { RegistryError } from './types.js';
import type { CredentialProvider, Credentials, FetchLike, FetchResponse, SleepFn } from './types.js';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 4, baseDelayMs: 250, maxDelayMs: 8000 };

/** Statuses worth another try: rate limiting and the server errors that mean "not now". */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/**
 * Delay before retry number `attempt` (0-based): exponential, capped, with "equal jitter" (half fixed, half
 * random) so that concurrent clients do not retry in lockstep. A server's `Retry-After` (seconds or an HTTP
 * date) raises the delay, never above the cap.
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number,
  retryAfter?: string | null,
  nowMs?: number,
): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  let delay = exp / 2 + (exp / 2) * Math.min(1, Math.max(0, random()));
  if (retryAfter !== undefined && retryAfter !== null && retryAfter.trim() !== '') {
    const seconds = Number(retryAfter.trim());
    let ms: number | undefined;
    if (Number.isFinite(seconds)) ms = seconds * 1000;
    else {
      const date = Date.parse(retryAfter);
      if (Number.isFinite(date) && nowMs !== undefined) ms = date - nowMs;
    }
    if (ms !== undefined && ms > delay) delay = Math.min(ms, policy.maxDelayMs);
  }
  return Math.round(delay);
}

export const defaultSleep: SleepFn = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortError(signal));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** A function, not an inline check, so that the compiler does not narrow `aborted` across awaits. */
function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** The message of an error and of its causes (Node's fetch says only 'fetch failed' and puts the reason in `cause`). */
export function describeError(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; depth < 4 && cur !== undefined && cur !== null; depth++) {
    parts.push(cur instanceof Error ? cur.message : typeof cur === 'string' ? cur : JSON.stringify(cur));
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return parts.join(': ');
}

export function abortError(signal: AbortSignal | undefined, url?: string): RegistryError {
  const reason: unknown = signal?.reason;
  return new RegistryError(`operation aborted${reason instanceof Error ? `: ${reason.message}` : ''}`, {
    code: 'ABORTED',
    ...(url === undefined ? {} : { url }),
    cause: reason,
  });
}

export interface HttpRequest {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute URL, or a path (`/v2/...`) resolved against the registry. */
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly body?: Uint8Array;
  /** Token scopes the request needs, e.g. `repository:acme/spam:pull`. */
  readonly scopes: readonly string[];
  /**
   * `all`: retry 429/5xx/network failures (the request is idempotent or harmless to repeat);
   * `rate-limit`: only 429, for requests that may have taken effect (an upload chunk).
   */
  readonly retry?: 'all' | 'rate-limit';
  readonly signal?: AbortSignal | undefined;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly body: Uint8Array;
  /** The URL that was requested (absolute). */
  readonly url: string;
}

export interface RegistryHttpOptions {
  /** `http://127.0.0.1:5000` or `https://ghcr.io`: scheme and authority only. */
  readonly baseUrl: string;
  /** `host[:port]`, for messages and the credential provider. */
  readonly registry: string;
  readonly fetch: FetchLike;
  readonly credentials?: CredentialProvider | undefined;
  readonly retry?: RetryPolicy | undefined;
  readonly sleep?: SleepFn | undefined;
  readonly now?: (() => number) | undefined;
  readonly random?: (() => number) | undefined;
  readonly userAgent?: string | undefined;
}

function toBody(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

/**
 * Merges token scopes (`type:name:action,action`) by resource, e.g. `repository:a:pull` and
 * `repository:a:pull,push` → `repository:a:pull,push`. The name is everything between the first and the last
 * ':' (a repository name never holds ':'); malformed entries are kept as they are. Output is sorted.
 */
export function mergeScopes(scopes: readonly string[]): string[] {
  const byResource = new Map<string, Set<string>>();
  const other = new Set<string>();
  for (const scope of scopes) {
    if (scope === '') continue;
    const last = scope.lastIndexOf(':');
    const first = scope.indexOf(':');
    if (first < 0 || last <= first) {
      other.add(scope);
      continue;
    }
    const resource = scope.slice(0, last);
    let actions = byResource.get(resource);
    if (actions === undefined) byResource.set(resource, (actions = new Set()));
    for (const a of scope.slice(last + 1).split(',')) if (a !== '') actions.add(a);
  }
  const out = [...other];
  for (const [resource, actions] of byResource) out.push(`${resource}:${[...actions].sort().join(',')}`);
  return out.sort();
}

function scopeKey(scopes: readonly string[]): string {
  return [...scopes].sort().join(' ');
}

export class RegistryHttp {
  readonly baseUrl: string;
  readonly registry: string;
  private readonly origin: string;
  private readonly fetchFn: FetchLike;
  private readonly credentialProvider: CredentialProvider | undefined;
  private readonly policy: RetryPolicy;
  private readonly sleep: SleepFn;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly userAgent: string | undefined;

  /** Set once the registry asked for Basic auth: from then on it is sent with every request. */
  private basicHeader: string | undefined;
  /** Bearer tokens by the scope set of the request that needed them. */
  private readonly tokensByRequest = new Map<string, IssuedToken>();
  /** Bearer tokens by the scope set the token service granted (a challenge's scope). */
  private readonly tokensByScope = new Map<string, IssuedToken>();
  private credentialsCache: { value: Credentials | undefined } | undefined;
  /** Number of token requests made (observable by tests: tokens are cached per scope). */
  tokenRequests = 0;

  constructor(options: RegistryHttpOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.origin = new URL(this.baseUrl).origin;
    this.registry = options.registry;
    this.fetchFn = options.fetch;
    this.credentialProvider = options.credentials;
    this.policy = options.retry ?? DEFAULT_RETRY;
    this.sleep = options.sleep ?? defaultSleep;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.userAgent = options.userAgent;
  }

  resolveUrl(url: string): string {
    return new URL(url, this.baseUrl + '/').toString();
  }

  private async credentials(): Promise<Credentials | undefined> {
    if (this.credentialsCache === undefined) {
      const value =
        this.credentialProvider === undefined ? undefined : await this.credentialProvider(this.registry);
      this.credentialsCache = { value };
    }
    return this.credentialsCache.value;
  }

  private async authorizationFor(url: string, key: string): Promise<string | undefined> {
    // Credentials go only to the registry's own origin, never to a storage backend it redirects to.
    if (new URL(url).origin !== this.origin) return undefined;
    const creds = await this.credentials();
    if (creds !== undefined && 'token' in creds) return `Bearer ${creds.token}`;
    const token = this.tokensByRequest.get(key);
    if (token !== undefined) {
      if (token.expiresAt > this.now()) return `Bearer ${token.token}`;
      this.tokensByRequest.delete(key);
    }
    return this.basicHeader;
  }

  /**
   * Answers a 401: returns true when new authorization was obtained and the request is worth repeating.
   */
  private async answerChallenge(
    res: FetchResponse,
    key: string,
    scopes: readonly string[],
    signal?: AbortSignal,
  ): Promise<boolean> {
    const challenges = parseAuthChallenges(res.headers.get('www-authenticate') ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    const creds = await this.credentials();
    if (bearer !== undefined && (creds === undefined || !('token' in creds))) {
      await this.obtainToken(bearer, key, scopes, creds, signal);
      return true;
    }
    if (basic !== undefined && creds !== undefined && 'username' in creds && this.basicHeader === undefined) {
      this.basicHeader = basicAuthorization(creds.username, creds.password);
      return true;
    }
    return false;
  }

  private async obtainToken(
    challenge: AuthChallenge,
    key: string,
    requestScopes: readonly string[],
    creds: Credentials | undefined,
    signal?: AbortSignal,
  ): Promise<void> {
    // The server's scope says exactly what it checks (for a mount it adds the source repository).
    // Ask for the union of what the server checks now and what this request needs, so that a HEAD challenged
    // for `pull` during a push does not cost a second token round trip for `push`.
    const scopes = mergeScopes([...(challenge.params.scope ?? '').split(' '), ...requestScopes]);
    const grantKey = scopeKey(scopes);
    const cached = this.tokensByScope.get(grantKey);
    if (cached !== undefined && cached.expiresAt > this.now()) {
      this.tokensByRequest.set(key, cached);
      return;
    }
    this.tokenRequests++;
    const issued = await requestBearerToken({
      fetch: this.fetchFn,
      challenge,
      scopes,
      credentials: creds,
      registry: this.registry,
      now: this.now(),
      signal,
    });
    this.tokensByScope.set(grantKey, issued);
    this.tokensByRequest.set(key, issued);
  }

  private forgetToken(key: string): void {
    const token = this.tokensByRequest.get(key);
    this.tokensByRequest.delete(key);
    for (const [k, v] of this.tokensByScope) if (v === token) this.tokensByScope.delete(k);
  }

  private unauthorized(
    res: FetchResponse,
    url: string,
    scopes: readonly string[],
    creds: Credentials | undefined,
  ): RegistryError {
    const challenges = parseAuthChallenges(res.headers.get('www-authenticate') ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const insufficient = bearer?.params.error === 'insufficient_scope';
    const need = scopes.join(' ');
    let message: string;
    if (creds === undefined) {
      message = `registry ${this.registry} requires authentication and no credentials are configured for it; log in to ${this.registry} and try again`;
    } else if ('token' in creds) {
      message = `registry ${this.registry} rejected the configured access token (HTTP 401${insufficient ? ', insufficient scope' : ''}) for '${need}'; renew the token or check its permissions`;
    } else if (insufficient || bearer !== undefined) {
      message = `registry ${this.registry} did not grant user '${creds.username}' the access '${need}' (HTTP 401${insufficient ? ', insufficient_scope' : ''}); check the account's permissions on the repository`;
    } else {
      message = `registry ${this.registry} rejected the credentials of user '${creds.username}' (HTTP 401); check the username and password configured for ${this.registry}`;
    }
    return new RegistryError(message, { status: 401, code: 'UNAUTHORIZED', url });
  }

  /**
   * Sends a request. Returns any final status except 401 (thrown as UNAUTHORIZED with a message saying
   * whether credentials were missing or rejected); the caller decides what the other statuses mean.
   */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const url = this.resolveUrl(req.url);
    const key = scopeKey(req.scopes);
    const retryMode = req.retry ?? 'all';
    let retries = 0;
    let authorizedHere = false;
    for (;;) {
      if (aborted(req.signal)) throw abortError(req.signal, url);
      const headers: Record<string, string> = { ...req.headers };
      if (this.userAgent !== undefined) headers['User-Agent'] = this.userAgent;
      const authorization = await this.authorizationFor(url, key);
      if (authorization !== undefined) headers.Authorization = authorization;

      let res: FetchResponse;
      try {
        // Called unbound: a browser fetch throws "Illegal invocation" when `this` is not the global object.
        const fetchFn = this.fetchFn;
        res = await fetchFn(url, {
          method: req.method,
          headers,
          ...(req.body === undefined ? {} : { body: toBody(req.body) }),
          ...(req.signal === undefined ? {} : { signal: req.signal }),
          redirect: 'follow',
        });
      } catch (e) {
        if (aborted(req.signal)) throw abortError(req.signal, url);
        if (retryMode === 'all' && retries < this.policy.maxRetries) {
          await this.pause(retries++, null, req.signal, url);
          continue;
        }
        throw new RegistryError(
          `cannot reach registry ${this.registry} (${req.method} ${url}) after ${retries + 1} attempt(s): ${describeError(e)}`,
          { code: 'NETWORK', url, cause: e },
        );
      }

      if (res.status === 401) {
        await res.arrayBuffer().catch(() => undefined);
        // Answer the challenge once per request. A token cached by an earlier request may have been revoked
        // or may have expired early on the server's clock: forget it before asking for a new one.
        if (!authorizedHere) {
          if (authorization?.startsWith('Bearer ') === true) this.forgetToken(key);
          if (await this.answerChallenge(res, key, req.scopes, req.signal)) {
            authorizedHere = true;
            continue;
          }
        }
        throw this.unauthorized(res, url, req.scopes, await this.credentials());
      }

      const retryable = retryMode === 'all' ? isRetryableStatus(res.status) : res.status === 429;
      if (retryable && retries < this.policy.maxRetries) {
        await res.arrayBuffer().catch(() => undefined);
        await this.pause(retries++, res.headers.get('retry-after'), req.signal, url);
        continue;
      }
      let body: Uint8Array;
      try {
        body = new Uint8Array(await res.arrayBuffer());
      } catch (e) {
        if (aborted(req.signal)) throw abortError(req.signal, url);
        if (retryMode === 'all' && retries < this.policy.maxRetries) {
          await this.pause(retries++, null, req.signal, url);
          continue;
        }
        throw new RegistryError(
          `connection to ${this.registry} broke while reading ${url}: ${describeError(e)}`,
          {
            code: 'NETWORK',
            url,
            cause: e,
          },
        );
      }
      return { status: res.status, headers: res.headers, body, url };
    }
  }

  private async pause(
    attempt: number,
    retryAfter: string | null,
    signal: AbortSignal | undefined,
    url: string,
  ): Promise<void> {
    const ms = backoffDelay(attempt, this.policy, this.random, retryAfter, this.now());
    try {
      await this.sleep(ms, signal);
    } catch (e) {
      if (aborted(signal)) throw abortError(signal, url);
      throw e;
    }
  }
}
