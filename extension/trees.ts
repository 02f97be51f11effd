// The Models, Datasets and Adapters views: flat lists refreshed by file-system watchers (debounced, since a
// training run or a git checkout touches many files at once).
import * as vscode from 'vscode';
import { findAdapters, findDatasets, findModels, relativeLabel } from './discovery.js';
import type { AdapterEntry, ModelEntry } from './discovery.js';
import { extensionOf, taskOf } from './logic/datasetKind.js';
import { CONTEXT_VALUES, INSPECTOR_VIEW_TYPE, VIEWS } from './logic/ids.js';

export type TreeNode =
  | { readonly type: 'model'; readonly entry: ModelEntry }
  | { readonly type: 'dataset'; readonly uri: vscode.Uri }
  | { readonly type: 'adapter'; readonly entry: AdapterEntry };

/** The resource a node stands for (command handlers receive nodes from context menus). */
export function nodeUri(node: TreeNode): vscode.Uri {
  switch (node.type) {
    case 'model':
      return node.entry.uri;
    case 'dataset':
      return node.uri;
    case 'adapter':
      return node.entry.folder;
  }
}

class ListProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly load: () => Promise<TreeNode[]>,
    private readonly render: (node: TreeNode) => vscode.TreeItem,
  ) {}

  refresh(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.changed.fire(undefined);
    }, 300);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return this.render(node);
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    return node === undefined ? this.load() : [];
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.changed.dispose();
  }
}

function modelItem(entry: ModelEntry): vscode.TreeItem {
  const item = new vscode.TreeItem(entry.name, vscode.TreeItemCollapsibleState.None);
  item.resourceUri = entry.uri;
  item.contextValue = CONTEXT_VALUES.model;
  item.description = entry.bundled ? 'bundled' : entry.kind === 'gguf' ? 'GGUF' : relativeLabel(entry.uri);
  item.iconPath = new vscode.ThemeIcon(entry.kind === 'gguf' ? 'file-binary' : 'circuit-board');
  item.tooltip = entry.uri.fsPath;
  if (entry.kind === 'hf') {
    item.command = {
      command: 'vscode.open',
      title: 'Open config.json',
      arguments: [vscode.Uri.joinPath(entry.uri, 'config.json')],
    };
  }
  return item;
}

function datasetItem(uri: vscode.Uri): vscode.TreeItem {
  const item = new vscode.TreeItem(uri, vscode.TreeItemCollapsibleState.None);
  item.contextValue =
    extensionOf(uri.path) === 'conll' ? CONTEXT_VALUES.conllDataset : CONTEXT_VALUES.dataset;
  item.description = `${taskOf(uri.path, '') ?? ''} · ${relativeLabel(vscode.Uri.joinPath(uri, '..'))}`;
  item.command = { command: 'vscode.open', title: 'Open', arguments: [uri] };
  return item;
}

function adapterItem(entry: AdapterEntry): vscode.TreeItem {
  const item = new vscode.TreeItem(entry.name, vscode.TreeItemCollapsibleState.None);
  item.resourceUri = entry.folder;
  item.contextValue = CONTEXT_VALUES.adapter;
  item.description = relativeLabel(entry.folder);
  item.iconPath = new vscode.ThemeIcon('symbol-constant');
  item.tooltip = `${entry.folder.fsPath}\nClick to inspect`;
  item.command = {
    command: 'vscode.openWith',
    title: 'Inspect',
    arguments: [vscode.Uri.joinPath(entry.folder, 'adapter_model.safetensors'), INSPECTOR_VIEW_TYPE],
  };
  return item;
}

export class WorkspaceTrees implements vscode.Disposable {
  private readonly disposables: { dispose(): unknown }[] = [];
  readonly models: ListProvider;
  readonly datasets: ListProvider;
  readonly adapters: ListProvider;

  constructor(extensionUri: vscode.Uri) {
    this.models = new ListProvider(
      async () => (await findModels(extensionUri)).map((entry) => ({ type: 'model' as const, entry })),
      (n) => (n.type === 'model' ? modelItem(n.entry) : new vscode.TreeItem('?')),
    );
    this.datasets = new ListProvider(
      async () => (await findDatasets()).map((uri) => ({ type: 'dataset' as const, uri })),
      (n) => (n.type === 'dataset' ? datasetItem(n.uri) : new vscode.TreeItem('?')),
    );
    this.adapters = new ListProvider(
      async () => (await findAdapters()).map((entry) => ({ type: 'adapter' as const, entry })),
      (n) => (n.type === 'adapter' ? adapterItem(n.entry) : new vscode.TreeItem('?')),
    );
    this.disposables.push(
      this.models,
      this.datasets,
      this.adapters,
      vscode.window.createTreeView(VIEWS.models, { treeDataProvider: this.models, showCollapseAll: false }),
      vscode.window.createTreeView(VIEWS.datasets, { treeDataProvider: this.datasets }),
      vscode.window.createTreeView(VIEWS.adapters, { treeDataProvider: this.adapters }),
    );
    this.watch('**/{config.json,*.safetensors,*.safetensors.index.json,*.gguf}', this.models);
    this.watch('**/*.{jsonl,ndjson,csv,tsv,conll}', this.datasets);
    this.watch('**/{adapter_config.json,adapter_model.safetensors}', this.adapters);
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('promptAdapter.modelsFolder')) this.models.refresh();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.refreshAll();
      }),
    );
  }

  private watch(glob: string, provider: ListProvider): void {
    const w = vscode.workspace.createFileSystemWatcher(glob);
    const refresh = (): void => {
      provider.refresh();
    };
    this.disposables.push(w, w.onDidCreate(refresh), w.onDidDelete(refresh), w.onDidChange(refresh));
  }

  refreshAll(): void {
    this.models.refresh();
    this.datasets.refresh();
    this.adapters.refresh();
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
