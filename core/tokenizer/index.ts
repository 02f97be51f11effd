// Tokenizer: tokenizer.json via @huggingface/tokenizers (with Rust-library parity), tokenizer_config.json,
// chat templates via @huggingface/jinja. No tensors: safe to import from the extension host.
export { TokenizerError } from './errors.js';
export { DEFAULT_CHAT_TEMPLATE } from './chat.js';
export type { ChatMessage } from './chat.js';
export { Tokenizer } from './tokenizer.js';
export type { ChatTemplateOptions, DecodeOptions, EncodeOptions } from './tokenizer.js';
export type { Framing } from './framing.js';
