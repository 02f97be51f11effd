// The `prompt-adapter` CLI as users run it: a separate Node process on dist/cli.mjs (built by `npm test`).
// Checks the contracts of forward / generate / tokenize, exit codes and error messages on bad input.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSafetensors, readFloat32, serializeSafetensors } from '../../core/formats/safetensors.js';
import { cliPath, runCli as run } from '../helpers/cli.js';
import { bundledModel, fixture, readJson, repoRoot } from '../helpers/paths.js';

const cli = cliPath;
const model = bundledModel('stories260K');
const gguf = path.join(repoRoot, 'models', 'stories260K.gguf');
let tmp = '';

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('prompt-adapter CLI', () => {
  before(() => {
    assert.ok(fs.existsSync(cli), `${cli} is missing: run 'node esbuild.mjs cli' (npm test does)`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pas-cli-'));
  });

  for (const backend of ['cpu', 'wasm']) {
    it(`forward writes PEFT-shaped logits, loss and the prompt gradient (${backend})`, () => {
      const golden = fixture('golden', 'stories260K_prefix_tuning.safetensors');
      const out = path.join(tmp, `forward-${backend}.safetensors`);
      const r = run([
        'forward',
        '--model',
        model,
        '--adapter',
        fixture('golden', 'adapters', 'stories260K_prefix_tuning'),
        '--input',
        golden,
        '--out',
        out,
        '--backend',
        backend,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const g = parseSafetensors(new Uint8Array(fs.readFileSync(golden)));
      const o = parseSafetensors(new Uint8Array(fs.readFileSync(out)));
      assert.deepEqual(o.tensors.get('logits')?.shape, [2, 12, 512]);
      assert.ok(maxAbsDiff(readFloat32(o, 'logits'), readFloat32(g, 'logits')) <= 2e-4);
      const loss = readFloat32(o, 'loss')[0]!;
      const goldenLoss = readFloat32(g, 'loss')[0]!;
      assert.ok(Math.abs(loss - goldenLoss) / goldenLoss <= 1e-5, `loss ${loss} vs ${goldenLoss}`);
      const grad = readFloat32(o, 'grad.prompt_embeddings');
      const gg = readFloat32(g, 'grad.prompt_encoder.default.embedding.weight');
      const scale = Math.max(...gg.map(Math.abs));
      assert.ok(maxAbsDiff(grad, gg) / scale <= 1e-3);
    });
  }

  it('forward puts the virtual positions first for prompt tuning', () => {
    const out = path.join(tmp, 'pt.safetensors');
    const r = run([
      'forward',
      '--model',
      model,
      '--adapter',
      fixture('golden', 'adapters', 'stories260K_prompt_tuning'),
      '--input',
      fixture('golden', 'stories260K_prompt_tuning.safetensors'),
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const o = parseSafetensors(new Uint8Array(fs.readFileSync(out)));
    assert.deepEqual(o.tensors.get('logits')?.shape, [2, 20, 512]);
    assert.deepEqual(o.tensors.get('grad.prompt_embeddings')?.shape, [8, 64]);
  });

  it('forward refuses labels of the wrong shape', () => {
    const input = path.join(tmp, 'bad-labels.safetensors');
    fs.writeFileSync(
      input,
      serializeSafetensors({
        input_ids: { dtype: 'I64', shape: [1, 3], data: new BigInt64Array([1n, 403n, 407n]) },
        labels: { dtype: 'I64', shape: [1, 2], data: new BigInt64Array([1n, 403n]) },
      }),
    );
    const r = run(['forward', '--model', model, '--input', input, '--out', path.join(tmp, 'x.safetensors')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /labels have shape \[1, 2\].*needs \[1, 3\]/);
    assert.ok(!fs.existsSync(path.join(tmp, 'x.safetensors')), 'nothing written on failure');
  });

  it('forward refuses an adapter made for another model, naming the mismatch', () => {
    const r = run([
      'forward',
      '--model',
      model,
      '--adapter',
      fixture('golden', 'adapters', 'tiny-gpt2_prefix_tuning'),
      '--input',
      fixture('golden', 'stories260K_base.safetensors'),
      '--out',
      path.join(tmp, 'y.safetensors'),
    ]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /tiny-gpt2_prefix_tuning.*does not fit.*token_dim is 64 but the model needs 32.*num_layers is 2/,
    );
  });

  it('forward names a truncated input file', () => {
    const bytes = fs.readFileSync(fixture('golden', 'stories260K_base.safetensors'));
    const input = path.join(tmp, 'truncated.safetensors');
    fs.writeFileSync(input, bytes.subarray(0, 200));
    const r = run(['forward', '--model', model, '--input', input, '--out', path.join(tmp, 'z.safetensors')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /truncated\.safetensors/);
  });

  it('refuses an unknown architecture with a clear error', () => {
    const dir = path.join(tmp, 'mamba');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({ model_type: 'mamba', architectures: ['MambaForCausalLM'] }),
    );
    const r = run(['generate', '--model', dir, '--prompt', 'hi']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /config\.json.*unknown architecture: model_type "mamba"/);
  });

  it('generate --json reproduces the golden ids, on tfjs and on onnxruntime', () => {
    const cases = readJson<
      { adapter: string | null; prompt: string; output_ids: number[]; near_tie_steps: number[] }[]
    >(fixture('golden', 'generate_cases.json'));
    const c = cases.find((x) => x.adapter === 'stories260K_prefix_tuning')!;
    for (const runtime of ['tfjs', 'onnx']) {
      const r = run([
        'generate',
        '--model',
        model,
        '--adapter',
        fixture('golden', 'adapters', c.adapter!),
        '--prompt',
        c.prompt,
        '--max-new-tokens',
        '24',
        '--json',
        '--runtime',
        runtime,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { ids: number[]; text: string };
      assert.deepEqual(out.ids, c.output_ids, runtime);
      assert.ok(out.text.startsWith(c.prompt));
    }
  });

  it('generate streams text and samples reproducibly with a seed', () => {
    const args = ['generate', '--model', model, '--prompt', 'Once upon a time', '--max-new-tokens', '20'];
    const greedy = run(args);
    assert.equal(greedy.code, 0, greedy.stderr);
    assert.match(greedy.stdout, /^Once upon a time, there was a little girl named Lily/);
    const s1 = run([
      ...args,
      '--temperature',
      '0.8',
      '--top-k',
      '50',
      '--top-p',
      '0.9',
      '--seed',
      '3',
      '--json',
    ]);
    const s2 = run([
      ...args,
      '--temperature',
      '0.8',
      '--top-k',
      '50',
      '--top-p',
      '0.9',
      '--seed',
      '3',
      '--json',
    ]);
    assert.equal(s1.code, 0, s1.stderr);
    assert.equal(s1.stdout, s2.stdout);
  });

  it('tokenize reproduces the golden tokenizer cases', () => {
    const cases = readJson<{ cases: { text: string; ids: number[] }[] } | { text: string; ids: number[] }[]>(
      fixture('golden', 'tokenizer_cases.json'),
    );
    const list = Array.isArray(cases) ? cases : cases.cases;
    const input = list.map((c) => JSON.stringify(c.text)).join('\n') + '\n';
    const r = run(['tokenize', '--model', model], input);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    // blank lines are skipped by the CLI; cases whose text is a JSON string are never blank lines
    assert.equal(lines.length, list.length);
    let mismatches = 0;
    for (let i = 0; i < list.length; i++) {
      if (JSON.stringify(JSON.parse(lines[i]!)) !== JSON.stringify(list[i]!.ids)) mismatches++;
    }
    assert.equal(mismatches, 0);
  });

  it('the GGUF file gives the same ids as the Hugging Face folder', () => {
    const hf = run([
      'generate',
      '--model',
      model,
      '--prompt',
      'Lily and Tom',
      '--max-new-tokens',
      '16',
      '--json',
    ]);
    const fromGguf = run([
      'generate',
      '--model',
      gguf,
      '--prompt',
      'Lily and Tom',
      '--max-new-tokens',
      '16',
      '--json',
    ]);
    assert.equal(hf.code, 0, hf.stderr);
    assert.equal(fromGguf.code, 0, fromGguf.stderr);
    assert.deepEqual(JSON.parse(fromGguf.stdout), JSON.parse(hf.stdout));
  });

  it('inspect reports shapes, norms and, with --model, the fit check and nearest tokens', () => {
    const r = run([
      'inspect',
      fixture('golden', 'adapters', 'stories260K_prompt_tuning_text_init'),
      '--model',
      model,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as {
      method: string;
      promptShape: number[];
      tokenNorms: number[];
      cosine: number[];
      modelCheck: { fits: boolean; nearest: { token: string; cosine: number }[][] };
    };
    assert.equal(report.method, 'PROMPT_TUNING');
    assert.deepEqual(report.promptShape, [8, 64]);
    assert.equal(report.tokenNorms.length, 8);
    assert.equal(report.cosine.length, 64);
    assert.equal(report.modelCheck.fits, true);
    // the text-initialised prompt starts as the embeddings of "<s> Tell a happy …": each row's nearest token is itself
    assert.ok(Math.abs(report.modelCheck.nearest[0]![0]!.cosine - 1) < 1e-5);
    const misfit = run([
      'inspect',
      fixture('golden', 'adapters', 'tiny-gpt2_prefix_tuning'),
      '--model',
      model,
      '--json',
    ]);
    assert.equal(misfit.code, 0, misfit.stderr);
    assert.equal((JSON.parse(misfit.stdout) as { modelCheck: { fits: boolean } }).modelCheck.fits, false);
  });

  it('usage errors exit 2 and name the problem', () => {
    const unknown = run(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    const missing = run(['generate', '--prompt', 'x']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--model is required/);
    const badFlag = run(['generate', '--model', model, '--prompt', 'x', '--top-k', 'many']);
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /--top-k must be an integer/);
    const help = run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /forward.*\n[\s\S]*generate[\s\S]*tokenize/);
  });
});
