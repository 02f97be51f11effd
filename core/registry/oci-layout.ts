// How an adapter is laid out as an OCI 1.1 artifact (image-spec 1.1, manifest.md "Guidelines for Artifact
// Usage"): an image manifest with our own `artifactType`, the well-known empty config, and one layer per
// file, each named by `org.opencontainers.image.title`:
//
//   { "schemaVersion": 2,
//     "mediaType": "application/vnd.oci.image.manifest.v1+json",
//     "artifactType": "application/vnd.promptadapter.adapter.v1+json",
//     "config": { "mediaType": "application/vnd.oci.empty.v1+json", "digest": "sha256:44136fa3…", "size": 2 },
//     "layers": [ { "mediaType": "application/vnd.promptadapter.adapter.config.v1+json", "digest": …, "size": …,
//                   "annotations": { "org.opencontainers.image.title": "adapter_config.json" } }, … ],
//     "annotations": { "org.opencontainers.image.created": …, "io.promptadapter.base-model": …, … } }
//
// Searchable metadata lives in the manifest annotations, so that a search reads one small manifest per
// version and no blob. Evaluation reports are separate artifacts whose `subject` is the adapter manifest.

import { isDigest } from './ref.js';
import { RegistryError } from './types.js';
import type { AdapterFile, AdapterMeta } from './types.js';

export const MEDIA_TYPE = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  empty: 'application/vnd.oci.empty.v1+json',
  /** `artifactType` of an adapter version. */
  adapter: 'application/vnd.promptadapter.adapter.v1+json',
  adapterConfig: 'application/vnd.promptadapter.adapter.config.v1+json',
  weights: 'application/vnd.promptadapter.adapter.weights.v1+safetensors',
  metadata: 'application/vnd.promptadapter.adapter.metadata.v1+json',
  readme: 'text/markdown',
  /** Any other file of the adapter folder. */
  file: 'application/octet-stream',
  /** `artifactType` and layer type of an evaluation report attached to an adapter. */
  evalReport: 'application/vnd.promptadapter.eval-report.v1+json',
} as const;

/** The empty config every artifact uses: the two bytes `{}`. */
export const EMPTY_CONFIG_BYTES: Uint8Array<ArrayBuffer> = new Uint8Array([0x7b, 0x7d]);
export const EMPTY_CONFIG_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

/** The file names of an adapter folder (PEFT's `save_pretrained` plus ours). */
export const ADAPTER_FILE = {
  config: 'adapter_config.json',
  weights: 'adapter_model.safetensors',
  /** Our metadata, under the name training writes it (core/tasks/metadata.ts METADATA_FILE). */
  metadata: 'prompt_adapter.json',
  /** The metadata file's name in artifacts published before the names were unified: still read, never written. */
  legacyMetadata: 'adapter_metadata.json',
  readme: 'README.md',
  evalReport: 'eval_report.json',
} as const;

export const ANNOTATION = {
  title: 'org.opencontainers.image.title',
  created: 'org.opencontainers.image.created',
  licenses: 'org.opencontainers.image.licenses',
  source: 'org.opencontainers.image.source',
  description: 'org.opencontainers.image.description',
  version: 'org.opencontainers.image.version',
  baseModel: 'io.promptadapter.base-model',
  baseFingerprint: 'io.promptadapter.base-fingerprint',
  method: 'io.promptadapter.method',
  task: 'io.promptadapter.task',
  virtualTokens: 'io.promptadapter.virtual-tokens',
  metrics: 'io.promptadapter.metrics',
} as const;

