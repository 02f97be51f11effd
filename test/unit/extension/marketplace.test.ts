// The pure parts of the marketplace in the editor (extension/logic/marketplace.ts) and the unified metadata
// file name of published adapters (core/registry: prompt_adapter.json, adapter_metadata.json still read).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { adapterMetaFromFiles, METADATA_FILE_NAMES } from '../../../core/registry/adapter-files.js';
import {
  ADAPTER_FILE,
  ANNOTATION,
  MEDIA_TYPE,
  OciRegistry,
  mediaTypeForFile,
} from '../../../core/registry/oci.js';
import { RegistryError } from '../../../core/registry/types.js';
import type { SearchResult } from '../../../core/registry/types.js';
import {
  compatibilityOf,
  configuredRegistry,
  detailsHtml,
  dockerConfigCredentials,
  filterChoices,
  filterDescription,
  fingerprintHex,
  groupByRepository,
  installFolderName,
  isInstallOptions,
  isPublishOptions,
  matchesFilter,
  parseRegistriesSetting,
  parseStoredCredentials,
  publishableFileNames,
  registryScheme,
  secretKey,
  storedCredentialsText,
  suggestRepositoryName,
  versionDescription,
} from '../../../extension/logic/marketplace.js';
import { repoRoot } from '../../helpers/paths.js';

const enc = new TextEncoder();

describe('registry transport: plain http only for loopback hosts', () => {
  it('loopback hosts get http', () => {
    for (const h of ['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '127.255.255.255', '::1', '[::1]']) {
      assert.equal(registryScheme(h), 'http', h);
    }
  });

  it('every other host gets https, including look-alikes', () => {
    for (const h of [
      'ghcr.io',
      'registry.example.com',
      '10.0.0.1',
      '192.168.1.5',
      '128.0.0.1',
      '127.0.0.256',
      'localhost.evil.com',
      '127.0.0.1.nip.io',
      '::2',
      '0.0.0.0',
    ]) {
      assert.equal(registryScheme(h), 'https', h);
    }
  });

  it('agrees with the core client, which refuses http to a non-loopback host', () => {
    assert.equal(configuredRegistry('127.0.0.1:5000').address.kind, 'oci');
    const loopback = configuredRegistry('127.0.0.1:5000').address;
    assert.ok(loopback.kind === 'oci' && loopback.scheme === 'http');
    const remote = configuredRegistry('ghcr.io').address;
    assert.ok(remote.kind === 'oci' && remote.scheme === 'https');
    const fetch = (): Promise<never> => Promise.reject(new Error('no network in unit tests'));
    assert.throws(
      () => new OciRegistry({ registry: 'ghcr.io', fetch, scheme: 'http' }),
      (e: unknown) => e instanceof RegistryError && e.code === 'INSECURE',
    );
    assert.equal(
      new OciRegistry({ registry: '127.0.0.1:5000', fetch }).http.baseUrl,
      'http://127.0.0.1:5000',
    );
  });
});

describe('the promptAdapter.registries setting', () => {
  it('reads OCI hosts and the Hub, once each, and names the bad entries', () => {
    const { registries, problems } = parseRegistriesSetting([
      '127.0.0.1:5000',
      'ghcr.io',
      'hf://',
      'hf://acme',
      'ghcr.io',
      'not a host',
      42,
    ]);
    assert.deepEqual(
      registries.map((r) => [r.label, r.description, r.credentialHost]),
      [
        ['127.0.0.1:5000', 'OCI · http (loopback)', '127.0.0.1:5000'],
        ['ghcr.io', 'OCI · https', 'ghcr.io'],
        ['hf://', 'Hugging Face Hub', 'huggingface.co'],
        ['hf://acme', 'Hugging Face Hub', 'huggingface.co'],
      ],
    );
    assert.equal(problems.length, 2);
    assert.match(problems[0] ?? '', /not a host/);
    assert.match(problems[1] ?? '', /42/);
  });

  it('is empty by default and says so when it is not an array', () => {
    assert.deepEqual(parseRegistriesSetting(undefined), { registries: [], problems: [] });
    assert.match(parseRegistriesSetting('ghcr.io').problems[0] ?? '', /array of strings/);
  });

  it('is contributed with default [] and restricted in untrusted workspaces', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
      contributes: { configuration: { properties: Record<string, { default?: unknown; type?: string }> } };
    };
    const setting = manifest.contributes.configuration.properties['promptAdapter.registries'];
    assert.deepEqual(setting?.default, []);
    assert.equal(setting.type, 'array');
    assert.ok(
      manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.includes('promptAdapter.registries'),
    );
  });
});

