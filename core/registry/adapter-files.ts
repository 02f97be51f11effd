// What every marketplace backend needs to know about an adapter folder's files, platform-free:
//   - the searchable metadata (`AdapterMeta`) read from PEFT's adapter_config.json plus our optional metadata
//     file (training config, metrics, licence, …) beside it;
//   - the Hugging Face model card (README.md with YAML front matter) that makes a PEFT adapter findable on the
//     Hub: `library_name: peft`, `base_model: <id>` (from which the Hub derives the tag
//     `base_model:adapter:<id>`) and `tags` (https://huggingface.co/docs/hub/model-cards#model-card-metadata).
// The card's YAML is written by hand in a small, fixed subset (block maps and lists, JSON-quoted strings, which
// YAML 1.2 reads as double-quoted scalars), so that no YAML library is needed to write it.

import { ADAPTER_FILE, ANNOTATION, adapterAnnotations, adapterMetaFromAnnotations } from './oci-layout.js';
import { RegistryError } from './types.js';
import type { AdapterArtifact, AdapterFile, AdapterMeta } from './types.js';

/**
 * Names under which our own metadata file may lie beside the PEFT files: `prompt_adapter.json`, the name
 * training writes and publishing carries, then `adapter_metadata.json`, the name of older artifacts.
 */
export const METADATA_FILE_NAMES: readonly string[] = [ADAPTER_FILE.metadata, ADAPTER_FILE.legacyMetadata];

/** The `format` of the metadata file training writes (core/tasks/metadata.ts AdapterMetadata). */
const TRAINING_METADATA_FORMAT = 'prompt-adapter-studio/1';

/** The key of our own block in the model card's front matter. */
export const CARD_METADATA_KEY = 'prompt_adapter';

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function invalid(where: string, why: string): RegistryError {
  return new RegistryError(`${where}: ${why}`, { code: 'INVALID_ARTIFACT' });
}

function fileOf(files: readonly AdapterFile[], name: string): AdapterFile | undefined {
  return files.find((f) => f.name === name);
}

function parseJsonObject(file: AdapterFile, where: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(file.bytes));
  } catch (e) {
    throw invalid(`${where}/${file.name}`, `not valid JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`${where}/${file.name}`, 'expected a JSON object');
  }
  return value as Record<string, unknown>;
}

function optionalString(o: Record<string, unknown>, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string')
    throw invalid(where, `field '${key}' must be a string, got ${JSON.stringify(v)}`);
  return v;
}

/** The metadata file of an adapter folder, if any (either accepted name). */
export function metadataFileOf(files: readonly AdapterFile[]): AdapterFile | undefined {
  for (const name of METADATA_FILE_NAMES) {
    const f = fileOf(files, name);
    if (f !== undefined) return f;
  }
  return undefined;
}

/**
 * Reads `AdapterMeta` from an adapter folder's files: base model from `base_model_name_or_path`, method from
 * `peft_type`, task from `task_type`, virtual tokens from `num_virtual_tokens` (adapter_config.json), then the
 * metadata file's fields (camelCase keys of `AdapterMeta`) on top, and `overrides` last.
 * `where` names the folder for messages.
 */
export function adapterMetaFromFiles(
  files: readonly AdapterFile[],
  where: string,
  overrides: Partial<AdapterMeta> = {},
): AdapterMeta {
  const configFile = fileOf(files, ADAPTER_FILE.config);
  if (configFile === undefined) {
    throw invalid(where, `no ${ADAPTER_FILE.config}: an adapter folder is PEFT's save_pretrained layout`);
  }
  if (fileOf(files, ADAPTER_FILE.weights) === undefined) {
    throw invalid(where, `no ${ADAPTER_FILE.weights} beside ${ADAPTER_FILE.config}`);
  }
  const cfg = parseJsonObject(configFile, where);
  const cfgWhere = `${where}/${ADAPTER_FILE.config}`;
  const meta: Record<string, unknown> = {};
  const baseModel = optionalString(cfg, 'base_model_name_or_path', cfgWhere);
  const method = optionalString(cfg, 'peft_type', cfgWhere);
  const task = optionalString(cfg, 'task_type', cfgWhere);
  const tokens = cfg.num_virtual_tokens;
  if (baseModel !== undefined) meta.baseModel = baseModel;
  if (method !== undefined) meta.method = method;
  if (task !== undefined) meta.task = task;
  if (tokens !== undefined && tokens !== null) {
    if (typeof tokens !== 'number' || !Number.isInteger(tokens) || tokens <= 0) {
      throw invalid(
        cfgWhere,
        `'num_virtual_tokens' must be a positive integer, got ${JSON.stringify(tokens)}`,
      );
    }
    meta.virtualTokens = tokens;
  }

  const metaFile = metadataFileOf(files);
  const metaJson = metaFile === undefined ? undefined : parseJsonObject(metaFile, where);
  if (metaFile !== undefined && metaJson?.format === TRAINING_METADATA_FORMAT) {
    Object.assign(meta, metaFromTrainingMetadata(metaJson, `${where}/${metaFile.name}`));
  } else if (metaFile !== undefined && metaJson !== undefined) {
    const m = metaJson;
    const metaWhere = `${where}/${metaFile.name}`;
    for (const key of [
      'baseModel',
      'baseFingerprint',
      'task',
      'license',
      'description',
      'source',
      'version',
      'created',
    ] as const) {
      const v = optionalString(m, key, metaWhere);
      if (v !== undefined) meta[key] = v;
    }
    const metrics = m.metrics;
    if (metrics !== undefined && metrics !== null) {
      if (typeof metrics !== 'object' || Array.isArray(metrics)) {
        throw invalid(metaWhere, "'metrics' must be an object of numbers");
      }
      const numbers: Record<string, number> = {};
      for (const [k, v] of Object.entries(metrics as Record<string, unknown>)) {
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          throw invalid(metaWhere, `metric '${k}' must be a finite number, got ${JSON.stringify(v)}`);
        }
        numbers[k] = v;
      }
      meta.metrics = numbers;
    }
  }
  for (const [k, v] of Object.entries(overrides)) meta[k] = v;

  for (const [key, source] of [
    ['baseModel', 'base_model_name_or_path'],
    ['method', 'peft_type'],
    ['task', 'task_type'],
    ['virtualTokens', 'num_virtual_tokens'],
  ] as const) {
    const v = meta[key];
    if (v === undefined || v === '') {
      throw invalid(cfgWhere, `'${source}' is missing; the registry needs it to describe the adapter`);
    }
  }
  return meta as unknown as AdapterMeta;
}