/** Manifests larger than this are refused (the distribution spec's suggested limit for registries). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface OciManifest {
  readonly schemaVersion: 2;
  readonly mediaType: string;
  readonly artifactType?: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface OciIndex {
  readonly schemaVersion: 2;
  readonly mediaType: string;
  readonly artifactType?: string;
  readonly manifests: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
}

export function mediaTypeForFile(name: string): string {
  switch (name) {
    case ADAPTER_FILE.config:
      return MEDIA_TYPE.adapterConfig;
    case ADAPTER_FILE.weights:
      return MEDIA_TYPE.weights;
    case ADAPTER_FILE.metadata:
    case ADAPTER_FILE.legacyMetadata:
      return MEDIA_TYPE.metadata;
    case ADAPTER_FILE.readme:
      return MEDIA_TYPE.readme;
    case ADAPTER_FILE.evalReport:
      return MEDIA_TYPE.evalReport;
    default:
      return MEDIA_TYPE.file;
  }
}

// Path separators and control characters.
// eslint-disable-next-line no-control-regex
const UNSAFE_NAME_CHAR = /[/\\\u0000-\u001f\u007f]/;

/**
 * A file name that is safe to write into a folder: no directory parts, no `.`/`..`, no control characters.
 * Checked on publish and again on pull, because a manifest from a registry is untrusted input.
 */
export function isSafeFileName(name: string): boolean {
  return (
    name.length > 0 && name.length <= 255 && name !== '.' && name !== '..' && !UNSAFE_NAME_CHAR.test(name)
  );
}

/** Annotations for an adapter from its metadata (strings only, as OCI requires). */
export function adapterAnnotations(meta: AdapterMeta): Record<string, string> {
  const a: Record<string, string> = {};
  if (meta.created !== undefined) a[ANNOTATION.created] = meta.created;
  if (meta.license !== undefined) a[ANNOTATION.licenses] = meta.license;
  if (meta.source !== undefined) a[ANNOTATION.source] = meta.source;
  if (meta.description !== undefined) a[ANNOTATION.description] = meta.description;
  if (meta.version !== undefined) a[ANNOTATION.version] = meta.version;
  a[ANNOTATION.baseModel] = meta.baseModel;
  if (meta.baseFingerprint !== undefined) a[ANNOTATION.baseFingerprint] = meta.baseFingerprint;
  a[ANNOTATION.method] = meta.method;
  a[ANNOTATION.task] = meta.task;
  a[ANNOTATION.virtualTokens] = String(meta.virtualTokens);
  if (meta.metrics !== undefined) a[ANNOTATION.metrics] = JSON.stringify(meta.metrics);
  return a;
}

/**
 * Reads the metadata back from annotations. Lenient about what others wrote: returns undefined when a required
 * field (base model, method, task, virtual tokens) is missing, and drops metrics that are not numbers.
 */
export function adapterMetaFromAnnotations(a: Readonly<Record<string, string>>): AdapterMeta | undefined {
  const baseModel = a[ANNOTATION.baseModel];
  const method = a[ANNOTATION.method];
  const task = a[ANNOTATION.task];
  const virtualTokens = Number(a[ANNOTATION.virtualTokens]);
  if (
    baseModel === undefined ||
    method === undefined ||
    task === undefined ||
    !Number.isInteger(virtualTokens)
  ) {
    return undefined;
  }
  let metrics: Record<string, number> | undefined;
  const metricsText = a[ANNOTATION.metrics];
  if (metricsText !== undefined) {
    try {
      const parsed: unknown = JSON.parse(metricsText);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        metrics = {};
        for (const [k, v] of Object.entries(parsed))
          if (typeof v === 'number' && Number.isFinite(v)) metrics[k] = v;
      }
    } catch {
      metrics = undefined;
    }
  }
  const optional = {
    created: a[ANNOTATION.created],
    license: a[ANNOTATION.licenses],
    source: a[ANNOTATION.source],
    description: a[ANNOTATION.description],
    version: a[ANNOTATION.version],
    baseFingerprint: a[ANNOTATION.baseFingerprint],
    metrics,
  };
  const meta: Record<string, unknown> = { baseModel, method, task, virtualTokens };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) meta[k] = v;
  return meta as unknown as AdapterMeta;
}

/** The manifest of an artifact and its exact bytes (their sha256 is the version's digest). */
export interface BuiltManifest {
  readonly manifest: OciManifest;
  readonly bytes: Uint8Array<ArrayBuffer>;
}

const encoder = new TextEncoder();