describe('credentials', () => {
  it('are stored per host as JSON and read back; a damaged entry reads as none', () => {
    assert.equal(secretKey('GHCR.io'), 'promptAdapter.registry:ghcr.io');
    const basic = { username: 'ci', password: 's3cret:with:colons' };
    assert.deepEqual(parseStoredCredentials(storedCredentialsText(basic)), basic);
    assert.deepEqual(parseStoredCredentials(storedCredentialsText({ token: 'hf_x' })), { token: 'hf_x' });
    for (const bad of [undefined, '', 'not json', '[]', '{"username":""}', '{"token":3}']) {
      assert.equal(parseStoredCredentials(bad), undefined, String(bad));
    }
  });

  it('are read from a Docker config: base64 auth, username/password, identity token, https:// keys', () => {
    const config = JSON.stringify({
      auths: {
        '127.0.0.1:5000': { auth: btoa('alice:pa:ss') },
        'https://ghcr.io': { username: 'bob', password: 'pw' },
        'registry.example.com': { identitytoken: 'tok' },
        'empty.example.com': { auth: btoa('no-colon') },
      },
    });
    assert.deepEqual(dockerConfigCredentials(config, '127.0.0.1:5000'), {
      username: 'alice',
      password: 'pa:ss',
    });
    assert.deepEqual(dockerConfigCredentials(config, 'ghcr.io'), { username: 'bob', password: 'pw' });
    assert.deepEqual(dockerConfigCredentials(config, 'registry.example.com'), { token: 'tok' });
    assert.equal(dockerConfigCredentials(config, 'empty.example.com'), undefined);
    assert.equal(dockerConfigCredentials(config, 'other.io'), undefined);
    assert.equal(dockerConfigCredentials('{}', 'other.io'), undefined);
  });

  it('a Docker config that is not JSON is named, its content never repeated', () => {
    assert.throws(
      () => dockerConfigCredentials('{"auths": secret-stuff', 'x.io', '/home/u/.docker/config.json'),
      (e: unknown) =>
        e instanceof Error &&
        e.message.includes('/home/u/.docker/config.json') &&
        !e.message.includes('secret'),
    );
  });
});

function result(repository: string, tag: string, annotations: Record<string, string>): SearchResult {
  return { repository, tag, digest: `sha256:${'a'.repeat(63)}${tag.length}`, annotations };
}

const SPAM = {
  [ANNOTATION.baseModel]: 'stories260K',
  [ANNOTATION.method]: 'PREFIX_TUNING',
  [ANNOTATION.task]: 'classification',
  [ANNOTATION.virtualTokens]: '10',
  [ANNOTATION.description]: 'Spam detector',
  [ANNOTATION.metrics]: '{"accuracy":0.977,"macro_f1":0.95}',
};
const STORY = {
  [ANNOTATION.baseModel]: 'tiny-gpt2',
  [ANNOTATION.method]: 'PROMPT_TUNING',
  [ANNOTATION.task]: 'CAUSAL_LM',
  [ANNOTATION.virtualTokens]: '8',
};

describe('the Marketplace view', () => {
  const results = [
    result('team/story', 'v1', STORY),
    result('team/spam', 'v2', SPAM),
    result('team/spam', 'v10', SPAM),
    result('team/spam', 'v1', SPAM),
  ];

  it('groups versions by repository, newest tag first (numeric order)', () => {
    const groups = groupByRepository(results);
    assert.deepEqual(
      groups.map((g) => [g.repository, g.versions.map((v) => v.tag)]),
      [
        ['team/spam', ['v10', 'v2', 'v1']],
        ['team/story', ['v1']],
      ],
    );
    assert.equal(groups[0]?.versions[0]?.meta?.virtualTokens, 10);
  });

  it('describes a version as task · method · base model', () => {
    assert.equal(versionDescription(SPAM), 'classification · PREFIX_TUNING · stories260K');
    assert.equal(versionDescription({ [ANNOTATION.method]: 'P_TUNING' }), 'P_TUNING');
  });

  it('filters by text, base model and task, and offers what is listed', () => {
    const versions = groupByRepository(results).flatMap((g) => g.versions);
    const count = (f: Parameters<typeof matchesFilter>[1]): number =>
      versions.filter((v) => matchesFilter(v, f)).length;
    assert.equal(count({}), 4);
    assert.equal(count({ text: 'SPAM detector' }), 3);
    assert.equal(count({ text: 'v10' }), 1);
    assert.equal(count({ baseModel: 'tiny-gpt2' }), 1);
    assert.equal(count({ task: 'classification', baseModel: 'tiny-gpt2' }), 0);
    assert.deepEqual(filterChoices(versions), {
      baseModels: ['stories260K', 'tiny-gpt2'],
      tasks: ['CAUSAL_LM', 'classification'],
    });
    assert.equal(filterDescription({ text: 'x', task: 'CAUSAL_LM' }), '"x" · task CAUSAL_LM');
  });
});

