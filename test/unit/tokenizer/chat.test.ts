// Chat templates from tokenizer_config.json (rendered by @huggingface/jinja) and the default template.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CHAT_TEMPLATE, Tokenizer, TokenizerError } from '../../../core/tokenizer/index.js';
import type { ChatMessage } from '../../../core/tokenizer/index.js';
import { fixture, readJson } from '../../helpers/paths.js';
import {
  storiesJsonWithAddedTokens,
  storiesTokenizer,
  storiesTokenizerConfig,
  storiesTokenizerJson,
} from './stories.js';

const BOS = 1;
const EOS = 2;

const chat: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Tell me a story.' },
  { role: 'assistant', content: 'Once upon a time, a dog ran.' },
  { role: 'user', content: 'Another one.' },
];

function count(ids: readonly number[], id: number): number {
  return ids.filter((x) => x === id).length;
}

function configFixture(name: string): Record<string, unknown> {
  return readJson<Record<string, unknown>>(fixture('tokenizer', name));
}

function assertTokenizerError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof TokenizerError && pattern.test(e.message));
}

void test('models without a template use DEFAULT_CHAT_TEMPLATE ("### User:" / "### Assistant:")', () => {
  const tok = storiesTokenizer();
  assert.equal(tok.chatTemplate, undefined);
  const messages: ChatMessage[] = [
    { role: 'user', content: 'Tell me a story.' },
    { role: 'assistant', content: 'Once upon a time.' },
    { role: 'user', content: 'More!' },
  ];
  const expected =
    '<s>### User:\nTell me a story.\n\n### Assistant:\nOnce upon a time.</s>\n\n### User:\nMore!\n\n';
  assert.equal(tok.applyChatTemplate(messages), expected);
  assert.equal(tok.applyChatTemplate(messages, { addGenerationPrompt: true }), `${expected}### Assistant:\n`);
  assert.equal(
    tok.applyChatTemplate([{ role: 'system', content: 'Be kind.' }]),
    '<s>### System:\nBe kind.\n\n',
  );
  // Encoded without adding specials: exactly one BOS (written by the template), EOS after the answer.
  const ids = tok.encodeChat(messages, { addGenerationPrompt: true });
  assert.equal(ids[0], BOS);
  assert.equal(count(ids, BOS), 1);
  assert.equal(count(ids, EOS), 1);
  // Each piece of text after a special token is normalized on its own and gets SentencePiece's dummy
  // prefix '▁' (as in the Rust library), which decodes as a space after <s> and </s>.
  assert.equal(
    tok.decode(ids),
    '<s> ### User:\nTell me a story.\n\n### Assistant:\nOnce upon a time.</s> \n\n### User:\nMore!\n\n### Assistant:\n',
  );
});

