// How a command finds the resource it acts on when it was not handed one: the tree node or URI it was
// invoked on, else a quick pick. Shared by the commands, the Evaluation and Attention views and the marketplace.
import * as vscode from 'vscode';
import { findAdapters } from './discovery.js';
import { nodeUri } from './trees.js';
import type { TreeNode } from './trees.js';

export function isTreeNode(v: unknown): v is TreeNode {
  return (
    typeof v === 'object' &&
    v !== null &&
    'type' in v &&
    ['model', 'dataset', 'adapter'].includes(String(v.type))
  );
}

/** The resource a command was invoked on: a tree node, an explorer/editor URI, or nothing. */
export function uriOf(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (isTreeNode(arg)) return nodeUri(arg);
  if (typeof arg === 'string' && arg !== '') return vscode.Uri.file(arg);
  return undefined;
}

function baseName(uri: vscode.Uri): string {
  return uri.path.slice(uri.path.lastIndexOf('/') + 1);
}

/** The adapter folder of `arg` (an Adapters view node, the folder, a file in it, a path), else a pick. */
export async function pickAdapter(arg: unknown, title: string): Promise<vscode.Uri | undefined> {
  const given = uriOf(arg);
  if (given !== undefined) {
    const name = baseName(given);
    return name === 'adapter_config.json' || name.endsWith('.safetensors')
      ? vscode.Uri.joinPath(given, '..')
      : given;
  }
  const adapters = await findAdapters();
  if (adapters.length === 0) {
    void vscode.window.showWarningMessage(
      'No adapter found in the workspace (a folder with adapter_config.json): train one first.',
    );
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    adapters.map((a) => ({
      label: a.name,
      description: vscode.workspace.asRelativePath(a.folder),
      folder: a.folder,
    })),
    { title, placeHolder: 'an adapter folder' },
  );
  return pick?.folder;
}
