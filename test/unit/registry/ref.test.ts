import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatReference,
  isLoopbackHost,
  parseReference,
  parseRegistryAddress,
} from '../../../core/registry/ref.js';
import { RegistryError } from '../../../core/registry/types.js';

const D = 'sha256:' + 'ab'.repeat(32);

test('OCI references: host, port, scheme, repository, tag, digest', () => {
  assert.deepEqual(parseReference('ghcr.io/acme/spam-detector:v1'), {
    kind: 'oci',
    registry: 'ghcr.io',
    hostname: 'ghcr.io',
    port: undefined,
    scheme: 'https',
    repository: 'acme/spam-detector',
    tag: 'v1',
    digest: undefined,
  });
  assert.deepEqual(parseReference(`127.0.0.1:5000/adapters/x@${D}`), {
    kind: 'oci',
    registry: '127.0.0.1:5000',
    hostname: '127.0.0.1',
    port: 5000,
    scheme: 'http',
    repository: 'adapters/x',
    tag: undefined,
    digest: D,
  });
  const v6 = parseReference(`[::1]:5000/a/b.c_d__e-f:V1.0_rc-1@${D}`);
  assert.ok(v6.kind === 'oci');
  assert.equal(v6.hostname, '::1');
  assert.equal(v6.registry, '[::1]:5000');
  assert.equal(v6.scheme, 'http');
  assert.equal(v6.repository, 'a/b.c_d__e-f');
  assert.equal(v6.tag, 'V1.0_rc-1');
  assert.equal(v6.digest, D);
  const plain = parseReference('oci://Registry.Example.com:443/team/adapter');
  assert.ok(plain.kind === 'oci');
  assert.equal(plain.registry, 'registry.example.com:443');
  assert.equal(plain.scheme, 'https');
  assert.equal(plain.tag, undefined);
  const local = parseReference('localhost/adapter:latest');
  assert.ok(local.kind === 'oci' && local.scheme === 'http' && local.port === undefined);
});

test('plain http only for loopback hosts', () => {
  for (const h of ['localhost', 'LOCALHOST', '127.0.0.1', '127.255.0.9', '[::1]', '::1'])
    assert.ok(isLoopbackHost(h), h);
  for (const h of [
    '128.0.0.1',
    '127.0.0.256',
    'localhost.evil.example',
    '10.0.0.1',
    '[::2]',
    '0.0.0.0',
    'ghcr.io',
  ]) {
    assert.ok(!isLoopbackHost(h), h);
  }
  const remote = parseReference('192.168.1.10:5000/a:v1');
  assert.ok(remote.kind === 'oci' && remote.scheme === 'https');
});

test('Hub references', () => {
  assert.deepEqual(parseReference('hf://acme/stories260K-spam'), {
    kind: 'hf',
    owner: 'acme',
    name: 'stories260K-spam',
    revision: undefined,
  });
  assert.deepEqual(parseReference('hf://acme/model.v2@main'), {
    kind: 'hf',
    owner: 'acme',
    name: 'model.v2',
    revision: 'main',
  });
});

test('registry addresses for search', () => {
  assert.deepEqual(parseRegistryAddress('hf://'), { kind: 'hf', owner: undefined });
  assert.deepEqual(parseRegistryAddress('hf://acme'), { kind: 'hf', owner: 'acme' });
  assert.deepEqual(parseRegistryAddress('127.0.0.1:5000'), {
    kind: 'oci',
    registry: '127.0.0.1:5000',
    hostname: '127.0.0.1',
    port: 5000,
    scheme: 'http',
  });
  assert.deepEqual(parseRegistryAddress('ghcr.io/'), {
    kind: 'oci',
    registry: 'ghcr.io',
    hostname: 'ghcr.io',
    port: undefined,
    scheme: 'https',
  });
});

test('invalid references are refused with INVALID_REF and say why', () => {
  const cases: [string, RegExp][] = [
    ['adapters/x:v1', /registry host is required/],
    ['spam:v1', /registry host is required/],
    ['ghcr.io/Acme/x:v1', /'Acme\/x' is not a valid repository name/],
    ['ghcr.io/acme/x:v1!', /'v1!' is not a valid tag/],
    ['ghcr.io/acme/x:-v1', /not a valid tag/],
    [`ghcr.io/acme/x@sha256:abc`, /not a digest/],
    [`ghcr.io/acme/x@sha512:${'a'.repeat(128)}`, /only sha256/],
    ['ghcr.io:70000/acme/x:v1', /'70000' is not a port/],
    ['ghcr.io:/acme/x', /is not a port/],
    ['https://ghcr.io/acme/x:v1', /only 'oci:\/\/' and 'hf:\/\/'/],
    ['gh_cr.io/acme/x', /not a valid host name/],
    ['[::1/a', /unclosed '\['/],
    ['ghcr.io/acme//x', /not a valid repository name/],
    ['ghcr.io/', /not a valid repository name/],
    ['hf://acme', /hf:\/\/owner\/name/],
    ['hf://acme/-bad', /not a valid Hub repository name/],
    ['hf://acme/x@../../etc', /not a valid revision/],
    ['ghcr.io/' + 'a'.repeat(256), /not a valid repository name/],
  ];
  for (const [input, pattern] of cases) {
    assert.throws(
      () => parseReference(input),
      (e: unknown) =>
        e instanceof RegistryError &&
        e.code === 'INVALID_REF' &&
        pattern.test(e.message) &&
        e.message.includes(input),
      input,
    );
  }
});

test('formatReference writes the canonical form back', () => {
  for (const s of ['ghcr.io/acme/x:v1', `127.0.0.1:5000/a/b@${D}`, `[::1]:5000/a:t@${D}`, 'localhost/a']) {
    const r = parseReference(s);
    assert.ok(r.kind === 'oci');
    assert.equal(formatReference(r), s);
  }
});