void test('the default template writes BOS only when encode() would add it', () => {
  const noBos = Tokenizer.fromJson(storiesTokenizerJson(), {
    ...storiesTokenizerConfig(),
    add_bos_token: false,
  });
  assert.equal(noBos.applyChatTemplate([{ role: 'user', content: 'Hi' }]), '### User:\nHi\n\n');
  assert.ok(!noBos.encodeChat([{ role: 'user', content: 'Hi' }]).includes(BOS));
  // A tokenizer with no special tokens at all renders the turns alone.
  const bare = Tokenizer.fromJson({ ...storiesTokenizerJson(), post_processor: null });
  assert.equal(bare.applyChatTemplate([{ role: 'assistant', content: 'Yes.' }]), '### Assistant:\nYes.\n\n');
  assert.match(DEFAULT_CHAT_TEMPLATE, /### /);
});

void test('ChatML-style template from tokenizer_config.json, with its markers as special added tokens', () => {
  const json = storiesJsonWithAddedTokens(['<|im_start|>', '<|im_end|>']);
  const tok = Tokenizer.fromJson(json, configFixture('chatml_tokenizer_config.json'), 'chatml-model');
  assert.equal(tok.vocabSize, 514);
  assert.equal(tok.eosTokenId, 513);
  assert.ok(tok.specialTokenIds().has(512) && tok.specialTokenIds().has(513));
  assert.ok(tok.chatTemplate?.includes('<|im_start|>'));
  const text = tok.applyChatTemplate(chat.slice(0, 3));
  assert.equal(
    text,
    '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nTell me a story.<|im_end|>\n' +
      '<|im_start|>assistant\nOnce upon a time, a dog ran.<|im_end|>\n',
  );
  assert.equal(
    tok.applyChatTemplate(chat.slice(0, 2), { addGenerationPrompt: true }).slice(-22),
    '<|im_start|>assistant\n',
  );
  const ids = tok.encodeChat(chat.slice(0, 3));
  assert.equal(ids[0], 512);
  assert.equal(count(ids, 512), 3);
  assert.equal(count(ids, 513), 3);
  assert.ok(!ids.includes(BOS), 'add_bos_token is false in this config');
  // Skipped markers leave the dummy-prefix spaces of the pieces that followed them (see above).
  assert.equal(
    tok.decode(ids, { skipSpecialTokens: true }),
    'system\nBe brief. \n user\nTell me a story. \n assistant\nOnce upon a time, a dog ran. \n',
  );
});

void test('Llama-2-style [INST] template: system block, BOS per turn, raise_exception on bad role order', () => {
  const tok = Tokenizer.fromJson(
    storiesTokenizerJson(),
    configFixture('llama2_tokenizer_config.json'),
    'llama2-model',
  );
  const text = tok.applyChatTemplate(chat);
  assert.equal(
    text,
    '<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nTell me a story. [/INST] Once upon a time, a dog ran. </s>' +
      '<s>[INST] Another one. [/INST]',
  );
  assert.equal(tok.applyChatTemplate([{ role: 'user', content: 'Hi' }]), '<s>[INST] Hi [/INST]');
  // Literal <s>/</s> written by the template become the special ids.
  const ids = tok.encodeChat(chat);
  assert.equal(ids[0], BOS);
  assert.equal(count(ids, BOS), 2);
  assert.equal(count(ids, EOS), 1);
  assert.throws(
    () =>
      tok.applyChatTemplate([
        { role: 'user', content: 'a' },
        { role: 'user', content: 'b' },
      ]),
    (e: unknown) =>
      e instanceof TokenizerError &&
      e.source === 'llama2-model' &&
      e.message.includes("tokenizer of 'llama2-model'") &&
      e.message.includes('Conversation roles must alternate user/assistant/user/assistant/...'),
  );
  assertTokenizerError(
    () => tok.applyChatTemplate([{ role: 'assistant', content: 'first' }]),
    /roles must alternate/,
  );
});

void test('a list of named templates: "default" unless templateName picks another', () => {
  const tok = Tokenizer.fromJson(
    storiesTokenizerJson(),
    configFixture('named_templates_tokenizer_config.json'),
    'named',
  );
  assert.deepEqual(tok.chatTemplateNames, ['default', 'tool_use']);
  const messages: ChatMessage[] = [{ role: 'user', content: 'hi' }];
  assert.equal(tok.applyChatTemplate(messages, { addGenerationPrompt: true }), 'user: hi\nassistant: ');
  assert.equal(tok.applyChatTemplate(messages, { templateName: 'tool_use' }), 'TOOLS user=hi;');
  assertTokenizerError(
    () => tok.applyChatTemplate(messages, { templateName: 'rag' }),
    /no chat template named "rag" \(it has: "default", "tool_use"\)/,
  );
  // Several templates and none named "default": the caller must choose.
  const config = {
    ...storiesTokenizerConfig(),
    chat_template: [
      { name: 'a', template: 'A' },
      { name: 'b', template: 'B' },
    ],
  };
  const ambiguous = Tokenizer.fromJson(storiesTokenizerJson(), config, 'ambiguous');
  assert.equal(ambiguous.chatTemplate, undefined);
  assertTokenizerError(
    () => ambiguous.applyChatTemplate(messages),
    /several chat templates \("a", "b"\) and none named "default"/,
  );
  assert.equal(ambiguous.applyChatTemplate(messages, { templateName: 'b' }), 'B');
  // A single named template is the template.
  const single = Tokenizer.fromJson(storiesTokenizerJson(), {
    chat_template: [{ name: 'only', template: 'X' }],
  });
  assert.equal(single.applyChatTemplate(messages), 'X');
});

void test('bad templates and bad messages: TokenizerError', () => {
  const broken = Tokenizer.fromJson(
    storiesTokenizerJson(),
    { chat_template: '{% for m in messages %}{{ m.content }}' },
    'broken',
  );
  assertTokenizerError(
    () => broken.applyChatTemplate([{ role: 'user', content: 'x' }]),
    /tokenizer_config\.json of 'broken': chat template "default" is not a valid Jinja template/,
  );
  const tok = storiesTokenizer();
  assertTokenizerError(
    () => tok.applyChatTemplate([{ role: 'user' } as unknown as ChatMessage]),
    /chat message 0 is not \{role: string, content: string\}/,
  );
  assertTokenizerError(() => tok.applyChatTemplate('hi' as unknown as ChatMessage[]), /must be a list/);
});