/** Serializes a manifest compactly; the bytes are what gets pushed and hashed. */
export function encodeJson(value: unknown): Uint8Array<ArrayBuffer> {
  return encoder.encode(JSON.stringify(value));
}

/**
 * Builds an artifact manifest from already-digested files. `files` keep their order as layers.
 */
export function buildArtifactManifest(args: {
  artifactType: string;
  layers: readonly { name: string; digest: string; size: number; mediaType?: string }[];
  annotations: Readonly<Record<string, string>>;
  subject?: Descriptor;
}): BuiltManifest {
  const manifest: OciManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.manifest,
    artifactType: args.artifactType,
    config: { mediaType: MEDIA_TYPE.empty, digest: EMPTY_CONFIG_DIGEST, size: EMPTY_CONFIG_BYTES.byteLength },
    layers: args.layers.map((f) => ({
      mediaType: f.mediaType ?? mediaTypeForFile(f.name),
      digest: f.digest,
      size: f.size,
      annotations: { [ANNOTATION.title]: f.name },
    })),
    ...(args.subject === undefined ? {} : { subject: args.subject }),
    ...(Object.keys(args.annotations).length === 0 ? {} : { annotations: { ...args.annotations } }),
  };
  return { manifest, bytes: encodeJson(manifest) };
}

/** Checks the files of an artifact before anything is uploaded. */
export function validateArtifactFiles(files: readonly AdapterFile[], where: string): void {
  if (files.length === 0) {
    throw new RegistryError(
      `${where}: the artifact has no files; an adapter needs at least ${ADAPTER_FILE.config}`,
      {
        code: 'INVALID_ARTIFACT',
      },
    );
  }
  const seen = new Set<string>();
  for (const f of files) {
    if (!isSafeFileName(f.name)) {
      throw new RegistryError(
        `${where}: '${f.name}' is not a plain file name (no directories, '.', '..' or control characters)`,
        {
          code: 'INVALID_ARTIFACT',
        },
      );
    }
    if (seen.has(f.name)) {
      throw new RegistryError(`${where}: the file '${f.name}' appears twice`, { code: 'INVALID_ARTIFACT' });
    }
    seen.add(f.name);
  }
}

