// The training dashboard: one webview panel (dist/webview/trainer.js) that trains on the user's GPU through
// tfjs-webgpu (wasm, then cpu, with the reason shown). The host side owns what a webview must not: Workspace
// Trust, the single training slot (TrainingSession: status bar item, Stop Training), the output folder, reading
// the dataset through workspace.fs, handing out the model's files as webview URIs (weights are fetched by the
// page, never posted) and writing the adapter atomically. It never loads tfjs.
import * as vscode from 'vscode';
import type {
  TrainResume,
  BackendInfo,
  HostEndpoint,
  TrainChoice,
  TrainFinished,
  TrainSettings,
} from '../core/protocol/index.js';
import { exists, readText, writeFolderAtomic } from './files.js';
import { SETTINGS } from './logic/ids.js';
import type { TrainingSession } from './training.js';
import { setUpWebview, webviewRoot } from './webview.js';

export const TRAINER_VIEW_TYPE = 'promptAdapter.trainer';

/** The files of a model folder the page may fetch (tokenizer_config.json is optional). */
const MODEL_FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];

export interface TrainerRun {
  readonly settings: TrainSettings;
  readonly label: string;
  /** settles when the page reports the run's end (or the panel closes) */
  readonly finished: Promise<TrainFinished>;
}

export interface TrainerOpenOptions {
  readonly settings: TrainSettings;
  readonly choices: { readonly models: readonly TrainChoice[]; readonly datasets: readonly TrainChoice[] };
  /** start at once (quick preset, programmatic runs): the run's slot is claimed here */
  readonly autoStart: boolean;
  readonly label: string;
}

function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

async function uniqueFolder(parent: vscode.Uri, name: string): Promise<vscode.Uri> {
  let candidate = vscode.Uri.joinPath(parent, name);
  for (let i = 2; await exists(candidate); i++) candidate = vscode.Uri.joinPath(parent, `${name}-${i}`);
  return candidate;
}

/** A fresh adapter folder under the adapters folder for a run on `datasetPath`. */
export async function outputFolderFor(
  datasetPath: string,
  method: TrainSettings['method'],
): Promise<vscode.Uri> {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (root === undefined) throw new Error('Open a folder first: the adapter is saved into the workspace.');
  const adapters = vscode.workspace
    .getConfiguration('promptAdapter')
    .get<string>(SETTINGS.adaptersFolder, 'adapters');
  const stem = baseName(datasetPath).replace(/\.[^.]*$/, '');
  return uniqueFolder(
    vscode.Uri.joinPath(root, adapters),
    `${stem}-${method === 'PREFIX_TUNING' ? 'prefix' : 'prompt'}`,
  );
}

/** Is `uri` inside one of the workspace folders or the extension (what the page may read)? */
function readable(uri: vscode.Uri, extensionUri: vscode.Uri): boolean {
  const inside = (root: vscode.Uri): boolean =>
    uri.scheme === root.scheme && (uri.path === root.path || uri.path.startsWith(`${root.path}/`));
  return inside(extensionUri) || (vscode.workspace.workspaceFolders ?? []).some((f) => inside(f.uri));
}