/**
 * The searchable fields of training's own metadata (format `prompt-adapter-studio/1`): the base model's name,
 * its fingerprint as `sha256:<hex of the float32 embedding matrix>`, the task, the creation date and the
 * top-level numeric metrics (per-class tables and confusion matrices stay in the file).
 */
function metaFromTrainingMetadata(m: Record<string, unknown>, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const base = m.baseModel;
  if (typeof base === 'object' && base !== null && !Array.isArray(base)) {
    const { name, fingerprint } = base as { name?: unknown; fingerprint?: unknown };
    if (typeof name === 'string' && name !== '') out.baseModel = name;
    const hex =
      typeof fingerprint === 'object' && fingerprint !== null
        ? (fingerprint as { embeddingSha256?: unknown }).embeddingSha256
        : undefined;
    if (typeof hex === 'string' && /^[a-f0-9]{64}$/.test(hex)) out.baseFingerprint = `sha256:${hex}`;
  } else if (base !== undefined) {
    throw invalid(where, "'baseModel' must be an object {name, fingerprint}");
  }
  const task = optionalString(m, 'task', where);
  if (task !== undefined) out.task = task;
  const created = optionalString(m, 'created', where);
  if (created !== undefined) out.created = created;
  const metrics = m.metrics;
  if (typeof metrics === 'object' && metrics !== null && !Array.isArray(metrics)) {
    const numbers: Record<string, number> = {};
    for (const [k, v] of Object.entries(metrics as Record<string, unknown>))
      if (typeof v === 'number' && Number.isFinite(v)) numbers[k] = v;
    out.metrics = numbers;
  }
  return out;
}

/** An artifact from an adapter folder's files: the files as they are, annotations from their metadata. */
export function artifactFromFiles(
  files: readonly AdapterFile[],
  where: string,
  overrides: Partial<AdapterMeta> = {},
): AdapterArtifact & { meta: AdapterMeta } {
  const meta = adapterMetaFromFiles(files, where, overrides);
  return { files, annotations: adapterAnnotations(meta), meta };
}

/** Metadata of an artifact: from its annotations when they carry it, else from its files. */
export function metaOfArtifact(artifact: AdapterArtifact, where: string): AdapterMeta {
  return adapterMetaFromAnnotations(artifact.annotations) ?? adapterMetaFromFiles(artifact.files, where);
}

// ---------------------------------------------------------------------------------------------------------
// Hub tags and the model card

/** `PREFIX_TUNING` → `prefix-tuning`, `CAUSAL_LM` → `causal-lm`: the Hub's tags are lower-case with dashes. */
export function hubTag(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/[_\s]+/g, '-');
}

/** The tags a published adapter carries: `peft`, its method and its task. */
export function cardTags(meta: AdapterMeta): string[] {
  return [...new Set(['peft', hubTag(meta.method), hubTag(meta.task)])];
}

function q(s: string): string {
  return JSON.stringify(s);
}