export function validateAnnotations(annotations: Readonly<Record<string, string>>, where: string): void {
  for (const [k, v] of Object.entries(annotations)) {
    if (k === '' || typeof v !== 'string') {
      throw new RegistryError(`${where}: annotation '${k}' must be a non-empty key with a string value`, {
        code: 'INVALID_ARTIFACT',
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Parsing: manifests come from the network, so every field is checked before use.

function fail(what: string, why: string): RegistryError {
  return new RegistryError(`${what}: ${why}`, { code: 'INVALID_MANIFEST' });
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function parseAnnotations(v: unknown, what: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  const r = asRecord(v);
  if (r === undefined) throw fail(what, "'annotations' is not an object");
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(r)) {
    if (typeof val !== 'string') throw fail(what, `annotation '${k}' is not a string`);
    out[k] = val;
  }
  return out;
}

export function parseDescriptor(v: unknown, what: string): Descriptor {
  const r = asRecord(v);
  if (r === undefined) throw fail(what, 'descriptor is not an object');
  const { mediaType, digest, size, artifactType } = r;
  if (typeof mediaType !== 'string' || mediaType === '') throw fail(what, "descriptor has no 'mediaType'");
  if (typeof digest !== 'string') throw fail(what, "descriptor has no 'digest'");
  if (!isDigest(digest)) {
    throw fail(what, `digest '${digest}' is not sha256:<64 hex> (other algorithms are not supported)`);
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw fail(what, `descriptor ${digest} has an invalid 'size'`);
  }
  const annotations = parseAnnotations(r.annotations, what);
  return {
    mediaType,
    digest,
    size,
    ...(typeof artifactType === 'string' ? { artifactType } : {}),
    ...(annotations === undefined ? {} : { annotations }),
  };
}

function parseJsonObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw fail(what, `not valid UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const r = asRecord(parsed);
  if (r === undefined) throw fail(what, 'not a JSON object');
  if (r.schemaVersion !== 2)
    throw fail(what, `schemaVersion is ${JSON.stringify(r.schemaVersion)}, expected 2`);
  return r;
}

/** Parses an OCI (or Docker v2) image manifest. */
export function parseManifest(bytes: Uint8Array, what: string, servedMediaType?: string): OciManifest {
  const r = parseJsonObject(bytes, what);
  const mediaType = typeof r.mediaType === 'string' ? r.mediaType : (servedMediaType ?? MEDIA_TYPE.manifest);
  if (mediaType !== MEDIA_TYPE.manifest && mediaType !== MEDIA_TYPE.dockerManifest) {
    throw fail(what, `media type '${mediaType}' is not an image manifest`);
  }
  if (!Array.isArray(r.layers)) throw fail(what, "'layers' is missing");
  const annotations = parseAnnotations(r.annotations, what);
  return {
    schemaVersion: 2,
    mediaType,
    ...(typeof r.artifactType === 'string' ? { artifactType: r.artifactType } : {}),
    config: parseDescriptor(r.config, `${what} (config)`),
    layers: r.layers.map((l: unknown, i) => parseDescriptor(l, `${what} (layer ${i})`)),
    ...(r.subject === undefined ? {} : { subject: parseDescriptor(r.subject, `${what} (subject)`) }),
    ...(annotations === undefined ? {} : { annotations }),
  };
}

/** Parses an OCI image index (the referrers list and its tag-schema fallback). */
export function parseIndex(bytes: Uint8Array, what: string): OciIndex {
  const r = parseJsonObject(bytes, what);
  if (!Array.isArray(r.manifests)) throw fail(what, "'manifests' is missing");
  const annotations = parseAnnotations(r.annotations, what);
  return {
    schemaVersion: 2,
    mediaType: typeof r.mediaType === 'string' ? r.mediaType : MEDIA_TYPE.index,
    ...(typeof r.artifactType === 'string' ? { artifactType: r.artifactType } : {}),
    manifests: r.manifests.map((m: unknown, i) => parseDescriptor(m, `${what} (manifest ${i})`)),
    ...(annotations === undefined ? {} : { annotations }),
  };
}

/** The artifact type of a manifest: `artifactType`, else the config media type (the OCI 1.1 rule). */
export function artifactTypeOf(m: OciManifest): string {
  return m.artifactType ?? m.config.mediaType;
}

/** The tag under which the referrers of `digest` are listed when the registry lacks the referrers API. */
export function referrersTag(digest: string): string {
  return digest.replace(':', '-');
}

/** Tags that are referrer indexes (`sha256-<hex>`), not versions. */
export function isReferrersTag(tag: string): boolean {
  return /^sha256-[a-f0-9]{64}$/.test(tag);
}

/**
 * Does `query.text` (case-insensitive) occur in one of `names` (repository, tag) or in the version's
 * description, base model or task annotation? True when there is no text.
 */
export function searchTextMatches(
  text: string | undefined,
  names: readonly string[],
  annotations: Readonly<Record<string, string>>,
): boolean {
  if (text === undefined) return true;
  const hay = [
    ...names,
    annotations[ANNOTATION.description] ?? '',
    annotations[ANNOTATION.baseModel] ?? '',
    annotations[ANNOTATION.task] ?? '',
  ]
    .join('\n')
    .toLowerCase();
  return hay.includes(text.toLowerCase());
}

/** A version's annotations against a SearchQuery: exact base model, exact task, text (searchTextMatches). */
export function matchesSearch(
  query: { readonly baseModel?: string; readonly task?: string; readonly text?: string },
  names: readonly string[],
  annotations: Readonly<Record<string, string>>,
): boolean {
  if (query.baseModel !== undefined && annotations[ANNOTATION.baseModel] !== query.baseModel) return false;
  if (query.task !== undefined && annotations[ANNOTATION.task] !== query.task) return false;
  return searchTextMatches(query.text, names, annotations);
}
