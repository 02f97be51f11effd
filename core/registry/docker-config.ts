// Registry credentials from the text of a Docker config.json (~/.docker/config.json): what `docker login`
// stored. Pure (no file access): the CLI reads the file itself, the extension only after the user agrees.
import type { Credentials } from './types.js';

/** Host keys Docker writes for a registry: `host`, `https://host`, `http://host`, with or without `/v1/`. */
function dockerAuthKeys(registry: string): string[] {
  return [
    registry,
    `https://${registry}`,
    `http://${registry}`,
    `https://${registry}/v1/`,
    `https://${registry}/v2/`,
  ];
}

function decodeBase64Utf8(text: string): string | undefined {
  try {
    const binary = atob(text);
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

/**
 * Credentials for `registry` from the text of a Docker config.json: `auths.<host>.auth` (base64 of
 * `user:password`), `username`/`password`, or an `identitytoken`. Credential helpers are not run. Undefined
 * when there is none; a file that is not JSON throws a message that names the file, never its content.
 */
export function dockerConfigCredentials(
  configText: string,
  registry: string,
  fileName = 'config.json',
): Credentials | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(configText);
  } catch {
    throw new Error(`${fileName}: not valid JSON`);
  }
  const auths = (parsed as { auths?: unknown } | null)?.auths;
  if (typeof auths !== 'object' || auths === null) return undefined;
  for (const key of dockerAuthKeys(registry)) {
    const entry = (auths as Record<string, unknown>)[key];
    if (typeof entry !== 'object' || entry === null) continue;
    const e = entry as Record<string, unknown>;
    if (typeof e.identitytoken === 'string' && e.identitytoken !== '') return { token: e.identitytoken };
    if (typeof e.username === 'string' && e.username !== '' && typeof e.password === 'string') {
      return { username: e.username, password: e.password };
    }
    if (typeof e.auth === 'string' && e.auth !== '') {
      const decoded = decodeBase64Utf8(e.auth);
      const colon = decoded?.indexOf(':') ?? -1;
      if (decoded !== undefined && colon > 0) {
        return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
      }
    }
  }
  return undefined;
}
