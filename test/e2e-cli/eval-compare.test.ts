// `prompt-adapter eval --compare-bare` as users run it: the adapter's metrics plus `bare` with the same keys,
// for an SFT adapter (loss, perplexity, samples of the same prompts) and a classifier with a trained head.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { lastJsonLine, runCli } from '../helpers/cli.js';
import { bundledModel, fixture, repoRoot } from '../helpers/paths.js';

const model = bundledModel('stories260K');
const adapters = fixture('golden', 'adapters');
const datasets = path.join(repoRoot, 'test', 'e2e', 'workspace', 'datasets');

void describe('prompt-adapter eval --compare-bare', () => {
  void it('SFT: loss, perplexity and samples of the adapter and of the bare model', () => {
    const args = [
      'eval',
      '--model',
      model,
      '--task',
      'sft',
      '--data',
      path.join(datasets, 'stories-sft.jsonl'),
    ];
    const adapter = path.join(adapters, 'stories260K_prompt_tuning');
    const r = runCli([...args, '--adapter', adapter, '--json', '--compare-bare', '--backend', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    const m = lastJsonLine(r.stdout) as Record<string, unknown> & { bare: Record<string, unknown> };
    assert.equal(m.examples, 6);
    for (const key of ['loss', 'perplexity', 'exact_match', 'rouge_l', 'samples'])
      assert.ok(key in m && key in m.bare, key);
    const loss = m.loss as number;
    const bareLoss = m.bare.loss as number;
    assert.ok(loss > 0 && bareLoss > 0 && loss !== bareLoss, `${loss} vs ${bareLoss}`);
    const prompts = (s: unknown): string[] => (s as { prompt: string }[]).map((x) => x.prompt);
    assert.deepEqual(prompts(m.bare.samples), prompts(m.samples), 'the same prompts generated for');
    // without the flag: no bare object, the same adapter metrics
    const alone = runCli([...args, '--adapter', adapter, '--json', '--backend', 'cpu']);
    assert.equal(alone.code, 0, alone.stderr);
    const a = lastJsonLine(alone.stdout);
    assert.equal(a.bare, undefined);
    assert.equal(a.loss, loss);
  });

  void it('classification with a trained head: the same head without the prompt', () => {
    const r = runCli([
      'eval',
      '--model',
      model,
      '--adapter',
      path.join(adapters, 'stories260K_seqcls_prompt_tuning'),
      '--task',
      'classification',
      '--labels',
      'ham,spam',
      '--data',
      path.join(datasets, 'spam-small.jsonl'),
      '--json',
      '--compare-bare',
      '--backend',
      'cpu',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const m = lastJsonLine(r.stdout) as Record<string, unknown> & { bare: Record<string, unknown> };
    assert.deepEqual(
      Object.keys(m.bare).sort(),
      Object.keys(m)
        .filter((k) => k !== 'bare')
        .sort(),
    );
    const confusion = m.bare.confusion as { labels: string[]; matrix: number[][] };
    assert.deepEqual(confusion.labels, ['ham', 'spam']);
    assert.equal(
      confusion.matrix.flat().reduce((s, x) => s + x, 0),
      16,
      'every example counted',
    );
  });
});
