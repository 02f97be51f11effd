// Starts a throwaway CNCF Distribution 2.8 registry (Debian's `docker-registry`) on 127.0.0.1 with a
// config written here, in a fresh temp dir, and stops it by PID. The package's own
// /etc/docker/registry/config.yml is never used: it listens on :5000 on all interfaces.
//
// Modes: open (no auth), htpasswd (Basic; bcrypt entries made with `htpasswd -B`), token (Bearer tokens from
// an issuer whose certificate bundle the registry trusts: see token-issuer.ts).
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { delay, freePort, which } from './tools.js';

export interface TokenAuthConfig {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** PEM file with the certificate(s) whose keys sign the tokens. */
  readonly rootCertBundle: string;
}

export type RegistryAuth =
  | { readonly kind: 'none' }
  | { readonly kind: 'htpasswd'; readonly users: Readonly<Record<string, string>> }
  | { readonly kind: 'token'; readonly token: TokenAuthConfig };

export interface RunningRegistry {
  /** `127.0.0.1:<port>` */
  readonly registry: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The temp dir: config.yml, registry.log, data/ */
  readonly stateDir: string;
  /** Storage root (`rootdirectory`). */
  readonly dataDir: string;
  readonly pid: number;
  /** Path of a blob's bytes on the server's disk (for corruption tests). */
  blobPath(digest: string): string;
  log(): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // If a test process dies without its after() hook, do not leave registries running.
  process.on('exit', () => {
    for (const child of live) {
      if (child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
}

function htpasswdLine(user: string, password: string): string {
  const bin = which('htpasswd');
  if (bin === undefined) throw new Error('htpasswd is not installed (apt-get install -y apache2-utils)');
  // Distribution accepts only bcrypt entries.
  const r = spawnSync(bin, ['-Bbn', user, password], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`htpasswd failed: ${r.stderr}`);
  return r.stdout.trim();
}

function configYaml(dataDir: string, port: number, authBlock: string): string {
  return [
    'version: 0.1',
    'log:',
    '  level: info',
    '  formatter: text',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${dataDir}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  secret: test-secret-${port}-${Date.now()}`,
    authBlock,
    '',
  ].join('\n');
}

/** Starts a registry and waits until `/v2/` answers (200 or 401). */
export async function startRegistry(auth: RegistryAuth = { kind: 'none' }): Promise<RunningRegistry> {
  const bin = which('docker-registry');
  if (bin === undefined)
    throw new Error('docker-registry is not installed (apt-get install -y docker-registry)');
  installExitHook();
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'adapter-registry-'));
  const dataDir = path.join(stateDir, 'data');
  fs.mkdirSync(dataDir);
  let authBlock = '';
  switch (auth.kind) {
    case 'none':
      break;
    case 'htpasswd': {
      const file = path.join(stateDir, 'htpasswd');
      fs.writeFileSync(
        file,
        Object.entries(auth.users)
          .map(([u, p]) => htpasswdLine(u, p))
          .join('\n') + '\n',
      );
      authBlock = ['auth:', '  htpasswd:', '    realm: adapter-registry', `    path: ${file}`].join('\n');
      break;
    }
    case 'token':
      authBlock = [
        'auth:',
        '  token:',
        `    realm: ${auth.token.realm}`,
        `    service: ${auth.token.service}`,
        `    issuer: ${auth.token.issuer}`,
        `    rootcertbundle: ${auth.token.rootCertBundle}`,
      ].join('\n');
      break;
  }

  // A port can be taken between freePort() and the bind: retry a few times with a new one.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const configPath = path.join(stateDir, 'config.yml');
    fs.writeFileSync(configPath, configYaml(dataDir, port, authBlock));
    const logPath = path.join(stateDir, 'registry.log');
    const logFd = fs.openSync(logPath, 'w');
    const child = spawn(bin, ['serve', configPath], { stdio: ['ignore', logFd, logFd] });
    fs.closeSync(logFd);
    live.add(child);
    const exited = new Promise<void>((resolve) =>
      child.once('exit', () => {
        live.delete(child);
        resolve();
      }),
    );
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 15_000;
    let up = false;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        const res = await fetch(`${url}/v2/`);
        await res.arrayBuffer();
        if (res.status === 200 || res.status === 401) {
          up = true;
          break;
        }
      } catch {
        // not listening yet
      }
      await delay(50);
    }
    const readLog = (): string => fs.readFileSync(logPath, 'utf8');
    if (!up) {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
      if (attempt < 2 && /address already in use/.test(readLog())) continue;
      const log = readLog();
      fs.rmSync(stateDir, { recursive: true, force: true });
      throw new Error(`docker-registry did not come up on ${url}; its log:\n${log}`);
    }
    const pid = child.pid ?? -1;
    return {
      registry: `127.0.0.1:${port}`,
      port,
      url,
      stateDir,
      dataDir,
      pid,
      blobPath(digest: string): string {
        const hex = digest.replace(/^sha256:/, '');
        return path.join(dataDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
      },
      log: readLog,
      async stop(): Promise<void> {
        if (child.exitCode === null) {
          process.kill(pid, 'SIGTERM');
          const timeout = delay(3000).then(() => 'timeout' as const);
          if ((await Promise.race([exited.then(() => 'exited' as const), timeout])) === 'timeout') {
            process.kill(pid, 'SIGKILL');
            await exited;
          }
        }
        fs.rmSync(stateDir, { recursive: true, force: true });
      },
    };
  }
  throw new Error('docker-registry: no free port after 3 attempts');
}
