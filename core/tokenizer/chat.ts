// Chat templates: the model's Jinja template from tokenizer_config.json (rendered by @huggingface/jinja,
// with the variables transformers' apply_chat_template passes), or DEFAULT_CHAT_TEMPLATE.

import { Template } from '@huggingface/jinja';
import { describeThrown, type Place, TokenizerError } from './errors.js';

export interface ChatMessage {
  role: string;
  content: string;
}

/**
 * The template used when tokenizer_config.json has none (base models such as stories260K, GPT-2, most
 * GGUF files). It writes plain-text turns:
 *
 *     <bos>### User:
 *     Tell me a story.
 *
 *     ### Assistant:
 *     Once upon a time...<eos>
 *
 * Why "### User:/### Assistant:" and not ChatML: the models that have no template are base models whose
 * vocabulary has no <|im_start|>/<|im_end|> tokens. ChatML markers would reach them as a dozen odd
 * byte/character pieces they never saw in training, while "### User:" is ordinary text (the Alpaca /
 * Dolly instruction style that the project's SFT data uses) that any vocabulary encodes in a few tokens
 * and that a soft prompt can learn to key on. Other roles are written as "### <Role>:" (capitalized).
 * Assistant turns end with the eos token, so fine-tuning teaches the model to stop. The bos token is
 * written only when the tokenizer's encode() would add it (the variable `add_bos_token`), so that the
 * rendered text, encoded with addSpecialTokens: false as for every template, carries exactly one BOS.
 */
export const DEFAULT_CHAT_TEMPLATE = [
  '{%- if add_bos_token and bos_token -%}{{ bos_token }}{%- endif -%}',
  '{%- for message in messages -%}',
  "{{ '### ' + (message['role'] | capitalize) + ':\\n' + message['content'] }}",
  "{%- if message['role'] == 'assistant' and eos_token -%}{{ eos_token }}{%- endif -%}",
  "{{ '\\n\\n' }}",
  '{%- endfor -%}',
  "{%- if add_generation_prompt -%}{{ '### Assistant:\\n' }}{%- endif -%}",
].join('\n');

/** Runtime check of messages (callers may be untyped JS or JSON from a webview). */
export function checkMessages(messages: readonly ChatMessage[], where: Place): void {
  if (!Array.isArray(messages)) {
    throw new TokenizerError(`${where.label}: chat messages must be a list of {role, content}`, where.source);
  }
  messages.forEach((message: unknown, i) => {
    if (
      typeof message !== 'object' ||
      message === null ||
      typeof (message as { role?: unknown }).role !== 'string' ||
      typeof (message as { content?: unknown }).content !== 'string'
    ) {
      throw new TokenizerError(
        `${where.label}: chat message ${i} is not {role: string, content: string}`,
        where.source,
      );
    }
  });
}

/** Parses a template once; syntax errors become TokenizerErrors naming the template. */
export function compileTemplate(source: string, templateLabel: string, where: Place): Template {
  try {
    return new Template(source);
  } catch (thrown) {
    throw new TokenizerError(
      `${where.label}: ${templateLabel} is not a valid Jinja template: ${describeThrown(thrown)}. Fix the template`,
      where.source,
    );
  }
}

/** Renders; an exception from the template (raise_exception) becomes a TokenizerError. */
export function renderTemplate(
  template: Template,
  variables: Record<string, unknown>,
  templateLabel: string,
  where: Place,
): string {
  try {
    return template.render(variables);
  } catch (thrown) {
    throw new TokenizerError(
      `${where.label}: ${templateLabel} refused the messages: ${describeThrown(thrown)}`,
      where.source,
    );
  }
}
