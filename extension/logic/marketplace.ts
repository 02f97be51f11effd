// The pure parts of the adapter marketplace in the editor: which registries the setting names and how each
// is reached (plain http only for loopback hosts), credentials as stored and as Docker writes them, the
// Marketplace view's grouping, labels and filters, the compatibility verdict for the chosen model, the
// details page, and the shapes of the commands' programmatic arguments. No VS Code API here: unit-tested in
// Node (test/unit/extension/marketplace.test.ts).
import { adapterMetaFromAnnotations, ANNOTATION, isSafeFileName } from '../../core/registry/oci-layout.js';
import { isLoopbackHost, isValidRepository, parseRegistryAddress } from '../../core/registry/ref.js';
import type { RegistryAddress } from '../../core/registry/ref.js';
import type { AdapterMeta, Credentials, SearchResult } from '../../core/registry/types.js';
export { dockerConfigCredentials } from '../../core/registry/docker-config.js';
import { buildCsp, escapeHtml } from './csp.js';

/** Where Hub credentials are kept (the Hub is one host, whatever owner a `hf://owner` entry names). */
export const HF_CREDENTIAL_HOST = 'huggingface.co';

// ---------------------------------------------------------------------------------------------------------
// transport and the registries setting

/**
 * The transport for a registry host: plain http only for loopback hosts (localhost, 127.0.0.0/8, [::1]),
 * https for everything else, so that credentials and unverified tags never cross a network in the clear.
 * The same rule as core/registry/ref.ts, whose OciRegistry refuses http to any other host.
 */
export function registryScheme(hostname: string): 'http' | 'https' {
  return isLoopbackHost(hostname) ? 'http' : 'https';
}

export interface ConfiguredRegistry {
  /** The entry as written in `promptAdapter.registries`. */
  readonly text: string;
  readonly address: RegistryAddress;
  /** The SecretStorage key part: `host[:port]` for OCI, huggingface.co for the Hub. */
  readonly credentialHost: string;
  /** Shown in the view: `127.0.0.1:5000`, `ghcr.io`, `hf://`, `hf://acme`. */
  readonly label: string;
  /** Beside the label: `OCI · http (loopback)`, `OCI · https`, `Hugging Face Hub`. */
  readonly description: string;
}

/** The registry of one setting entry (`host[:port]`, `hf://`, `hf://owner`); throws INVALID_REF. */
export function configuredRegistry(text: string): ConfiguredRegistry {
  const address = parseRegistryAddress(text);
  if (address.kind === 'hf') {
    return {
      text,
      address,
      credentialHost: HF_CREDENTIAL_HOST,
      label: address.owner === undefined ? 'hf://' : `hf://${address.owner}`,
      description: 'Hugging Face Hub',
    };
  }
  return {
    text,
    address,
    credentialHost: address.registry,
    label: address.registry,
    description: address.scheme === 'http' ? 'OCI · http (loopback)' : 'OCI · https',
  };
}

/** Reads the `promptAdapter.registries` setting: the valid entries (duplicates once) and a message per bad one. */
export function parseRegistriesSetting(value: unknown): {
  registries: ConfiguredRegistry[];
  problems: string[];
} {
  const registries: ConfiguredRegistry[] = [];
  const problems: string[] = [];
  if (value === undefined || value === null) return { registries, problems };
  if (!Array.isArray(value)) {
    return { registries, problems: ['promptAdapter.registries must be an array of strings'] };
  }
  const seen = new Set<string>();
  for (const entry of value as unknown[]) {
    if (typeof entry !== 'string' || entry.trim() === '') {
      problems.push(`promptAdapter.registries: ${JSON.stringify(entry)} is not a registry address`);
      continue;
    }
    try {
      const r = configuredRegistry(entry.trim());
      if (seen.has(r.label)) continue;
      seen.add(r.label);
      registries.push(r);
    } catch (e) {
      problems.push(e instanceof Error ? e.message : String(e));
    }
  }
  return { registries, problems };
}

// ---------------------------------------------------------------------------------------------------------
// credentials

/** The SecretStorage key of a registry host's credentials. */
export function secretKey(host: string): string {
  return `promptAdapter.registry:${host.toLowerCase()}`;
}

