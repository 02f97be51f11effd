// Finds models, datasets and adapters in the workspace (and the model bundled with the extension). Used by
// the tree views and by the quick picks of the commands, so both always agree.
import * as vscode from 'vscode';
import { DATASET_GLOB, isDatasetFile } from './logic/datasetKind.js';
import { SETTINGS } from './logic/ids.js';

const EXCLUDE = '**/{node_modules,.git,dist,dist-test,dist-bench,.tmp}/**';
/** More than this many hits of one kind is a workspace we should not crawl further (keeps the views fast). */
const LIMIT = 500;

export interface ModelEntry {
  readonly kind: 'hf' | 'gguf';
  /** the model folder (hf) or the .gguf file */
  readonly uri: vscode.Uri;
  readonly name: string;
  readonly bundled: boolean;
}

export interface AdapterEntry {
  readonly folder: vscode.Uri;
  readonly name: string;
}

function baseName(uri: vscode.Uri): string {
  return uri.path.slice(uri.path.lastIndexOf('/') + 1);
}

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('promptAdapter');
}

/** A glob limited to the configured folder (relative to each workspace folder) when one is set. */
function scoped(setting: string, glob: string): string {
  const folder = config()
    .get<string>(setting, '')
    .trim()
    .replace(/^\.?\/+|\/+$/g, '');
  return folder === '' ? glob : `${folder}/${glob.replace(/^\*\*\//, '**/')}`;
}

export function bundledModelUri(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'models', 'stories260K');
}

export async function findModels(extensionUri: vscode.Uri): Promise<ModelEntry[]> {
  const out: ModelEntry[] = [];
  const configs = await vscode.workspace.findFiles(
    scoped(SETTINGS.modelsFolder, '**/config.json'),
    EXCLUDE,
    LIMIT,
  );
  const weights = await vscode.workspace.findFiles(
    scoped(SETTINGS.modelsFolder, '**/*.{safetensors,safetensors.index.json}'),
    EXCLUDE,
    LIMIT * 4,
  );
  const weightFolders = new Set(
    weights
      .filter((w) => !baseName(w).startsWith('adapter_model'))
      .map((w) => vscode.Uri.joinPath(w, '..').toString()),
  );
  for (const c of configs) {
    const folder = vscode.Uri.joinPath(c, '..');
    // config.json without weights beside it is some other tool's config, not a model.
    if (weightFolders.has(folder.toString()))
      out.push({ kind: 'hf', uri: folder, name: baseName(folder), bundled: false });
  }
  for (const g of await vscode.workspace.findFiles(
    scoped(SETTINGS.modelsFolder, '**/*.gguf'),
    EXCLUDE,
    LIMIT,
  )) {
    out.push({ kind: 'gguf', uri: g, name: baseName(g), bundled: false });
  }
  const bundled = bundledModelUri(extensionUri);
  if (!out.some((m) => m.uri.toString() === bundled.toString())) {
    try {
      await vscode.workspace.fs.stat(vscode.Uri.joinPath(bundled, 'config.json'));
      out.push({ kind: 'hf', uri: bundled, name: 'stories260K', bundled: true });
    } catch {
      // a development checkout without the model: nothing to add
    }
  }
  return out.sort((a, b) => Number(a.bundled) - Number(b.bundled) || a.name.localeCompare(b.name));
}

export async function findDatasets(): Promise<vscode.Uri[]> {
  const files = await vscode.workspace.findFiles(DATASET_GLOB, `{${EXCLUDE},**/test/fixtures/**}`, LIMIT);
  return files.filter((f) => isDatasetFile(f.path)).sort((a, b) => a.path.localeCompare(b.path));
}

export async function findAdapters(): Promise<AdapterEntry[]> {
  const configs = await vscode.workspace.findFiles('**/adapter_config.json', EXCLUDE, LIMIT);
  return configs
    .map((c) => {
      const folder = vscode.Uri.joinPath(c, '..');
      return { folder, name: baseName(folder) };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function relativeLabel(uri: vscode.Uri): string {
  return vscode.workspace.asRelativePath(
    uri,
    vscode.workspace.workspaceFolders !== undefined && vscode.workspace.workspaceFolders.length > 1,
  );
}
