// Parsing of adapter references and registry addresses, as the CLI and the extension take them:
//
//   OCI   host[:port]/repository[:tag][@sha256:<64 hex>]     e.g. ghcr.io/acme/spam-detector:v1
//         (an optional `oci://` prefix is accepted; the host is always explicit: no Docker Hub default)
//   Hub   hf://owner/name[@revision]                           e.g. hf://acme/stories260K-spam
//
//   registry addresses (for search):  host[:port]  |  hf://  |  hf://owner
//
// The grammar of repository names, tags and digests is the distribution spec's
// (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests).
// Plain http is used only for loopback hosts (localhost, 127.0.0.0/8, [::1]); any other host gets https,
// so that credentials and unverified tags never cross a network in the clear.

import { RegistryError } from './types.js';

export interface OciReference {
  readonly kind: 'oci';
  /** `host[:port]` as written (IPv6 in brackets), lower-cased. */
  readonly registry: string;
  /** Host without port and without IPv6 brackets. */
  readonly hostname: string;
  readonly port: number | undefined;
  readonly scheme: 'http' | 'https';
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

export interface HfReference {
  readonly kind: 'hf';
  readonly owner: string;
  readonly name: string;
  readonly revision: string | undefined;
}

export type ParsedReference = OciReference | HfReference;

export interface OciRegistryAddress {
  readonly kind: 'oci';
  readonly registry: string;
  readonly hostname: string;
  readonly port: number | undefined;
  readonly scheme: 'http' | 'https';
}

export interface HfRegistryAddress {
  readonly kind: 'hf';
  readonly owner: string | undefined;
}

export type RegistryAddress = OciRegistryAddress | HfRegistryAddress;

// distribution-spec: <name> components, separated by '/'.
const REPO_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
// Hub ids: letters, digits, '-', '_', '.'; no leading/trailing separator (huggingface_hub's validator).
const HF_PART = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$/;
const HF_REVISION = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$/;
const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_REPOSITORY_LENGTH = 255;

function invalid(input: string, why: string): RegistryError {
  return new RegistryError(`invalid adapter reference '${input}': ${why}`, { code: 'INVALID_REF' });
}

/** True for `localhost`, 127.0.0.0/8 and ::1: the only hosts reached over plain http. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return m !== null && m.slice(1).every((part) => Number(part) <= 255);
}

export function isDigest(s: string): boolean {
  return SHA256_DIGEST.test(s);
}

export function isValidRepository(s: string): boolean {
  return (
    s.length > 0 && s.length <= MAX_REPOSITORY_LENGTH && s.split('/').every((c) => REPO_COMPONENT.test(c))
  );
}

export function isValidTag(s: string): boolean {
  return TAG.test(s);
}

/** Parses `host[:port]`; throws INVALID_REF. */
export function parseOciRegistry(input: string, context = input): OciRegistryAddress {
  const s = input.toLowerCase();
  let hostname: string;
  let portText: string | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) throw invalid(context, `unclosed '[' in the IPv6 host '${input}'`);
    hostname = s.slice(1, close);
    const rest = s.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':'))
      throw invalid(context, `unexpected '${rest}' after the IPv6 host`);
    portText = rest === '' ? undefined : rest.slice(1);
    if (!/^[0-9a-f:.]+$/.test(hostname) || !hostname.includes(':')) {
      throw invalid(context, `'${hostname}' is not an IPv6 address`);
    }
  } else {
    const colon = s.indexOf(':');
    hostname = colon < 0 ? s : s.slice(0, colon);
    portText = colon < 0 ? undefined : s.slice(colon + 1);
    if (hostname === '') throw invalid(context, 'the registry host is empty');
    if (!hostname.split('.').every((label) => HOST_LABEL.test(label))) {
      throw invalid(context, `'${hostname}' is not a valid host name`);
    }
  }
  let port: number | undefined;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw invalid(context, `'${portText}' is not a port number (1-65535)`);
    }
    port = Number(portText);
  }
  const registry =
    (hostname.includes(':') ? `[${hostname}]` : hostname) + (port === undefined ? '' : `:${port}`);
  return { kind: 'oci', registry, hostname, port, scheme: isLoopbackHost(hostname) ? 'http' : 'https' };
}