/** Credentials as stored (JSON); undefined for anything else, so a damaged entry reads as "signed out". */
export function parseStoredCredentials(text: string | undefined): Credentials | undefined {
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.token === 'string' && o.token !== '') return { token: o.token };
  if (typeof o.username === 'string' && o.username !== '' && typeof o.password === 'string') {
    return { username: o.username, password: o.password };
  }
  return undefined;
}

export function storedCredentialsText(c: Credentials): string {
  return JSON.stringify('token' in c ? { token: c.token } : { username: c.username, password: c.password });
}

// ---------------------------------------------------------------------------------------------------------
// the Marketplace view

export interface VersionEntry {
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  readonly annotations: Readonly<Record<string, string>>;
  /** Undefined when the annotations do not describe an adapter fully. */
  readonly meta: AdapterMeta | undefined;
}

export interface RepositoryGroup {
  readonly repository: string;
  readonly versions: readonly VersionEntry[];
}

const collator = new Intl.Collator('en', { numeric: true });

/** Search results by repository (sorted), each repository's versions newest tag first (numeric order). */
export function groupByRepository(results: readonly SearchResult[]): RepositoryGroup[] {
  const byRepo = new Map<string, VersionEntry[]>();
  for (const r of results) {
    const list = byRepo.get(r.repository) ?? [];
    list.push({
      repository: r.repository,
      tag: r.tag,
      digest: r.digest,
      annotations: r.annotations,
      meta: adapterMetaFromAnnotations(r.annotations),
    });
    byRepo.set(r.repository, list);
  }
  return [...byRepo.entries()]
    .sort(([a], [b]) => collator.compare(a, b))
    .map(([repository, versions]) => ({
      repository,
      versions: versions.sort((a, b) => collator.compare(b.tag, a.tag)),
    }));
}

/** A version's one-line description: task · method · base model. */
export function versionDescription(annotations: Readonly<Record<string, string>>): string {
  return [ANNOTATION.task, ANNOTATION.method, ANNOTATION.baseModel]
    .map((k) => annotations[k])
    .filter((v): v is string => v !== undefined && v !== '')
    .join(' · ');
}

export interface MarketplaceFilter {
  /** Case-insensitive substring of repository, tag, description, base model or task. */
  readonly text?: string;
  readonly baseModel?: string;
  readonly task?: string;
}

export function isEmptyFilter(f: MarketplaceFilter): boolean {
  return f.text === undefined && f.baseModel === undefined && f.task === undefined;
}

/** The view's description while a filter is on, e.g. `"spam" · base stories260K`. */
export function filterDescription(f: MarketplaceFilter): string {
  const parts: string[] = [];
  if (f.text !== undefined) parts.push(`"${f.text}"`);
  if (f.baseModel !== undefined) parts.push(`base ${f.baseModel}`);
  if (f.task !== undefined) parts.push(`task ${f.task}`);
  return parts.join(' · ');
}

/** Applies a filter to versions already listed (the registries' own search does the same on the server side). */
export function matchesFilter(v: VersionEntry, f: MarketplaceFilter): boolean {
  const a = v.annotations;
  if (f.baseModel !== undefined && a[ANNOTATION.baseModel] !== f.baseModel) return false;
  if (f.task !== undefined && a[ANNOTATION.task] !== f.task) return false;
  if (f.text !== undefined) {
    const hay = [v.repository, v.tag, a[ANNOTATION.description], a[ANNOTATION.baseModel], a[ANNOTATION.task]]
      .join('\n')
      .toLowerCase();
    if (!hay.includes(f.text.toLowerCase())) return false;
  }
  return true;
}

/** The base models and tasks the listed versions have, for the Filter quick pick. */
export function filterChoices(versions: readonly VersionEntry[]): { baseModels: string[]; tasks: string[] } {
  const baseModels = new Set<string>();
  const tasks = new Set<string>();
  for (const v of versions) {
    const b = v.annotations[ANNOTATION.baseModel];
    const t = v.annotations[ANNOTATION.task];
    if (b !== undefined && b !== '') baseModels.add(b);
    if (t !== undefined && t !== '') tasks.add(t);
  }
  return { baseModels: [...baseModels].sort(collator.compare), tasks: [...tasks].sort(collator.compare) };
}