export class TrainerPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private endpoint: HostEndpoint | undefined;
  private pageReady: Promise<void> | undefined;
  private run:
    | { settings: TrainSettings; resolve: (f: TrainFinished) => void; finished: Promise<TrainFinished> }
    | undefined;
  private progress: ((message: string, percent: number) => void) | undefined;
  private endProgress: (() => void) | undefined;
  /** what the page last reported (tests and the log read it) */
  backend: BackendInfo | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly session: TrainingSession,
    private readonly onSaved: (folder: vscode.Uri) => void,
  ) {}

  get visible(): boolean {
    return this.panel !== undefined;
  }

  /** Shows the dashboard (creating it with `options` when none is open); with autoStart, starts a run. */
  async open(options: TrainerOpenOptions): Promise<TrainerRun | undefined> {
    if (this.panel === undefined) this.create(options);
    else this.panel.reveal(vscode.ViewColumn.Active);
    await this.pageReady;
    if (!options.autoStart) return undefined;
    const run = this.claim(options.settings, options.label);
    this.endpoint?.notify('trainer/start', options.settings);
    return { settings: options.settings, label: options.label, finished: run };
  }

  /** Opens the dashboard (with `options` when none is open) and continues a stopped run from its files. */
  async resume(
    options: TrainerOpenOptions,
    resume: Omit<TrainResume, 'checkpointUri'> & { readonly checkpoint: vscode.Uri },
  ): Promise<TrainerRun> {
    if (this.panel === undefined) this.create(options);
    else this.panel.reveal(vscode.ViewColumn.Active);
    await this.pageReady;
    const panel = this.panel;
    if (panel === undefined) throw new Error('the training dashboard was closed');
    const run = this.claim(resume.settings, options.label);
    const { checkpoint, ...rest } = resume;
    // the page fetches the checkpoint like the weights (the adapter folder is inside the workspace roots)
    this.endpoint?.notify('trainer/resume', {
      ...rest,
      checkpointUri: panel.webview.asWebviewUri(checkpoint).toString(),
    });
    return { settings: resume.settings, label: options.label, finished: run };
  }

  /** Reveals the dashboard when one is open; false otherwise. */
  reveal(): boolean {
    this.panel?.reveal();
    return this.panel !== undefined;
  }

  private create(options: TrainerOpenOptions): void {
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri);
    const models = [
      ...options.choices.models.map((m) => vscode.Uri.file(m.path)),
      vscode.Uri.file(options.settings.modelPath),
    ];
    const panel = vscode.window.createWebviewPanel(
      TRAINER_VIEW_TYPE,
      'Prompt Adapter Training',
      vscode.ViewColumn.Active,
      // a hidden tab keeps training: the run lives in the page
      { enableScripts: true, retainContextWhenHidden: true },
    );
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'activity.svg');
    const endpoint = setUpWebview(
      panel.webview,
      this.extensionUri,
      {
        title: 'Prompt Adapter Training',
        script: 'trainer',
        wasm: true,
        connect: true,
        workers: true,
        extraRoots: [...folders, ...models],
      },
      this.log,
    );
    this.panel = panel;
    this.endpoint = endpoint;
    const c = vscode.workspace.getConfiguration('promptAdapter');
    this.pageReady = new Promise<void>((resolve) => {
      endpoint.on('ready', () => {
        endpoint.notify('trainer/init', {
          settings: options.settings,
          backend: c.get(SETTINGS.backend, 'auto'),
          forceWebGPU: c.get(SETTINGS.forceWebGPU, false),
          wasmBaseUri: `${panel.webview.asWebviewUri(webviewRoot(this.extensionUri)).toString()}/`,
          autoStart: false,
          choices: options.choices,
        });
        resolve();
      });
    });
    endpoint.handle('trainer/modelFiles', async ({ modelPath }) => {
      const folder = vscode.Uri.file(modelPath);
      if (!readable(folder, this.extensionUri))
        throw new Error(`${modelPath} is outside the workspace: open its folder first`);
      const files = [];
      for (const name of MODEL_FILES) {
        const uri = vscode.Uri.joinPath(folder, name);
        if (await exists(uri)) files.push({ name, uri: panel.webview.asWebviewUri(uri).toString() });
      }
      if (!files.some((f) => f.name === 'model.safetensors'))
        throw new Error(
          `${modelPath} has no model.safetensors: the webview trainer loads single-file Hugging Face folders (use the CLI for sharded or GGUF models)`,
        );
      return files;
    });
    endpoint.handle('trainer/readDataset', async ({ path }) => {
      const uri = vscode.Uri.file(path);
      if (!readable(uri, this.extensionUri)) throw new Error(`${path} is outside the workspace`);
      return { text: await readText(uri) };
    });
    endpoint.handle('trainer/begin', async (settings) => {
      if (!vscode.workspace.isTrusted)
        throw new Error(
          'training is disabled in an untrusted workspace: trust the folder first (Manage Workspace Trust)',
        );
      // Resume names the stopped run's folder (it holds that run's adapter); a new run gets a fresh one
      const given = settings.outputFolder === '' ? undefined : vscode.Uri.file(settings.outputFolder);
      const resumes =
        given !== undefined &&
        readable(given, this.extensionUri) &&
        (await exists(vscode.Uri.joinPath(given, 'checkpoint.safetensors')));
      const out = resumes ? given : await outputFolderFor(settings.datasetPath, settings.method);
      const full = { ...settings, outputFolder: out.fsPath };
      void this.claim(full, baseName(settings.datasetPath));
      return { outputFolder: out.fsPath };
    });
    endpoint.handle('trainer/saveAdapter', async ({ folder, files }) => {
      if (this.run === undefined || folder !== this.run.settings.outputFolder)
        throw new Error(`refusing to write ${folder}: it is not the output folder of the running training`);
      const target = vscode.Uri.file(folder);
      await writeFolderAtomic(target, files);
      this.log.info(`adapter saved to ${target.fsPath} (${files.map((f) => f.name).join(', ')})`);
      return { folderUri: target.fsPath };
    });
    endpoint.on('trainer/backend', (info) => {
      this.backend = info;
      this.log.info(
        `trainer backend: ${info.backend}${info.adapterDescription === null ? '' : ` on ${info.adapterDescription}`}` +
          (info.fallbackReason === null ? '' : ` (fell back: ${info.fallbackReason})`),
      );
    });
    endpoint.on('trainer/progress', (p) => {
      const message =
        `step ${p.step}/${p.totalSteps} · loss ${p.loss.toFixed(4)}` +
        (p.evalMetric === undefined ? '' : ` · ${p.evalMetric.name} ${p.evalMetric.value.toFixed(3)}`);
      this.session.update(message);
      this.progress?.(message, p.totalSteps > 0 ? (100 * p.step) / p.totalSteps : 0);
    });
    endpoint.on('trainer/finished', (f) => {
      this.log.info(`training ${f.reason}: ${f.message}`);
      this.settle(f);
    });
    panel.onDidDispose(
      () => {
        this.settle({
          reason: 'stopped',
          message: 'the training dashboard was closed',
          steps: 0,
          adapterFolder: null,
          metrics: null,
        });
        endpoint.dispose();
        this.panel = undefined;
        this.endpoint = undefined;
        this.pageReady = undefined;
      },
      undefined,
      this.disposables,
    );
  }

  /** Claims the training slot for a run the page is about to start; settles with the page's report. */
  private claim(settings: TrainSettings, label: string): Promise<TrainFinished> {
    const cancel = this.session.start(label);
    let resolve: (f: TrainFinished) => void = () => undefined;
    const finished = new Promise<TrainFinished>((r) => {
      resolve = r;
    });
    this.run = { settings, resolve, finished };
    cancel.token.onCancellationRequested(() => {
      const endpoint = this.endpoint;
      if (endpoint === undefined) return;
      endpoint.request('trainer/stop', {}).then(
        (r) => {
          this.log.info(`stop requested: ${r.stopped ? 'the run stopped' : 'nothing was running'}`);
        },
        (e: unknown) => {
          this.log.warn(`stop: ${String(e)}`);
        },
      );
    });
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Training ${label}`, cancellable: true },
      (progress, token) => {
        let last = 0;
        this.progress = (message, percent) => {
          progress.report({ message, increment: Math.max(0, percent - last) });
          last = percent;
        };
        const sub = token.onCancellationRequested(() => this.session.stop());
        return new Promise<void>((done) => {
          this.endProgress = () => {
            sub.dispose();
            done();
          };
        });
      },
    );
    return finished;
  }

  private settle(f: TrainFinished): void {
    const run = this.run;
    if (run === undefined) return;
    this.run = undefined;
    this.progress = undefined;
    this.endProgress?.();
    this.endProgress = undefined;
    this.session.finish();
    if (f.adapterFolder !== null) this.onSaved(vscode.Uri.file(f.adapterFolder));
    run.resolve(f);
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
