// `prompt-adapter publish ADAPTER_DIR REF`: publishes a PEFT adapter folder to an OCI registry
// (host[:port]/repository:tag) or to the Hugging Face Hub (hf://owner/name).
import { artifactFromFiles } from '../../core/registry/adapter-files.js';
import { formatReference, parseReference } from '../../core/registry/ref.js';
import type { AdapterMeta } from '../../core/registry/types.js';
import { UsageError } from '../args.js';
import type { Command } from '../args.js';
import {
  asUsage,
  exactlyPositionals,
  hfRegistryFor,
  ociRegistryFor,
  parseWithPositionals,
  withCredentialHint,
  readAdapterDir,
} from '../registry-env.js';

async function run(args: string[]): Promise<void> {
  const { values, positionals } = parseWithPositionals(args, {
    license: { type: 'string' },
    description: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help === true) return void process.stdout.write(publishCommand.usage + '\n');
  const [dir = '', refText = ''] = exactlyPositionals(positionals, ['ADAPTER_DIR', 'REF']);
  const ref = asUsage(() => parseReference(refText));
  const overrides: Partial<AdapterMeta> = {
    ...(values.license === undefined ? {} : { license: values.license }),
    ...(values.description === undefined ? {} : { description: values.description }),
  };
  const artifact = artifactFromFiles(readAdapterDir(dir), dir, overrides);
  let reference: string;
  let published;
  if (ref.kind === 'oci') {
    if (ref.tag === undefined) {
      throw new UsageError(
        `${refText}: give a version tag (e.g. ${formatReference({ registry: ref.registry, repository: ref.repository, tag: 'v1' })})`,
      );
    }
    published = await withCredentialHint(
      ociRegistryFor(ref).publish({ repository: ref.repository, tag: ref.tag }, artifact),
    );
    reference = formatReference({ registry: ref.registry, repository: ref.repository, tag: published.tag });
  } else {
    const repository = `${ref.owner}/${ref.name}`;
    published = await hfRegistryFor().publish(
      { repository, ...(ref.revision === undefined ? {} : { tag: ref.revision }) },
      artifact,
    );
    reference = `hf://${repository}`;
  }
  if (values.json === true) {
    process.stdout.write(
      JSON.stringify({
        reference,
        repository: published.repository,
        tag: published.tag,
        digest: published.digest,
        size: published.size,
        baseModel: artifact.meta.baseModel,
        method: artifact.meta.method,
        task: artifact.meta.task,
        virtualTokens: artifact.meta.virtualTokens,
      }) + '\n',
    );
  } else {
    process.stdout.write(`published ${reference} (${published.digest})\n`);
  }
}

export const publishCommand: Command = {
  name: 'publish',
  usage: `  publish   ADAPTER_DIR REF [--license SPDX] [--description TEXT] [--json]
            Publishes a PEFT adapter folder (adapter_config.json, adapter_model.safetensors, optional README.md
            and adapter_metadata.json / prompt_adapter.json). REF is host[:port]/repository:tag (OCI registry)
            or hf://owner/name (Hugging Face Hub). Credentials: PROMPT_ADAPTER_REGISTRY_USER/_PASSWORD or
            ~/.docker/config.json for OCI, HF_TOKEN for the Hub (HF_ENDPOINT overrides its address).`,
  run,
};