// ---------------------------------------------------------------------------------------------------------
// compatibility with the chosen model

export type CompatibilityKind = 'fits' | 'fits-unverified' | 'fingerprint-differs' | 'does-not-fit';

export interface Compatibility {
  readonly kind: CompatibilityKind;
  /** The badge: `fits stories260K`, `fingerprint differs`, `does not fit stories260K`. */
  readonly label: string;
  /** One sentence per finding. */
  readonly details: readonly string[];
}

/**
 * The verdict for a model: shapes first (an adapter whose shapes do not fit is refused), then the base-model
 * fingerprint (`true` same, `false` differs, `null` not recorded or unreadable: only shapes were compared).
 */
export function compatibilityOf(input: {
  readonly modelName: string;
  readonly shapeProblems: readonly string[];
  readonly fingerprintMatches: boolean | null;
  readonly fingerprintProblems?: readonly string[];
}): Compatibility {
  if (input.shapeProblems.length > 0) {
    return { kind: 'does-not-fit', label: `does not fit ${input.modelName}`, details: input.shapeProblems };
  }
  if (input.fingerprintMatches === false) {
    return {
      kind: 'fingerprint-differs',
      label: `fingerprint differs from ${input.modelName}`,
      details:
        input.fingerprintProblems !== undefined && input.fingerprintProblems.length > 0
          ? input.fingerprintProblems
          : [`the shapes fit ${input.modelName}, but it was trained on a base model with other weights`],
    };
  }
  if (input.fingerprintMatches === true) {
    return {
      kind: 'fits',
      label: `fits ${input.modelName}`,
      details: [`the shapes fit and the base-model fingerprint matches ${input.modelName}`],
    };
  }
  return {
    kind: 'fits-unverified',
    label: `fits ${input.modelName} (shapes)`,
    details: [`the shapes fit ${input.modelName}; the adapter records no base-model fingerprint to compare`],
  };
}

/** `sha256:<hex>` or `<hex>` → hex, for comparing an annotation with training's recorded fingerprint. */
export function fingerprintHex(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const hex = value.startsWith('sha256:') ? value.slice('sha256:'.length) : value;
  return /^[a-f0-9]{64}$/.test(hex) ? hex : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// install and publish

/** A folder name for an installed version: the repository's last component and the tag, made file-safe. */
export function installFolderName(repository: string, tag: string | undefined, digest: string): string {
  const last = repository.slice(repository.lastIndexOf('/') + 1);
  const version = tag ?? digest.replace(/^sha256:/, '').slice(0, 12);
  return `${last}-${version}`.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '') || 'adapter';
}

/** A repository name suggested from an adapter folder's name (lower case, distribution-spec characters). */
export function suggestRepositoryName(folderName: string): string {
  const s = folderName
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/[._-]{2,}/g, '-')
    .replace(/^[._-]+|[._-]+$/g, '');
  return isValidRepository(s) ? s : 'adapter';
}

/** Files of an adapter folder that are published: plain top-level files, no dot-files (as the CLI does). */
export function publishableFileNames(entries: readonly { name: string; isFile: boolean }[]): string[] {
  return entries
    .filter((e) => e.isFile && !e.name.startsWith('.') && isSafeFileName(e.name))
    .map((e) => e.name)
    .sort();
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype
  );
}

function optionalStringField(o: Record<string, unknown>, key: string): boolean {
  return o[key] === undefined || typeof o[key] === 'string';
}

/** Publish run from code: `{adapter: folder path, ref: 'host[:port]/repo:tag' | 'hf://owner/name', license?, description?}`. */
export interface PublishOptionsArg {
  readonly adapter: string;
  readonly ref: string;
  readonly license?: string;
  readonly description?: string;
}

export function isPublishOptions(v: unknown): v is PublishOptionsArg {
  return (
    isPlainObject(v) &&
    typeof v.adapter === 'string' &&
    typeof v.ref === 'string' &&
    optionalStringField(v, 'license') &&
    optionalStringField(v, 'description')
  );
}