describe('compatibility with the chosen model', () => {
  it('shapes first, then the fingerprint', () => {
    const notFit = compatibilityOf({
      modelName: 'stories260K',
      shapeProblems: ['token_dim is 32 but the model needs 64 (hidden size)'],
      fingerprintMatches: true,
    });
    assert.equal(notFit.kind, 'does-not-fit');
    assert.equal(notFit.label, 'does not fit stories260K');
    assert.deepEqual(notFit.details, ['token_dim is 32 but the model needs 64 (hidden size)']);
    const differs = compatibilityOf({ modelName: 'm', shapeProblems: [], fingerprintMatches: false });
    assert.equal(differs.kind, 'fingerprint-differs');
    assert.match(differs.label, /fingerprint differs/);
    assert.equal(
      compatibilityOf({ modelName: 'm', shapeProblems: [], fingerprintMatches: true }).kind,
      'fits',
    );
    const unverified = compatibilityOf({ modelName: 'm', shapeProblems: [], fingerprintMatches: null });
    assert.equal(unverified.kind, 'fits-unverified');
    assert.match(unverified.details[0] ?? '', /no base-model fingerprint/);
  });

  it('reads a fingerprint annotation as hex', () => {
    const hex = 'ab'.repeat(32);
    assert.equal(fingerprintHex(`sha256:${hex}`), hex);
    assert.equal(fingerprintHex(hex), hex);
    assert.equal(fingerprintHex('sha256:xyz'), undefined);
    assert.equal(fingerprintHex(undefined), undefined);
  });
});

describe('install and publish', () => {
  it('names an installed folder after the repository and the tag (or the digest)', () => {
    assert.equal(installFolderName('team/spam', 'v1', 'sha256:00'), 'spam-v1');
    assert.equal(
      installFolderName('spam', undefined, `sha256:${'0123456789ab'.repeat(5)}abcd`),
      'spam-0123456789ab',
    );
    assert.equal(installFolderName('a/b', 'main', 'sha256:0'), 'b-main');
  });

  it('suggests a valid repository name from a folder name', () => {
    assert.equal(suggestRepositoryName('stories260K_prompt_tuning'), 'stories260k_prompt_tuning');
    assert.equal(suggestRepositoryName('Spam Small (prompt)'), 'spam-small-prompt');
    assert.equal(suggestRepositoryName('__'), 'adapter');
  });

  it('publishes the plain top-level files, no dot-files or folders', () => {
    assert.deepEqual(
      publishableFileNames([
        { name: 'adapter_model.safetensors', isFile: true },
        { name: 'adapter_config.json', isFile: true },
        { name: '.DS_Store', isFile: true },
        { name: 'runs', isFile: false },
        { name: 'prompt_adapter.json', isFile: true },
      ]),
      ['adapter_config.json', 'adapter_model.safetensors', 'prompt_adapter.json'],
    );
  });

  it('recognises the programmatic options objects', () => {
    assert.ok(isPublishOptions({ adapter: '/w/a', ref: '127.0.0.1:5000/a:v1' }));
    assert.ok(isPublishOptions({ adapter: '/w/a', ref: 'r', license: 'MIT', description: 'd' }));
    assert.ok(!isPublishOptions({ adapter: '/w/a', ref: 'r', license: 3 }));
    assert.ok(!isPublishOptions({ adapter: '/w/a' }));
    assert.ok(!isPublishOptions('/w/a'));
    assert.ok(
      isInstallOptions({ ref: 'r', destination: '/w/b', model: '/w/m', acceptFingerprintMismatch: true }),
    );
    assert.ok(!isInstallOptions({ ref: 'r', acceptFingerprintMismatch: 'yes' }));
    assert.ok(!isInstallOptions(null));
  });
});