/** Splits a Markdown file into its YAML front matter (without the `---` lines) and the body. */
export function splitFrontMatter(text: string): { frontMatter: string | undefined; body: string } {
  const m = /^---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(text);
  if (m === null) return { frontMatter: undefined, body: text };
  return { frontMatter: m[1] ?? '', body: text.slice(m[0].length) };
}

/**
 * The README.md of a published adapter: our front matter (replacing any the folder's README had) followed by
 * the folder's README body, or a short generated description when there is none.
 */
export function buildModelCard(meta: AdapterMeta, repository: string, readme?: Uint8Array): Uint8Array {
  const lines = ['---', 'library_name: peft', `base_model: ${q(meta.baseModel)}`, 'tags:'];
  for (const t of cardTags(meta)) lines.push(`- ${q(t)}`);
  if (meta.license !== undefined) lines.push(`license: ${q(meta.license)}`);
  lines.push(`${CARD_METADATA_KEY}:`);
  lines.push(`  method: ${q(meta.method)}`);
  lines.push(`  task: ${q(meta.task)}`);
  lines.push(`  virtual_tokens: ${meta.virtualTokens}`);
  const optional: [string, string | undefined][] = [
    ['base_fingerprint', meta.baseFingerprint],
    ['description', meta.description],
    ['source', meta.source],
    ['version', meta.version],
    ['created', meta.created],
    ['metrics', meta.metrics === undefined ? undefined : JSON.stringify(meta.metrics)],
  ];
  for (const [k, v] of optional) if (v !== undefined) lines.push(`  ${k}: ${q(v)}`);
  lines.push('---', '');
  let body = readme === undefined ? '' : splitFrontMatter(decoder.decode(readme)).body;
  if (body.trim() === '') {
    body = [
      `# ${repository}`,
      '',
      `A ${meta.method} adapter (${meta.virtualTokens} virtual tokens) for \`${meta.baseModel}\`, task ${meta.task}.`,
      meta.description === undefined ? '' : `\n${meta.description}`,
      '',
      'Load it with PEFT (`PeftModel.from_pretrained(base, "<this repo>")`) or with Prompt Adapter Studio.',
      '',
    ].join('\n');
  }
  return encoder.encode(lines.join('\n') + body);
}

function stringOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** Hub `tags` that name a prompt-learning method, back to PEFT's `peft_type`. */
const METHOD_TAGS: Readonly<Record<string, string>> = {
  'prompt-tuning': 'PROMPT_TUNING',
  'prefix-tuning': 'PREFIX_TUNING',
  'p-tuning': 'P_TUNING',
};

/**
 * Annotations (the OCI backend's vocabulary) for a Hub model from its parsed card data (`cardData`, as the Hub
 * API returns it) and tags. Undefined when the model is not a prompt-learning adapter we can describe.
 */
export function annotationsFromCard(
  cardData: unknown,
  tags: readonly string[],
): Record<string, string> | undefined {
  const card = (typeof cardData === 'object' && cardData !== null ? cardData : {}) as Record<string, unknown>;
  const ours = card[CARD_METADATA_KEY];
  const block = (typeof ours === 'object' && ours !== null ? ours : {}) as Record<string, unknown>;
  const base = card.base_model;
  const baseModel =
    stringOf(base) ??
    (Array.isArray(base) ? stringOf(base[0]) : undefined) ??
    tags.find((t) => t.startsWith('base_model:adapter:'))?.slice('base_model:adapter:'.length);
  const method =
    stringOf(block.method) ?? tags.map((t) => METHOD_TAGS[t]).find((m): m is string => m !== undefined);
  const task = stringOf(block.task);
  const tokens = Number(stringOf(block.virtual_tokens));
  if (baseModel === undefined || method === undefined) return undefined;
  let metrics: Record<string, number> | undefined;
  const metricsText = stringOf(block.metrics);
  if (metricsText !== undefined) {
    try {
      const parsed: unknown = JSON.parse(metricsText);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        metrics = {};
        for (const [k, v] of Object.entries(parsed)) if (typeof v === 'number') metrics[k] = v;
      }
    } catch {
      metrics = undefined;
    }
  }
  const meta: Record<string, unknown> = {
    baseModel,
    method,
    task: task ?? '',
    virtualTokens: Number.isInteger(tokens) ? tokens : 0,
  };
  const optional: Record<string, unknown> = {
    license: stringOf(card.license),
    baseFingerprint: stringOf(block.base_fingerprint),
    description: stringOf(block.description),
    source: stringOf(block.source),
    version: stringOf(block.version),
    created: stringOf(block.created),
    metrics,
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) meta[k] = v;
  // Fields the card did not say stay absent rather than being invented.
  return Object.fromEntries(
    Object.entries(adapterAnnotations(meta as unknown as AdapterMeta)).filter(
      ([k]) =>
        !(k === ANNOTATION.task && task === undefined) &&
        !(k === ANNOTATION.virtualTokens && !Number.isInteger(tokens)),
    ),
  );
}
