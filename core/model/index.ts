// Builds the right architecture for a config.json.
import type { ModelConfig } from '../formats/hfconfig.js';
import { BertModel } from './bert.js';
import { Gpt2Model } from './gpt2.js';
import { LlamaModel } from './llama.js';
import type { FrozenTransformer, WeightSource } from './types.js';

export function createModel(config: ModelConfig, weights: WeightSource): FrozenTransformer {
  switch (config.arch) {
    case 'llama':
      return new LlamaModel(config, weights);
    case 'gpt2':
      return new Gpt2Model(config, weights);
    case 'bert':
      return new BertModel(config, weights);
  }
}

export type * from './types.js';
export { ModelError } from './types.js';
