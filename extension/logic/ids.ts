// Every identifier the manifest (package.json `contributes`) and the code share, declared once. A unit test
// compares this list with package.json, so a command cannot be contributed without being registered or the
// other way round.

export const COMMANDS = {
  train: 'promptAdapter.train',
  evaluate: 'promptAdapter.evaluate',
  generate: 'promptAdapter.generate',
  inspect: 'promptAdapter.inspect',
  newDataset: 'promptAdapter.newDataset',
  validateDataset: 'promptAdapter.validateDataset',
  datasetStats: 'promptAdapter.datasetStats',
  importConll: 'promptAdapter.importConll',
  openDashboard: 'promptAdapter.openDashboard',
  stopTraining: 'promptAdapter.stopTraining',
  resumeTraining: 'promptAdapter.resumeTraining',
  refresh: 'promptAdapter.refresh',
  openExample: 'promptAdapter.openExample',
  trainQuick: 'promptAdapter.trainQuick',
} as const;

export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];

/** Commands of the analysis views, registered by their own modules (extension/attentionPanel.ts). */
export const VIEW_COMMANDS = {
  showAttention: 'promptAdapter.showAttention',
} as const;

export const VIEW_CONTAINER = 'promptAdapters';

export const VIEWS = {
  models: 'promptAdapter.models',
  datasets: 'promptAdapter.datasets',
  adapters: 'promptAdapter.adapters',
} as const;

export const INSPECTOR_VIEW_TYPE = 'promptAdapter.adapterInspector';

export const DIAGNOSTIC_SOURCE = 'Prompt Adapter';

/** Settings under the `promptAdapter.` section. */
export const SETTINGS = {
  modelsFolder: 'modelsFolder',
  adaptersFolder: 'adaptersFolder',
  backend: 'backend',
  forceWebGPU: 'forceWebGPU',
  cliPath: 'cliPath',
  trainer: 'trainer',
  learningRate: 'defaults.learningRate',
  epochs: 'defaults.epochs',
  virtualTokens: 'defaults.virtualTokens',
  batchSize: 'defaults.batchSize',
  maxLength: 'defaults.maxLength',
  method: 'defaults.method',
  init: 'defaults.init',
  seed: 'defaults.seed',
} as const;

/** Context values of tree items (package.json `menus.view/item/context` `when` clauses use them). */
export const CONTEXT_VALUES = {
  model: 'promptAdapter.model',
  dataset: 'promptAdapter.dataset',
  conllDataset: 'promptAdapter.dataset.conll',
  adapter: 'promptAdapter.adapter',
} as const;

/**
 * The adapter marketplace (extension/marketplace.ts registers these): a separate object, so that
 * commands.ts's handler table for COMMANDS stays complete without them.
 */
export const MARKETPLACE_COMMANDS = {
  search: 'promptAdapter.marketplace.search',
  filter: 'promptAdapter.marketplace.filter',
  clearFilter: 'promptAdapter.marketplace.clearFilter',
  refresh: 'promptAdapter.marketplace.refresh',
  showDetails: 'promptAdapter.marketplace.showDetails',
  install: 'promptAdapter.marketplace.install',
  publish: 'promptAdapter.marketplace.publish',
  signIn: 'promptAdapter.marketplace.signIn',
  signOut: 'promptAdapter.marketplace.signOut',
} as const;

export const MARKETPLACE_VIEW = 'promptAdapter.marketplace';

export const MARKETPLACE_SETTINGS = {
  registries: 'registries',
} as const;

export const MARKETPLACE_CONTEXT_VALUES = {
  registry: 'promptAdapter.marketplace.registry',
  repository: 'promptAdapter.marketplace.repository',
  version: 'promptAdapter.marketplace.version',
  message: 'promptAdapter.marketplace.message',
} as const;

/** Set while the Marketplace view is filtered (shows its Clear Filter button). */
export const MARKETPLACE_FILTERED_CONTEXT = 'promptAdapter.marketplace.filtered';