function parseHf(input: string, body: string): HfReference {
  const at = body.indexOf('@');
  const path = at < 0 ? body : body.slice(0, at);
  const revision = at < 0 ? undefined : body.slice(at + 1);
  const parts = path.split('/');
  if (parts.length !== 2) throw invalid(input, "a Hub reference is 'hf://owner/name'");
  const [owner = '', name = ''] = parts;
  if (!HF_PART.test(owner)) throw invalid(input, `'${owner}' is not a valid Hub owner`);
  if (!HF_PART.test(name)) throw invalid(input, `'${name}' is not a valid Hub repository name`);
  if (revision !== undefined && (!HF_REVISION.test(revision) || revision.includes('..'))) {
    throw invalid(input, `'${revision}' is not a valid revision`);
  }
  return { kind: 'hf', owner, name, revision };
}

/**
 * Parses an adapter reference. OCI references need an explicit registry host; tag and digest are both
 * optional (the client falls back to the tag `latest`), and when both are given the digest pins the pull.
 */
export function parseReference(input: string): ParsedReference {
  const s = input.trim();
  if (s.startsWith('hf://')) return parseHf(input, s.slice('hf://'.length));
  const body = s.startsWith('oci://') ? s.slice('oci://'.length) : s;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(body)) {
    throw invalid(input, "only 'oci://' and 'hf://' schemes are known; write host[:port]/repository:tag");
  }
  const slash = body.indexOf('/');
  const hostPart = slash < 0 ? '' : body.slice(0, slash);
  // Docker's rule for telling a host from a namespace: a host has a '.' or a ':' or is localhost. Without
  // one the reference would silently go to Docker Hub elsewhere; here the host must be explicit.
  if (
    slash < 0 ||
    !(
      hostPart.includes('.') ||
      hostPart.includes(':') ||
      hostPart.toLowerCase() === 'localhost' ||
      hostPart.startsWith('[')
    )
  ) {
    throw invalid(
      input,
      'expected host[:port]/repository[:tag]; the registry host is required (e.g. ghcr.io/owner/name:v1 or localhost:5000/name:v1)',
    );
  }
  const address = parseOciRegistry(hostPart, input);
  let rest = body.slice(slash + 1);

  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) {
      throw invalid(input, `'${digest}' is not a digest (only sha256:<64 lower-case hex> is supported)`);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isValidTag(tag)) {
      throw invalid(input, `'${tag}' is not a valid tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127})`);
    }
  }
  if (!isValidRepository(rest)) {
    throw invalid(
      input,
      `'${rest}' is not a valid repository name (lower-case components of [a-z0-9] joined by '.', '_', '__' or '-', separated by '/')`,
    );
  }
  return { ...address, repository: rest, tag, digest };
}

/** Parses a registry address for search: `host[:port]`, `hf://` or `hf://owner`. */
export function parseRegistryAddress(input: string): RegistryAddress {
  const s = input.trim();
  if (s.startsWith('hf://')) {
    const owner = s.slice('hf://'.length).replace(/\/$/, '');
    if (owner === '') return { kind: 'hf', owner: undefined };
    if (!HF_PART.test(owner)) throw invalid(input, `'${owner}' is not a valid Hub owner`);
    return { kind: 'hf', owner };
  }
  const body = s.startsWith('oci://') ? s.slice('oci://'.length) : s;
  return parseOciRegistry(body.replace(/\/$/, ''), input);
}

/** Writes an OCI reference back in its canonical form. */
export function formatReference(ref: {
  registry: string;
  repository: string;
  tag?: string | undefined;
  digest?: string | undefined;
}): string {
  return `${ref.registry}/${ref.repository}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}
