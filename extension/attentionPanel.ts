// Show Attention to Virtual Tokens: a webview panel (dist/webview/attention.js) that loads the base model and the
// adapter in the page (files served by asWebviewUri, fetched by the page: nothing big is posted), runs a text
// through them with attention capture and draws the layers × heads shares and one head's text × virtual
// tokens matrix. The host only picks the adapter and the model and hands out the URIs ('attention/init').
// Options object for tests and scripts: {adapter, model?, text?} (paths), which skips every prompt.
import * as vscode from 'vscode';
import { pickAdapter } from './pickers.js';
import type { AttentionComputed } from '../core/protocol/index.js';
import { findModels } from './discovery.js';
import type { ModelEntry } from './discovery.js';
import { exists, readJson } from './files.js';
import { SETTINGS, VIEW_COMMANDS } from './logic/ids.js';
import { requireTrust } from './trust.js';
import { setUpWebview, webviewRoot } from './webview.js';

export const ATTENTION_VIEW_TYPE = 'promptAdapter.attention';
const DEFAULT_TEXT = 'Once upon a time';
const MODEL_FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];
const ADAPTER_FILES = ['adapter_config.json', 'adapter_model.safetensors'];
/** How long the command waits for the page's first result before it returns without one. */
const RESULT_TIMEOUT_MS = 180_000;

export interface ShowAttentionOptions {
  readonly adapter: string;
  readonly model?: string;
  readonly text?: string;
}

function isOptions(v: unknown): v is ShowAttentionOptions {
  if (typeof v !== 'object' || v === null || v instanceof vscode.Uri) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.adapter === 'string' &&
    (o.model === undefined || typeof o.model === 'string') &&
    (o.text === undefined || typeof o.text === 'string')
  );
}

function baseName(uri: vscode.Uri): string {
  return uri.path.slice(uri.path.lastIndexOf('/') + 1);
}

/** The adapter folder the command was invoked on: the options' path, an Adapters view node, a URI, or a pick. */
async function adapterFolder(arg: unknown): Promise<vscode.Uri | undefined> {
  if (isOptions(arg)) return vscode.Uri.file(arg.adapter);
  return pickAdapter(arg, 'Show the attention of which adapter?');
}

/** The base model: the given path, else the only model named like the adapter's base model, else a pick. */
async function modelFolder(
  extensionUri: vscode.Uri,
  adapter: vscode.Uri,
  given: string | undefined,
): Promise<ModelEntry | undefined> {
  if (given !== undefined) {
    const uri = vscode.Uri.file(given);
    return { kind: 'hf', uri, name: baseName(uri), bundled: false };
  }
  const models = (await findModels(extensionUri)).filter((m) => m.kind === 'hf');
  const config = (await readJson(vscode.Uri.joinPath(adapter, 'adapter_config.json'))) as {
    base_model_name_or_path?: unknown;
  };
  const base = typeof config.base_model_name_or_path === 'string' ? config.base_model_name_or_path : '';
  const named = models.filter((m) => m.name === base.split('/').at(-1));
  if (named.length === 1) return named[0];
  const pick = await vscode.window.showQuickPick(
    models.map((m) => ({
      label: m.name,
      description: m.bundled ? 'bundled with the extension' : vscode.workspace.asRelativePath(m.uri),
      model: m,
    })),
    {
      title: 'Run the adapter on which base model?',
      placeHolder: 'a Hugging Face model folder (single safetensors file)',
    },
  );
  return pick?.model;
}

