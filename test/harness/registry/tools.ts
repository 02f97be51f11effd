// Small helpers for the registry integration tests: finding binaries, free loopback ports, waiting.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Absolute path of an executable on PATH (or the path itself when absolute), or undefined. */
export function which(bin: string): string | undefined {
  const candidates = path.isAbsolute(bin)
    ? [bin]
    : (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin')
        .split(path.delimiter)
        .map((dir) => path.join(dir, bin));
  for (const c of candidates) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The apt packages that provide the binaries the registry tests use. */
export const APT_PACKAGE: Readonly<Record<string, string>> = {
  'docker-registry': 'docker-registry',
  htpasswd: 'apache2-utils',
  skopeo: 'skopeo',
  openssl: 'openssl',
};

/**
 * Undefined when every binary is installed, else a message for `t.skip()` naming what is missing and how to
 * install it.
 */
export function missingTools(...bins: string[]): string | undefined {
  const missing = bins.filter((b) => which(b) === undefined);
  if (missing.length === 0) return undefined;
  const pkgs = [...new Set(missing.map((b) => APT_PACKAGE[b] ?? b))].join(' ');
  return `needs ${missing.join(', ')} (not installed): apt-get install -y ${pkgs}`;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('no port from the OS'));
        return;
      }
      const port = address.port;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
