// `prompt-adapter pull REF --out DIR`: downloads an adapter version, verifies every file against the digest
// the registry lists for it, and only then writes the folder (atomically: a temp folder renamed into place).
import { formatReference, parseReference } from '../../core/registry/ref.js';
import type { AdapterRef, PulledAdapter } from '../../core/registry/types.js';
import { required } from '../args.js';
import type { Command } from '../args.js';
import {
  asUsage,
  exactlyPositionals,
  hfRegistryFor,
  ociRegistryFor,
  parseWithPositionals,
  withCredentialHint,
  writeAdapterDirAtomic,
} from '../registry-env.js';

const COMMIT_ID = /^[0-9a-f]{40}$/;

async function run(args: string[]): Promise<void> {
  const { values, positionals } = parseWithPositionals(args, {
    out: { type: 'string' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (values.help === true) return void process.stdout.write(pullCommand.usage + '\n');
  const [refText = ''] = exactlyPositionals(positionals, ['REF']);
  const out = required(values.out, '--out');
  const ref = asUsage(() => parseReference(refText));
  let pulled: PulledAdapter;
  let reference: string;
  if (ref.kind === 'oci') {
    const adapterRef: AdapterRef = {
      repository: ref.repository,
      ...(ref.tag === undefined ? {} : { tag: ref.tag }),
      ...(ref.digest === undefined ? {} : { digest: ref.digest }),
    };
    pulled = await withCredentialHint(ociRegistryFor(ref).pull(adapterRef));
    reference = formatReference({
      registry: ref.registry,
      repository: ref.repository,
      tag: ref.tag,
      digest: pulled.digest,
    });
  } else {
    const repository = `${ref.owner}/${ref.name}`;
    const rev = ref.revision;
    const adapterRef: AdapterRef = {
      repository,
      ...(rev === undefined ? {} : COMMIT_ID.test(rev) ? { digest: rev } : { tag: rev }),
    };
    pulled = await hfRegistryFor().pull(adapterRef);
    reference = `hf://${repository}@${pulled.digest}`;
  }
  await writeAdapterDirAtomic(out, pulled.files, values.force === true);
  if (values.json === true) {
    process.stdout.write(
      JSON.stringify({
        reference,
        repository: pulled.repository,
        tag: pulled.tag,
        digest: pulled.digest,
        out,
        files: pulled.files.map((f) => ({ name: f.name, size: f.bytes.byteLength })),
      }) + '\n',
    );
  } else {
    process.stdout.write(`pulled ${reference} into ${out} (${pulled.files.length} files, verified)\n`);
  }
}

export const pullCommand: Command = {
  name: 'pull',
  usage: `  pull      REF --out DIR [--force] [--json]
            Downloads an adapter (REF: host[:port]/repository[:tag][@sha256:…] or hf://owner/name[@revision]),
            checks every file against its digest and writes DIR atomically; nothing is written if a check
            fails. DIR must be new or empty unless --force replaces it.`,
  run,
};
