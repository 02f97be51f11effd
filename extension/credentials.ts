// Registry credentials in VS Code's SecretStorage (the OS keychain), keyed by registry host. They are never
// written to settings or to the log: messages name the host, never a user name, password or token.
// Importing from ~/.docker/config.json happens only after the user agrees in a modal dialog.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CredentialProvider, Credentials } from '../core/registry/types.js';
import {
  dockerConfigCredentials,
  parseStoredCredentials,
  secretKey,
  storedCredentialsText,
} from './logic/marketplace.js';
import type { ConfiguredRegistry } from './logic/marketplace.js';

export class RegistryCredentials {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  async get(host: string): Promise<Credentials | undefined> {
    return parseStoredCredentials(await this.secrets.get(secretKey(host)));
  }

  async store(host: string, credentials: Credentials): Promise<void> {
    await this.secrets.store(secretKey(host), storedCredentialsText(credentials));
  }

  async delete(host: string): Promise<boolean> {
    const had = (await this.secrets.get(secretKey(host))) !== undefined;
    await this.secrets.delete(secretKey(host));
    return had;
  }

  /** What the OCI client calls when a registry asks for authentication. */
  readonly provider: CredentialProvider = (host) => this.get(host);

  onDidChange(listener: () => void): vscode.Disposable {
    return this.secrets.onDidChange((e) => {
      if (e.key.startsWith('promptAdapter.registry:')) listener();
    });
  }
}

/** $DOCKER_CONFIG/config.json, else ~/.docker/config.json (as Docker and the CLI read it). */
export function dockerConfigUri(): vscode.Uri {
  const dir = process.env.DOCKER_CONFIG ?? path.join(os.homedir(), '.docker');
  return vscode.Uri.file(path.join(dir, 'config.json'));
}

/**
 * Asks (modal) before reading the Docker config, then returns the credentials it holds for `host`.
 * Undefined when the user declines, the file is missing or it has no entry for the host (a message says which).
 */
export async function importDockerCredentials(host: string): Promise<Credentials | undefined> {
  const file = dockerConfigUri();
  const consent = await vscode.window.showWarningMessage(
    `Import the credentials for ${host} from ${file.fsPath}?`,
    {
      modal: true,
      detail:
        'Prompt Adapter Studio reads the "auths" entry for this host only and keeps it in VS Code\'s secret storage. Credential helpers (credsStore) are not run.',
    },
    'Import',
  );
  if (consent !== 'Import') return undefined;
  let text: string;
  try {
    text = new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
  } catch {
    void vscode.window.showWarningMessage(`${file.fsPath} does not exist or cannot be read.`);
    return undefined;
  }
  const found = dockerConfigCredentials(text, host, file.fsPath);
  if (found === undefined) {
    void vscode.window.showWarningMessage(
      `${file.fsPath} has no "auths" entry for ${host} (credential helpers are not supported).`,
    );
  }
  return found;
}

/** Asks for credentials for a registry: user + password (OCI), a token (the Hub), or the Docker config import. */
export async function promptForCredentials(registry: ConfiguredRegistry): Promise<Credentials | undefined> {
  const host = registry.credentialHost;
  if (registry.address.kind === 'hf') {
    const token = await vscode.window.showInputBox({
      title: `Sign in to ${host}`,
      prompt: 'A Hugging Face access token (hf_…); a write token is needed to publish',
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() === '' ? 'Enter a token' : undefined),
    });
    return token === undefined ? undefined : { token: token.trim() };
  }
  const how = await vscode.window.showQuickPick(
    [
      { label: 'User name and password', description: 'or an access token as the password', id: 'basic' },
      { label: 'Import from the Docker config', description: dockerConfigUri().fsPath, id: 'docker' },
    ],
    { title: `Sign in to ${host}` },
  );
  if (how === undefined) return undefined;
  if (how.id === 'docker') return importDockerCredentials(host);
  const username = await vscode.window.showInputBox({
    title: `Sign in to ${host} (1/2)`,
    prompt: 'User name',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() === '' ? 'Enter a user name' : undefined),
  });
  if (username === undefined) return undefined;
  const password = await vscode.window.showInputBox({
    title: `Sign in to ${host} (2/2)`,
    prompt: `Password or access token for ${username.trim()}`,
    password: true,
    ignoreFocusOut: true,
  });
  if (password === undefined) return undefined;
  return { username: username.trim(), password };
}