describe('the details page', () => {
  const nonce = 'abcdefghijklmnopqrstuv';
  const html = detailsHtml(
    {
      reference: '127.0.0.1:5000/team/spam:v1@sha256:' + 'c'.repeat(64),
      repository: 'team/spam',
      tag: 'v1',
      digest: 'sha256:' + 'c'.repeat(64),
      annotations: { ...SPAM, [ANNOTATION.description]: '<script>alert(1)</script>' },
      files: [{ name: 'adapter_config.json', size: 412 }],
      compatibility: compatibilityOf({
        modelName: 'stories260K',
        shapeProblems: [],
        fingerprintMatches: true,
      }),
    },
    { cspSource: 'vscode-webview://x', nonce },
  );

  it('shows the badge, digest, metrics and annotations', () => {
    assert.match(html, /class="badge fits" id="compatibility">fits stories260K</);
    assert.match(html, new RegExp(`sha256:${'c'.repeat(64)}`));
    assert.match(html, /<th>accuracy<\/th><td>0\.9770<\/td>/);
    assert.match(html, /io\.promptadapter\.base-model/);
    assert.match(html, /adapter_config\.json<\/th><td>412 bytes/);
  });

  it('escapes what the registry says and runs no script', () => {
    assert.doesNotMatch(html, /<script>alert/);
    assert.match(html, /&#60;script&#62;alert\(1\)/);
    assert.match(html, /default-src &#39;none&#39;/);
    assert.doesNotMatch(html, /<script/);
  });
});

describe('the metadata file of a published adapter is prompt_adapter.json', () => {
  const golden = path.join(repoRoot, 'test/fixtures/golden/adapters/stories260K_prompt_tuning');
  const files = ['adapter_config.json', 'adapter_model.safetensors'].map((name) => ({
    name,
    bytes: new Uint8Array(fs.readFileSync(path.join(golden, name))),
  }));

  it('names and media types: the new name first, the old one still known', () => {
    assert.equal(ADAPTER_FILE.metadata, 'prompt_adapter.json');
    assert.deepEqual(METADATA_FILE_NAMES, ['prompt_adapter.json', 'adapter_metadata.json']);
    assert.equal(mediaTypeForFile('prompt_adapter.json'), MEDIA_TYPE.metadata);
    assert.equal(mediaTypeForFile('adapter_metadata.json'), MEDIA_TYPE.metadata);
  });

  it("reads training's own format: base model name, fingerprint, numeric metrics only", () => {
    const hex = '45'.repeat(32);
    const training = {
      format: 'prompt-adapter-studio/1',
      task: 'classification',
      labels: ['ham', 'spam'],
      baseModel: { name: 'stories260K', fingerprint: { embeddingSha256: hex, tokenizerSha256: null } },
      metrics: {
        accuracy: 0.93,
        macro_f1: 0.92,
        per_class: { ham: { f1: 0.9 } },
        confusion: { matrix: [[1]] },
      },
      created: '2026-11-26T10:29:04.002Z',
    };
    const meta = adapterMetaFromFiles(
      [...files, { name: 'prompt_adapter.json', bytes: enc.encode(JSON.stringify(training)) }],
      'adapters/spam',
    );
    assert.equal(meta.baseModel, 'stories260K');
    assert.equal(meta.baseFingerprint, `sha256:${hex}`);
    assert.equal(meta.task, 'classification');
    assert.deepEqual(meta.metrics, { accuracy: 0.93, macro_f1: 0.92 });
    assert.equal(meta.created, training.created);
    assert.equal(meta.method, 'PROMPT_TUNING');
  });

  it('still reads adapter_metadata.json of older artifacts', () => {
    const meta = adapterMetaFromFiles(
      [
        ...files,
        { name: 'adapter_metadata.json', bytes: enc.encode('{"license":"MIT","metrics":{"f1":0.5}}') },
      ],
      'old',
    );
    assert.equal(meta.license, 'MIT');
    assert.deepEqual(meta.metrics, { f1: 0.5 });
  });
});