/** Opens the panel; resolves with the page's first result (undefined if it failed, closed or took too long). */
async function showAttention(
  extensionUri: vscode.Uri,
  log: vscode.LogOutputChannel,
  arg: unknown,
): Promise<AttentionComputed | undefined> {
  if (!requireTrust('Show Attention to Virtual Tokens')) return undefined;
  const adapter = await adapterFolder(arg);
  if (adapter === undefined) return undefined;
  for (const f of ADAPTER_FILES) {
    if (!(await exists(vscode.Uri.joinPath(adapter, f))))
      throw new Error(
        `${vscode.workspace.asRelativePath(adapter)} has no ${f}: it is not a PEFT adapter folder`,
      );
  }
  const model = await modelFolder(extensionUri, adapter, isOptions(arg) ? arg.model : undefined);
  if (model === undefined) return undefined;
  if (!(await exists(vscode.Uri.joinPath(model.uri, 'model.safetensors')))) {
    throw new Error(
      `${model.name} has no model.safetensors: the attention view loads single-file Hugging Face folders`,
    );
  }
  const text = (isOptions(arg) ? arg.text : undefined) ?? DEFAULT_TEXT;
  const panel = vscode.window.createWebviewPanel(
    ATTENTION_VIEW_TYPE,
    `Attention: ${baseName(adapter)}`,
    vscode.ViewColumn.Active,
    // the model lives in the page: keep it when the tab is hidden
    { enableScripts: true, retainContextWhenHidden: true },
  );
  const endpoint = setUpWebview(
    panel.webview,
    extensionUri,
    {
      title: `Attention: ${baseName(adapter)}`,
      script: 'attention',
      wasm: true,
      connect: true,
      workers: true,
      extraRoots: [model.uri, adapter],
    },
    log,
  );
  const uris = async (
    folder: vscode.Uri,
    names: readonly string[],
  ): Promise<{ name: string; uri: string }[]> => {
    const out: { name: string; uri: string }[] = [];
    for (const name of names) {
      const uri = vscode.Uri.joinPath(folder, name);
      if (await exists(uri)) out.push({ name, uri: panel.webview.asWebviewUri(uri).toString() });
    }
    return out;
  };
  const [modelFiles, adapterFiles] = await Promise.all([
    uris(model.uri, MODEL_FILES),
    uris(adapter, ADAPTER_FILES),
  ]);
  const c = vscode.workspace.getConfiguration('promptAdapter');
  endpoint.on('ready', () => {
    endpoint.notify('attention/init', {
      adapterName: baseName(adapter),
      modelName: model.name,
      modelFiles,
      adapterFiles,
      text,
      backend: c.get(SETTINGS.backend, 'auto'),
      forceWebGPU: c.get(SETTINGS.forceWebGPU, false),
      wasmBaseUri: `${panel.webview.asWebviewUri(webviewRoot(extensionUri)).toString()}/`,
    });
  });
  return new Promise<AttentionComputed | undefined>((resolve) => {
    const timer = setTimeout(() => {
      resolve(undefined);
    }, RESULT_TIMEOUT_MS);
    const settle = (v: AttentionComputed | undefined): void => {
      clearTimeout(timer);
      resolve(v);
    };
    endpoint.on('attention/computed', (r) => {
      log.info(
        `attention ${baseName(adapter)}: ${r.tokens.length} text tokens, ${r.shares.length} layers on ${r.backend}`,
      );
      settle(r);
    });
    endpoint.on('log', (e) => {
      if (e.level === 'error') settle(undefined);
    });
    panel.onDidDispose(() => {
      endpoint.dispose();
      settle(undefined);
    });
  });
}

/** Registers the view commands of ids.ts' VIEW_COMMANDS; the returned disposables unregister them. */
export function registerViewCommands(
  extensionUri: vscode.Uri,
  log: vscode.LogOutputChannel,
): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(VIEW_COMMANDS.showAttention, async (arg: unknown) => {
      try {
        return await showAttention(extensionUri, log, arg);
      } catch (e) {
        const text = e instanceof Error ? e.message : String(e);
        log.error(`${VIEW_COMMANDS.showAttention}: ${text}`);
        void vscode.window.showErrorMessage(`Prompt Adapter: ${text}`);
        return undefined;
      }
    }),
  ];
}