/**
 * Install run from code: `{ref, destination?, model?, acceptFingerprintMismatch?}`. `ref` names a version
 * (`host[:port]/repo:tag[@sha256:…]` or `hf://owner/name[@revision]`); `destination` is the folder the adapter
 * folder is created in (default: the workspace's adapters folder); `model` the model folder checked against.
 */
export interface InstallOptionsArg {
  readonly ref: string;
  readonly destination?: string;
  readonly model?: string;
  readonly acceptFingerprintMismatch?: boolean;
}

export function isInstallOptions(v: unknown): v is InstallOptionsArg {
  return (
    isPlainObject(v) &&
    typeof v.ref === 'string' &&
    optionalStringField(v, 'destination') &&
    optionalStringField(v, 'model') &&
    (v.acceptFingerprintMismatch === undefined || typeof v.acceptFingerprintMismatch === 'boolean')
  );
}

// ---------------------------------------------------------------------------------------------------------
// the details page (a webview without scripts)

export interface DetailsInput {
  readonly reference: string;
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly files: readonly { readonly name: string; readonly size: number }[];
  readonly compatibility: Compatibility | undefined;
  /** Why there is no verdict (no model found, the adapter's files could not be read). */
  readonly compatibilityNote?: string;
}

function formatMetric(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(4);
}

/** The HTML of the details page: metrics, annotations, digest, files and the compatibility badge. */
export function detailsHtml(d: DetailsInput, csp: { cspSource: string; nonce: string }): string {
  const meta = adapterMetaFromAnnotations(d.annotations);
  const badgeClass = d.compatibility?.kind ?? 'unknown';
  const rows = (pairs: readonly (readonly [string, string])[]): string =>
    pairs.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('');
  const metrics = Object.entries(meta?.metrics ?? {}).map(([k, v]) => [k, formatMetric(v)] as const);
  const annotations = Object.entries(d.annotations).sort(([a], [b]) => a.localeCompare(b));
  const body = [
    `<h1>${escapeHtml(d.repository)}${d.tag === undefined ? '' : `:${escapeHtml(d.tag)}`}</h1>`,
    `<p class="badge ${badgeClass}" id="compatibility">${escapeHtml(d.compatibility?.label ?? 'compatibility not checked')}</p>`,
    d.compatibility === undefined
      ? `<p>${escapeHtml(d.compatibilityNote ?? '')}</p>`
      : `<ul>${d.compatibility.details.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>`,
    '<h2>Version</h2>',
    `<table>${rows([
      ['reference', d.reference],
      ['digest', d.digest],
      ['base model', meta?.baseModel ?? '?'],
      ['method', meta?.method ?? '?'],
      ['task', meta?.task ?? '?'],
      ['virtual tokens', meta === undefined ? '?' : String(meta.virtualTokens)],
      ...(meta?.license === undefined ? [] : [['license', meta.license] as const]),
      ...(meta?.description === undefined ? [] : [['description', meta.description] as const]),
    ])}</table>`,
    '<h2>Metrics</h2>',
    metrics.length === 0 ? '<p>none recorded</p>' : `<table>${rows(metrics)}</table>`,
    '<h2>Files</h2>',
    `<table>${rows(d.files.map((f) => [f.name, `${f.size} bytes`] as const))}</table>`,
    '<h2>Annotations</h2>',
    `<table>${rows(annotations)}</table>`,
  ].join('\n');
  const nonce = escapeHtml(csp.nonce);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="UTF-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(buildCsp(csp))}">`,
    `<title>${escapeHtml(d.repository)}</title>`,
    `<style nonce="${nonce}">`,
    'body{font-family:var(--vscode-font-family);color:var(--vscode-foreground);padding:0 1em}',
    'th{text-align:left;padding-right:1em;font-weight:600}td{font-family:var(--vscode-editor-font-family);word-break:break-all}',
    '.badge{display:inline-block;padding:2px 8px;border-radius:4px;font-weight:600}',
    '.fits{background:#2e7d32;color:#fff}.fits-unverified{background:#558b2f;color:#fff}',
    '.fingerprint-differs{background:#f9a825;color:#000}.does-not-fit{background:#c62828;color:#fff}',
    '.unknown{border:1px solid var(--vscode-foreground)}',
    '</style>',
    '</head>',
    `<body>${body}</body>`,
    '</html>',
  ].join('\n');
}
