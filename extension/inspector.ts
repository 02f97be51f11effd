// The adapter inspector: a read-only custom editor for *.safetensors. adapter_model.safetensors with its
// adapter_config.json opens as an adapter (method, base model, shapes, norms, cosine matrix, model check);
// any other .safetensors file opens as its header (names, dtypes, shapes, sizes) without reading the data.
import * as vscode from 'vscode';
import { loadAdapterForInspection, summarizeHeader } from '../core/inspect/index.js';
import type { AdapterSummary, SafetensorsHeaderSummary } from '../core/inspect/index.js';
import type { PromptAdapter } from '../core/prompts/peft.js';
import { findModels } from './discovery.js';
import { exists, readJson, readText } from './files.js';
import { checkModel } from './modelCheck.js';
import { readHeader } from './tensors.js';
import { setUpWebview } from './webview.js';

interface Loaded {
  readonly summary: AdapterSummary | SafetensorsHeaderSummary;
  readonly adapter: PromptAdapter | undefined;
  readonly error: string | null;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function loadFile(uri: vscode.Uri): Promise<Loaded> {
  const name = uri.path.slice(uri.path.lastIndexOf('/') + 1);
  const configUri = vscode.Uri.joinPath(uri, '..', 'adapter_config.json');
  let adapterError: string | null = null;
  if (await exists(configUri)) {
    try {
      const bytes = await vscode.workspace.fs.readFile(uri);
      const metadataUri = vscode.Uri.joinPath(uri, '..', 'prompt_adapter.json');
      const logUri = vscode.Uri.joinPath(uri, '..', 'training_log.jsonl');
      const training = {
        ...((await exists(metadataUri)) ? { metadata: await readJson(metadataUri) } : {}),
        ...((await exists(logUri)) ? { log: await readText(logUri) } : {}),
      };
      const { summary, adapter } = loadAdapterForInspection(await readJson(configUri), bytes, name, training);
      return { summary, adapter, error: null };
    } catch (e) {
      // Not a loadable adapter after all: show the header and say why.
      adapterError = `Shown as a plain safetensors file: ${message(e)}`;
    }
  }
  const { header, size } = await readHeader(uri);
  return { summary: summarizeHeader(header, size, name), adapter: undefined, error: adapterError };
}

export class AdapterInspectorProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return {
      uri,
      dispose: () => {
        /* nothing held */
      },
    };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    const endpoint = setUpWebview(
      panel.webview,
      this.extensionUri,
      { title: 'Adapter Inspector', script: 'inspector' },
      this.log,
    );
    let loaded: Promise<Loaded> | undefined;
    const load = (): Promise<Loaded> => (loaded ??= loadFile(document.uri));
    endpoint.on('ready', () => {
      load().then(
        (l) => {
          endpoint.notify('inspector/init', { summary: l.summary, error: l.error });
        },
        (e: unknown) => {
          const name = document.uri.path.slice(document.uri.path.lastIndexOf('/') + 1);
          endpoint.notify('inspector/init', {
            summary: {
              kind: 'header',
              fileName: name,
              fileBytes: 0,
              headerBytes: 0,
              metadata: {},
              tensors: [],
              parameters: 0,
            },
            error: `Cannot read ${name}: ${message(e)}`,
          });
        },
      );
    });
    endpoint.handle('inspector/checkModel', async (params) => {
      const l = await load();
      if (l.adapter === undefined || l.summary.kind !== 'adapter')
        throw new Error('this file is not an adapter');
      let folder: vscode.Uri | undefined;
      if (params.modelPath !== undefined) folder = vscode.Uri.file(params.modelPath);
      else {
        const models = (await findModels(this.extensionUri)).filter((m) => m.kind === 'hf');
        const pick = await vscode.window.showQuickPick(
          models.map((m) => ({
            label: m.name,
            description: m.bundled ? 'bundled' : vscode.workspace.asRelativePath(m.uri),
            model: m,
          })),
          { title: 'Check the adapter against which model?', placeHolder: 'a Hugging Face model folder' },
        );
        folder = pick?.model.uri;
      }
      if (folder === undefined) return null;
      const adapter = l.adapter;
      const recorded = l.summary.recordedFingerprint;
      const target = folder;
      return vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: 'Checking the adapter against the model…',
          cancellable: true,
        },
        (_progress, token) => checkModel(target, adapter, recorded, token),
      );
    });
    panel.onDidDispose(() => {
      endpoint.dispose();
    });
  }
}
