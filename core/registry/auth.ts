// Registry authentication: parsing of `WWW-Authenticate` challenges (RFC 7235) and the token flow of the
// distribution spec (https://distribution.github.io/distribution/spec/auth/token/):
//
//   GET /v2/<name>/...                      → 401  WWW-Authenticate: Bearer realm="…",service="…",scope="…"
//   GET <realm>?service=…&scope=…  (Basic)  → 200  {"token": "…", "expires_in": 300}   (or "access_token")
//   GET /v2/<name>/...  Authorization: Bearer <token>
//
// A 401 answered with `Basic realm="…"` (htpasswd) just asks for the Basic header.

import { isLoopbackHost } from './ref.js';
import { RegistryError } from './types.js';
import type { Credentials, FetchLike } from './types.js';

export interface AuthChallenge {
  /** Lower-cased scheme: `basic`, `bearer`, … */
  readonly scheme: string;
  /** Parameters with lower-cased names (`realm`, `service`, `scope`, `error`); values unquoted. */
  readonly params: Readonly<Record<string, string>>;
  /** A token68 credential instead of parameters (rare in challenges). */
  readonly token68?: string;
}

const TCHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

/**
 * Parses a `WWW-Authenticate` header value into its challenges. Handles several challenges in one header,
 * quoted strings with commas and backslash escapes (`scope="repository:a:pull,push"`), and unquoted values.
 * Unparseable trailing text is ignored rather than fatal: the header comes from a server we do not control.
 */
