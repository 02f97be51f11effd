// `prompt-adapter search REGISTRY [--base-model ID] [--task T] --json`: lists adapter versions, one JSON
// object per version per line with --json (repository, tag, digest, reference and the searchable metadata).
import { adapterMetaFromAnnotations } from '../../core/registry/oci-layout.js';
import { formatReference, parseRegistryAddress } from '../../core/registry/ref.js';
import type { SearchResult } from '../../core/registry/types.js';
import { UsageError, numberFlag } from '../args.js';
import type { Command } from '../args.js';
import {
  asUsage,
  exactlyPositionals,
  hfRegistryFor,
  ociRegistryFor,
  parseWithPositionals,
  withCredentialHint,
} from '../registry-env.js';

async function run(args: string[]): Promise<void> {
  const { values, positionals } = parseWithPositionals(args, {
    'base-model': { type: 'string' },
    task: { type: 'string' },
    text: { type: 'string' },
    repository: { type: 'string', multiple: true },
    limit: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help === true) return void process.stdout.write(searchCommand.usage + '\n');
  const [registryText = ''] = exactlyPositionals(positionals, ['REGISTRY']);
  const address = asUsage(() => parseRegistryAddress(registryText));
  const limit = numberFlag(values.limit, '--limit', true);
  if (limit !== undefined && limit < 1) throw new UsageError('--limit must be 1 or more');
  const query = {
    ...(values['base-model'] === undefined ? {} : { baseModel: values['base-model'] }),
    ...(values.task === undefined ? {} : { task: values.task }),
    ...(values.text === undefined ? {} : { text: values.text }),
    ...(values.repository === undefined ? {} : { repositories: values.repository }),
    ...(limit === undefined ? {} : { limit }),
  };
  let results: SearchResult[];
  let referenceOf: (r: SearchResult) => string;
  let registry: string;
  if (address.kind === 'oci') {
    results = await withCredentialHint(ociRegistryFor(address).search(query));
    registry = address.registry;
    referenceOf = (r) =>
      formatReference({ registry: address.registry, repository: r.repository, tag: r.tag });
  } else {
    results = await hfRegistryFor().search({
      ...query,
      ...(address.owner === undefined ? {} : { owner: address.owner }),
    });
    registry = address.owner === undefined ? 'hf://' : `hf://${address.owner}`;
    referenceOf = (r) => `hf://${r.repository}`;
  }
  for (const r of results) {
    const meta = adapterMetaFromAnnotations(r.annotations);
    if (values.json === true) {
      process.stdout.write(
        JSON.stringify({
          registry,
          repository: r.repository,
          tag: r.tag,
          digest: r.digest,
          reference: referenceOf(r),
          ...(meta ?? {}),
          annotations: r.annotations,
        }) + '\n',
      );
    } else {
      const what =
        meta === undefined
          ? ''
          : `  ${meta.method} ${meta.task} on ${meta.baseModel} (${meta.virtualTokens} tokens)`;
      process.stdout.write(`${referenceOf(r)}  ${r.digest}${what}\n`);
    }
  }
  if (values.json !== true && results.length === 0) process.stderr.write('no adapters found\n');
}

export const searchCommand: Command = {
  name: 'search',
  usage: `  search    REGISTRY [--base-model ID] [--task T] [--text S] [--repository R]... [--limit N] [--json]
            Lists adapter versions in REGISTRY (host[:port] for OCI, hf:// or hf://owner for the Hub); with
            --json one object per version per line (registry, repository, tag, digest, reference, metadata).
            --repository names the repositories to look in when the registry does not list its catalog.`,
  run,
};
