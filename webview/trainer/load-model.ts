// Loads a Hugging Face model folder over HTTP(S) (in VS Code: the webview URIs the host hands out) with the same
// core parsers the CLI uses on files: parseModelConfig, parseSafetensors + weightsFromSafetensors,
// Tokenizer.fromJson, createModel. Single-file safetensors only (sharded folders: not yet).
import { parseModelConfig } from '../../core/formats/hfconfig.js';
import type { ModelConfig } from '../../core/formats/hfconfig.js';
import { parseSafetensors } from '../../core/formats/safetensors.js';
import { weightsFromSafetensors } from '../../core/formats/weights.js';
import { createModel } from '../../core/model/index.js';
import type { FrozenTransformer } from '../../core/model/types.js';
import { Tokenizer } from '../../core/tokenizer/index.js';

export class ModelFetchError extends Error {
  override readonly name = 'ModelFetchError';
}

export interface FetchedModel {
  readonly config: ModelConfig;
  readonly model: FrozenTransformer;
  readonly tokenizer: Tokenizer;
  /** tokenizer.json as fetched (the base-model fingerprint hashes this text, as the CLI hashes the file) */
  readonly tokenizerJsonText: string;
}

/** Where each file of the folder is: a base URL ending in '/' or a map from file name to URL. */
export type ModelLocation = string | ReadonlyMap<string, string>;

function urlOf(location: ModelLocation, name: string): string | undefined {
  if (typeof location === 'string') return new URL(name, location).href;
  return location.get(name);
}

async function fetchOk(location: ModelLocation, name: string, fetcher: typeof fetch): Promise<Response> {
  const url = urlOf(location, name);
  if (url === undefined)
    throw new ModelFetchError(
      `the model folder has no ${name} (it needs config.json, model.safetensors and tokenizer.json)`,
    );
  const response = await fetcher(url);
  if (!response.ok) {
    throw new ModelFetchError(
      `${url}: HTTP ${response.status} ${response.statusText} while loading the model's ${name}`,
    );
  }
  return response;
}

async function fetchJsonText(
  location: ModelLocation,
  name: string,
  fetcher: typeof fetch,
): Promise<{ json: unknown; text: string }> {
  const response = await fetchOk(location, name, fetcher);
  const text = await response.text();
  try {
    return { json: JSON.parse(text) as unknown, text };
  } catch (e) {
    throw new ModelFetchError(`${response.url}: ${name} is not valid JSON (${(e as Error).message})`);
  }
}

async function fetchJson(location: ModelLocation, name: string, fetcher: typeof fetch): Promise<unknown> {
  return (await fetchJsonText(location, name, fetcher)).json;
}

/** Fetches and builds the model; tokenizer_config.json is optional (a 404 is fine), the rest required. */
export async function fetchModel(
  location: ModelLocation,
  fetcher: typeof fetch = fetch,
): Promise<FetchedModel> {
  const [rawConfig, weightsBytes, tokenizerFile] = await Promise.all([
    fetchJson(location, 'config.json', fetcher),
    fetchOk(location, 'model.safetensors', fetcher).then(async (r) => new Uint8Array(await r.arrayBuffer())),
    fetchJsonText(location, 'tokenizer.json', fetcher),
  ]);
  let tokenizerConfig: unknown;
  const tokenizerConfigUrl = urlOf(location, 'tokenizer_config.json');
  if (tokenizerConfigUrl !== undefined) {
    const response = await fetcher(tokenizerConfigUrl);
    if (response.ok) tokenizerConfig = (await response.json()) as unknown;
  }
  const config = parseModelConfig(rawConfig, 'config.json');
  const weights = weightsFromSafetensors(parseSafetensors(weightsBytes, { source: 'model.safetensors' }));
  const model = createModel(config, weights);
  const tokenizer = Tokenizer.fromJson(tokenizerFile.json, tokenizerConfig, 'tokenizer.json');
  return { config, model, tokenizer, tokenizerJsonText: tokenizerFile.text };
}