export function parseAuthChallenges(header: string): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  let i = 0;
  const n = header.length;
  const skipWs = (): void => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && TCHAR.test(header[i] ?? '')) i++;
    return header.slice(start, i);
  };
  const readQuoted = (): string => {
    // header[i] is the opening quote
    i++;
    let s = '';
    while (i < n && header[i] !== '"') {
      if (header[i] === '\\' && i + 1 < n) i++;
      s += header.charAt(i);
      i++;
    }
    i++; // closing quote (or past the end)
    return s;
  };

  while (i < n) {
    while (i < n && (header[i] === ',' || header[i] === ' ' || header[i] === '\t')) i++;
    if (i >= n) break;
    const scheme = readToken();
    if (scheme === '') break; // garbage: stop here
    const params: Record<string, string> = {};
    let token68: string | undefined;
    skipWs();
    for (;;) {
      const save = i;
      skipWs();
      const name = readToken();
      skipWs();
      if (name === '' || header[i] !== '=') {
        // Not a parameter: the start of the next challenge (or the end).
        i = save;
        break;
      }
      i++; // '='
      skipWs();
      if (i >= n || header[i] === ',' || header[i] === '=') {
        // token68 such as `abc==`
        let t = name + '=';
        while (i < n && header[i] === '=') {
          t += '=';
          i++;
        }
        token68 = t;
      } else if (header[i] === '"') {
        params[name.toLowerCase()] = readQuoted();
      } else {
        // RFC 7235 wants a token here, but servers write URLs unquoted: take everything up to ',' or space.
        const start = i;
        while (i < n && header[i] !== ',' && header[i] !== ' ' && header[i] !== '\t') i++;
        params[name.toLowerCase()] = header.slice(start, i);
      }
      skipWs();
      if (header[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    if (token68 === undefined) {
      out.push({ scheme: scheme.toLowerCase(), params });
    } else {
      out.push({ scheme: scheme.toLowerCase(), params, token68 });
    }
  }
  return out;
}

const encoder = new TextEncoder();

/** `Basic base64(user:password)`, UTF-8 encoded (RFC 7617). */
export function basicAuthorization(username: string, password: string): string {
  let binary = '';
  for (const b of encoder.encode(`${username}:${password}`)) binary += String.fromCharCode(b);
  return `Basic ${btoa(binary)}`;
}

export interface IssuedToken {
  readonly token: string;
  /** Epoch milliseconds after which the token is not reused. */
  readonly expiresAt: number;
}

/** Default lifetime when the token service names none (distribution's token spec: 60 s). */
const DEFAULT_TOKEN_SECONDS = 60;

/**
 * Asks the token service named by a Bearer challenge for a token covering `scopes`. Credentials, when
 * given, go as Basic auth, and only over https or to a loopback realm.
 */
export async function requestBearerToken(args: {
  fetch: FetchLike;
  challenge: AuthChallenge;
  scopes: readonly string[];
  credentials: Credentials | undefined;
  registry: string;
  now: number;
  signal?: AbortSignal | undefined;
}): Promise<IssuedToken> {
  const { challenge, scopes, credentials, registry } = args;
  const realm = challenge.params.realm;
  if (realm === undefined || realm === '') {
    throw new RegistryError(
      `registry ${registry} asked for a bearer token but named no token service (realm)`,
      {
        status: 401,
        code: 'TOKEN_FAILED',
      },
    );
  }
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new RegistryError(`registry ${registry} named an invalid token service URL '${realm}'`, {
      status: 401,
      code: 'TOKEN_FAILED',
    });
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new RegistryError(
      `registry ${registry} named the token service ${realm}, which is not https; refusing to send credentials over plain http to a non-loopback host`,
      { code: 'INSECURE', url: realm },
    );
  }
  const service = challenge.params.service;
  if (service !== undefined) url.searchParams.set('service', service);
  for (const scope of scopes) url.searchParams.append('scope', scope);

  const headers: Record<string, string> = { Accept: 'application/json' };
  if (credentials !== undefined && 'username' in credentials) {
    headers.Authorization = basicAuthorization(credentials.username, credentials.password);
  }
  let res;
  try {
    // Called unbound: a browser fetch throws "Illegal invocation" when called as a method of another object.
    const fetchFn = args.fetch;
    res = await fetchFn(url.toString(), {
      method: 'GET',
      headers,
      ...(args.signal === undefined ? {} : { signal: args.signal }),
    });
  } catch (e) {
    throw new RegistryError(
      `cannot reach the token service ${url.origin}${url.pathname} of ${registry}: ${e instanceof Error ? e.message : String(e)}`,
      {
        code: 'NETWORK',
        url: url.toString(),
        cause: e,
      },
    );
  }
  const body = new TextDecoder().decode(await res.arrayBuffer());
  if (res.status === 401 || res.status === 403) {
    const who =
      credentials !== undefined && 'username' in credentials
        ? `user '${credentials.username}'`
        : 'anonymous access';
    throw new RegistryError(
      `the token service of ${registry} (${url.origin}${url.pathname}) refused ${who} (HTTP ${res.status}); check the username and password for ${registry}`,
      { status: 401, code: 'UNAUTHORIZED', url: url.toString() },
    );
  }
  if (res.status !== 200) {
    throw new RegistryError(
      `the token service of ${registry} answered HTTP ${res.status} for scope '${scopes.join(' ')}': ${body.slice(0, 200)}`,
      { status: res.status, code: 'TOKEN_FAILED', url: url.toString() },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new RegistryError(`the token service of ${registry} answered something that is not JSON`, {
      status: res.status,
      code: 'TOKEN_FAILED',
      url: url.toString(),
    });
  }
  const obj = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const token = typeof obj.token === 'string' && obj.token !== '' ? obj.token : obj.access_token;
  if (typeof token !== 'string' || token === '') {
    throw new RegistryError(`the token service of ${registry} answered without a 'token' or 'access_token'`, {
      status: res.status,
      code: 'TOKEN_FAILED',
      url: url.toString(),
    });
  }
  const seconds =
    typeof obj.expires_in === 'number' && Number.isFinite(obj.expires_in) && obj.expires_in > 0
      ? obj.expires_in
      : DEFAULT_TOKEN_SECONDS;
  // Renew a little early so that a token does not expire between the check and the request.
  return { token, expiresAt: args.now + Math.max(1, seconds - 5) * 1000 };
}
