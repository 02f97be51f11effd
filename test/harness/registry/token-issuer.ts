// A minimal token service for Distribution's token auth (https://distribution.github.io/distribution/spec/auth/token/),
// run by the tests on 127.0.0.1 because Debian packages none. It answers
//   GET /token?service=<service>&scope=<type:name:actions>[&scope=…]   (Basic auth)
// with {"token", "access_token", "expires_in", "issued_at"}, the token being a JWT signed with ES256.
//
// Distribution 2.8 looks for the signing key in the JWT header in one of three forms: `x5c` (a certificate chain
// that must verify against `rootcertbundle`), `jwk` or `kid` (a key whose libtrust key id matches a
// certificate of the bundle). We use `x5c` with a self-signed certificate that is itself the whole bundle;
// `kid` is available too (libtrust's id: base32 of the first 240 bits of sha256(SPKI DER), in groups of 4).
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { which } from './tools.js';

export interface TokenRequestRecord {
  readonly user: string | undefined;
  readonly scopes: readonly string[];
  readonly status: number;
}

export interface TokenIssuer {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** The certificate (PEM) the registry must trust: pass as `rootcertbundle`. */
  readonly certPath: string;
  /** Every token request seen, in order. */
  readonly requests: TokenRequestRecord[];
  stop(): Promise<void>;
}

export interface TokenIssuerOptions {
  /** Directory for key and certificate. */
  readonly dir: string;
  readonly users: Readonly<Record<string, string>>;
  readonly service?: string;
  readonly issuer?: string;
  /** Header form naming the signing key. */
  readonly keyForm?: 'x5c' | 'kid';
  /** Token lifetime in seconds (default 300). */
  readonly expiresIn?: number;
  /** Actions granted to a user on a scope; default: everything asked for to known users, nothing to anonymous. */
  readonly grant?: (
    user: string | undefined,
    type: string,
    name: string,
    actions: readonly string[],
  ) => readonly string[];
}

/** libtrust's key id: base32 (no padding) of the first 30 bytes of sha256(SPKI DER), in groups of 4 joined by ':'. */
export function libtrustKeyId(spkiDer: Uint8Array): string {
  const hash = crypto.createHash('sha256').update(spkiDer).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of hash) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += alphabet.charAt((value >>> (bits - 5)) & 31);
      bits -= 5;
    }
  }
  return (out.match(/.{4}/g) ?? []).join(':');
}

function b64url(data: Uint8Array | string): string {
  return Buffer.from(data).toString('base64url');
}

/** Generates an EC P-256 key and a self-signed certificate with openssl. */
export function makeSigningCertificate(
  dir: string,
  commonName: string,
): { keyPath: string; certPath: string } {
  const openssl = which('openssl');
  if (openssl === undefined) throw new Error('openssl is not installed (apt-get install -y openssl)');
  const keyPath = path.join(dir, 'issuer.key');
  const certPath = path.join(dir, 'issuer.crt');
  const r = spawnSync(
    openssl,
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '2',
      '-subj',
      `/CN=${commonName}`,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { keyPath, certPath };
}

export async function startTokenIssuer(options: TokenIssuerOptions): Promise<TokenIssuer> {
  const service = options.service ?? 'adapter-test-registry';
  const issuer = options.issuer ?? 'adapter-test-issuer';
  const { keyPath, certPath } = makeSigningCertificate(options.dir, issuer);
  const key = crypto.createPrivateKey(fs.readFileSync(keyPath));
  const cert = new crypto.X509Certificate(fs.readFileSync(certPath));
  const header: Record<string, unknown> = { typ: 'JWT', alg: 'ES256' };
  if ((options.keyForm ?? 'x5c') === 'x5c') header.x5c = [cert.raw.toString('base64')];
  else header.kid = libtrustKeyId(crypto.createPublicKey(key).export({ type: 'spki', format: 'der' }));
  const grant =
    options.grant ??
    ((user: string | undefined, _type: string, _name: string, actions: readonly string[]) =>
      user === undefined ? [] : actions);
  const requests: TokenRequestRecord[] = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const reply = (status: number, body: unknown, user: string | undefined, scopes: string[]): void => {
      requests.push({ user, scopes, status });
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const scopes = url.searchParams.getAll('scope');
    if (url.pathname !== '/token' || req.method !== 'GET') {
      reply(404, { errors: [{ code: 'NOT_FOUND' }] }, undefined, scopes);
      return;
    }
    if (url.searchParams.get('service') !== service) {
      reply(400, { errors: [{ code: 'UNSUPPORTED', message: `unknown service` }] }, undefined, scopes);
      return;
    }
    let user: string | undefined;
    const authz = req.headers.authorization;
    if (authz !== undefined) {
      const m = /^Basic\s+(.+)$/i.exec(authz);
      const decoded = m?.[1] === undefined ? '' : Buffer.from(m[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const name = decoded.slice(0, colon);
      const password = decoded.slice(colon + 1);
      if (colon < 0 || options.users[name] === undefined || options.users[name] !== password) {
        reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }, name, scopes);
        return;
      }
      user = name;
    }
    const access = scopes.flatMap((scope) => {
      // type:name:actions; the name itself may hold ':' only with a port, which repositories do not.
      const first = scope.indexOf(':');
      const last = scope.lastIndexOf(':');
      if (first < 0 || last <= first) return [];
      const type = scope.slice(0, first);
      const name = scope.slice(first + 1, last);
      const actions = scope
        .slice(last + 1)
        .split(',')
        .filter((a) => a !== '');
      const granted = grant(user, type, name, actions);
      return granted.length === 0 ? [] : [{ type, name, actions: [...granted] }];
    });
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = options.expiresIn ?? 300;
    const claims = {
      iss: issuer,
      sub: user ?? '',
      aud: service,
      exp: now + expiresIn,
      nbf: now - 5,
      iat: now,
      jti: crypto.randomUUID(),
      access,
    };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    // JWS ES256 wants the raw r||s signature (IEEE P1363), not DER.
    const signature = crypto.sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
    const token = `${signingInput}.${b64url(signature)}`;
    reply(
      200,
      { token, access_token: token, expires_in: expiresIn, issued_at: new Date(now * 1000).toISOString() },
      user,
      scopes,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certPath,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
