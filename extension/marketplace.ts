// The adapter marketplace in the editor: the Marketplace view, Search / Filter, a details page with the
// compatibility verdict for a model, Install (pull by digest, every blob verified by the core client, written
// atomically, refused when the shapes do not fit, a modal question when the base-model fingerprint differs),
// Publish, and Sign In / Sign Out (SecretStorage). Network and writes need Workspace Trust.
// Registered from extension.ts through registerMarketplace().
import * as vscode from 'vscode';
import { pickAdapter } from './pickers.js';
import { parseModelConfig } from '../core/formats/hfconfig.js';
import { loadAdapterForInspection, recordedFingerprintOf } from '../core/inspect/index.js';
import type { RecordedFingerprint } from '../core/inspect/index.js';
import { checkAdapterFitsModel } from '../core/prompts/peft.js';
import type { PromptAdapter } from '../core/prompts/peft.js';
import { artifactFromFiles, metadataFileOf } from '../core/registry/adapter-files.js';
import { HfRegistry } from '../core/registry/hf.js';
import { ADAPTER_FILE, ANNOTATION, OciRegistry } from '../core/registry/oci.js';
import { formatReference, parseReference } from '../core/registry/ref.js';
import { RegistryError } from '../core/registry/types.js';
import type {
  AdapterFile,
  AdapterRef,
  AdapterRegistry,
  PulledAdapter,
  SearchResult,
} from '../core/registry/types.js';
import { RegistryCredentials, promptForCredentials } from './credentials.js';
import { findModels } from './discovery.js';
import type { ModelEntry } from './discovery.js';
import { exists, readJson, writeFolderAtomic } from './files.js';
import { nonceFromBytes } from './logic/csp.js';
import {
  MARKETPLACE_COMMANDS,
  MARKETPLACE_FILTERED_CONTEXT,
  MARKETPLACE_SETTINGS,
  MARKETPLACE_VIEW,
  SETTINGS,
} from './logic/ids.js';
import {
  compatibilityOf,
  configuredRegistry,
  detailsHtml,
  filterChoices,
  fingerprintHex,
  installFolderName,
  isEmptyFilter,
  isInstallOptions,
  isPublishOptions,
  publishableFileNames,
  suggestRepositoryName,
} from './logic/marketplace.js';
import type { Compatibility, ConfiguredRegistry, MarketplaceFilter } from './logic/marketplace.js';
import { checkModel } from './modelCheck.js';
import { MarketplaceTree, configuredRegistries, isMarketplaceNode } from './marketplaceView.js';
import type { MarketplaceNode } from './marketplaceView.js';
import type { WorkspaceTrees } from './trees.js';
import { requireTrust } from './trust.js';

/** The Hub search stops after this many results (an unfiltered `hf://` would otherwise read 1000 models). */
const HUB_SEARCH_LIMIT = 100;
/** Pulled versions kept in memory by digest, so that Show Details then Install downloads once. */
const PULL_CACHE_SIZE = 16;

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function baseName(uri: vscode.Uri): string {
  return uri.path.slice(uri.path.lastIndexOf('/') + 1);
}

/** A version to pull: the registry, the reference relative to it, and how to name it to the user. */
interface VersionTarget {
  readonly registry: ConfiguredRegistry;
  readonly ref: AdapterRef;
  readonly reference: string;
}

export interface PublishResult {
  readonly reference: string;
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  readonly size: number;
}

export interface DetailsResult {
  readonly reference: string;
  readonly digest: string;
  readonly compatibility: Compatibility | undefined;
  readonly files: readonly string[];
}

class Marketplace implements vscode.Disposable {
  readonly credentials: RegistryCredentials;
  readonly tree: MarketplaceTree;
  private readonly view: vscode.TreeView<MarketplaceNode>;
  private readonly pulled = new Map<string, PulledAdapter>();
  private details: vscode.WebviewPanel | undefined;
  private readonly disposables: { dispose(): unknown }[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly trees: WorkspaceTrees,
  ) {
    this.credentials = new RegistryCredentials(context.secrets);
    this.tree = new MarketplaceTree((registry, filter) => this.search(registry, filter));
    this.view = vscode.window.createTreeView(MARKETPLACE_VIEW, { treeDataProvider: this.tree });
    this.disposables.push(
      this.tree,
      this.view,
      this.credentials.onDidChange(() => {
        this.tree.refresh();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`promptAdapter.${MARKETPLACE_SETTINGS.registries}`)) this.tree.refresh();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.tree.refresh();
      }),
    );
  }

  // -------------------------------------------------------------------------------------------------------
  // clients

  private async client(registry: ConfiguredRegistry): Promise<AdapterRegistry> {
    if (registry.address.kind === 'hf') {
      const stored = await this.credentials.get(registry.credentialHost);
      const token = stored === undefined ? undefined : 'token' in stored ? stored.token : stored.password;
      return new HfRegistry({
        fetch: (input, init) => fetch(input, init),
        ...(token === undefined ? {} : { accessToken: token }),
      });
    }
    // OciRegistry chooses http only for loopback hosts and refuses it for any other (core/registry/ref.ts).
    return new OciRegistry({
      registry: registry.address.registry,
      fetch: (url, init) => fetch(url, init),
      credentials: this.credentials.provider,
      userAgent: 'prompt-adapter-studio',
    });
  }

  private async search(registry: ConfiguredRegistry, filter: MarketplaceFilter): Promise<SearchResult[]> {
    // Listing a registry is network access: an untrusted workspace's settings must not send us anywhere.
    if (!vscode.workspace.isTrusted) {
      throw new Error('Listing registries needs Workspace Trust');
    }
    const query = {
      ...(filter.text === undefined ? {} : { text: filter.text }),
      ...(filter.baseModel === undefined ? {} : { baseModel: filter.baseModel }),
      ...(filter.task === undefined ? {} : { task: filter.task }),
    };
    const client = await this.client(registry);
    if (client instanceof HfRegistry && registry.address.kind === 'hf') {
      return client.search({
        ...query,
        limit: HUB_SEARCH_LIMIT,
        ...(registry.address.owner === undefined ? {} : { owner: registry.address.owner }),
      });
    }
    return client.search(query);
  }

  private async pull(target: VersionTarget): Promise<PulledAdapter> {
    const cached = target.ref.digest === undefined ? undefined : this.pulled.get(target.ref.digest);
    if (cached !== undefined) return cached;
    const client = await this.client(target.registry);
    const pulled = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Downloading ${target.reference}`,
        cancellable: true,
      },
      async (progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => {
          abort.abort();
        });
        try {
          return await client.pull(target.ref, {
            signal: abort.signal,
            onProgress: (p) => {
              progress.report({ message: `${p.item} (${p.bytesDone}/${p.bytesTotal} bytes)` });
            },
          });
        } finally {
          sub.dispose();
        }
      },
    );
    this.pulled.set(pulled.digest, pulled);
    for (const key of this.pulled.keys()) {
      if (this.pulled.size <= PULL_CACHE_SIZE) break;
      this.pulled.delete(key);
    }
    return pulled;
  }

  // -------------------------------------------------------------------------------------------------------
  // compatibility

  private async defaultModel(): Promise<ModelEntry | undefined> {
    return (await findModels(this.context.extensionUri)).find((m) => m.kind === 'hf');
  }

  /** The verdict for `model`, or a note saying why there is none. Never throws. */
  private async compatibility(
    pulled: PulledAdapter,
    model: ModelEntry | undefined,
  ): Promise<{ compatibility?: Compatibility; note?: string }> {
    if (model === undefined) return { note: 'No model in the workspace to check against.' };
    if (model.kind !== 'hf') return { note: `${model.name} is a GGUF file: only model folders are checked.` };
    let adapter: PromptAdapter;
    let recorded: RecordedFingerprint | null;
    try {
      const file = (name: string): AdapterFile | undefined => pulled.files.find((f) => f.name === name);
      const config = file(ADAPTER_FILE.config);
      const weights = file(ADAPTER_FILE.weights);
      if (config === undefined || weights === undefined) {
        return { note: `the version has no ${ADAPTER_FILE.config} + ${ADAPTER_FILE.weights} to check` };
      }
      const metaFile = metadataFileOf(pulled.files);
      let metadata: unknown;
      try {
        metadata = metaFile === undefined ? undefined : JSON.parse(new TextDecoder().decode(metaFile.bytes));
      } catch {
        metadata = undefined;
      }
      adapter = loadAdapterForInspection(
        JSON.parse(new TextDecoder().decode(config.bytes)),
        weights.bytes,
        ADAPTER_FILE.weights,
        metadata === undefined ? {} : { metadata },
      ).adapter;
      const fromAnnotation = fingerprintHex(pulled.annotations[ANNOTATION.baseFingerprint]);
      recorded =
        recordedFingerprintOf(metadata) ??
        (fromAnnotation === undefined ? null : { embeddingSha256: fromAnnotation, tokenizerSha256: null });
    } catch (e) {
      // an adapter that does not even load fits no model: Install refuses it like a shape mismatch
      return {
        compatibility: compatibilityOf({
          modelName: model.name,
          shapeProblems: [`the adapter does not load: ${errorText(e)}`],
          fingerprintMatches: null,
        }),
      };
    }
    try {
      const config = parseModelConfig(
        await readJson(vscode.Uri.joinPath(model.uri, 'config.json')),
        `${model.name}/config.json`,
      );
      let shapeProblems: string[] = [];
      try {
        checkAdapterFitsModel(adapter, config);
      } catch (e) {
        // the message lists the mismatches after the colon that follows the model description
        const message = errorText(e);
        shapeProblems = message
          .slice(message.indexOf('):') + 2)
          .trim()
          .split('; ')
          .filter((s) => s !== '');
        if (shapeProblems.length === 0) shapeProblems = [message];
      }
      const check = await checkModel(model.uri, adapter, recorded);
      return {
        compatibility: compatibilityOf({
          modelName: model.name,
          shapeProblems,
          fingerprintMatches: check.fingerprintMatches,
          fingerprintProblems: check.problems.filter((p) => !shapeProblems.includes(p)),
        }),
      };
    } catch (e) {
      return { note: `${model.name} could not be read: ${errorText(e)}` };
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // commands

  /** A version from a tree node, an options object's `ref`, a reference string, or an input box. */
  private async versionTarget(arg: unknown, title: string): Promise<VersionTarget | undefined> {
    if (isMarketplaceNode(arg) && arg.type === 'version') {
      const v = arg.version;
      const reference =
        arg.registry.address.kind === 'hf'
          ? `hf://${v.repository}@${v.digest}`
          : formatReference({
              registry: arg.registry.address.registry,
              repository: v.repository,
              tag: v.tag,
              digest: v.digest,
            });
      // pinned by the digest the view listed: what was shown is what is installed
      return { registry: arg.registry, ref: { repository: v.repository, digest: v.digest }, reference };
    }
    let text: string | undefined;
    if (isInstallOptions(arg)) text = arg.ref;
    else if (typeof arg === 'string' && arg !== '') text = arg;
    else {
      text = await vscode.window.showInputBox({
        title,
        prompt: 'host[:port]/repository:tag[@sha256:…] or hf://owner/name[@revision]',
        ignoreFocusOut: true,
      });
    }
    if (text === undefined || text.trim() === '') return undefined;
    const parsed = parseReference(text);
    if (parsed.kind === 'hf') {
      const rev = parsed.revision;
      return {
        registry: configuredRegistry('hf://'),
        ref: {
          repository: `${parsed.owner}/${parsed.name}`,
          ...(rev === undefined ? {} : /^[0-9a-f]{40}$/.test(rev) ? { digest: rev } : { tag: rev }),
        },
        reference: text.trim(),
      };
    }
    return {
      registry: configuredRegistry(parsed.registry),
      ref: {
        repository: parsed.repository,
        ...(parsed.tag === undefined ? {} : { tag: parsed.tag }),
        ...(parsed.digest === undefined ? {} : { digest: parsed.digest }),
      },
      reference: formatReference(parsed),
    };
  }

  async showDetails(arg: unknown): Promise<DetailsResult | undefined> {
    if (!requireTrust('Show Adapter Details')) return undefined;
    const target = await this.versionTarget(arg, 'Show the details of which adapter version?');
    if (target === undefined) return undefined;
    const pulled = await this.pull(target);
    const model =
      isInstallOptions(arg) && arg.model !== undefined ? modelAt(arg.model) : await this.defaultModel();
    const { compatibility, note } = await this.compatibility(pulled, model);
    const title = `${pulled.repository}${pulled.tag === undefined ? '' : `:${pulled.tag}`}`;
    if (this.details === undefined) {
      this.details = vscode.window.createWebviewPanel(
        'promptAdapter.marketplaceDetails',
        title,
        { viewColumn: vscode.ViewColumn.Active, preserveFocus: true },
        { enableScripts: false, localResourceRoots: [] },
      );
      this.details.onDidDispose(() => {
        this.details = undefined;
      });
    }
    const panel = this.details;
    panel.title = title;
    panel.webview.html = detailsHtml(
      {
        reference: target.reference,
        repository: pulled.repository,
        tag: pulled.tag,
        digest: pulled.digest,
        annotations: pulled.annotations,
        files: pulled.files.map((f) => ({ name: f.name, size: f.bytes.byteLength })),
        compatibility,
        ...(note === undefined ? {} : { compatibilityNote: note }),
      },
      {
        cspSource: panel.webview.cspSource,
        nonce: nonceFromBytes(globalThis.crypto.getRandomValues(new Uint8Array(18))),
      },
    );
    panel.reveal(undefined, true);
    return {
      reference: target.reference,
      digest: pulled.digest,
      compatibility,
      files: pulled.files.map((f) => f.name),
    };
  }

  async install(arg: unknown): Promise<vscode.Uri | undefined> {
    if (!requireTrust('Install Adapter')) return undefined;
    const target = await this.versionTarget(arg, 'Install which adapter version?');
    if (target === undefined) return undefined;
    const options = isInstallOptions(arg) ? arg : undefined;
    const root = vscode.workspace.workspaceFolders?.[0]?.uri;
    const parent =
      options?.destination !== undefined
        ? vscode.Uri.file(options.destination)
        : root === undefined
          ? undefined
          : vscode.Uri.joinPath(
              root,
              vscode.workspace
                .getConfiguration('promptAdapter')
                .get<string>(SETTINGS.adaptersFolder, 'adapters'),
            );
    if (parent === undefined) {
      void vscode.window.showWarningMessage(
        'Open a folder first: adapters are installed into the workspace.',
      );
      return undefined;
    }
    const model =
      options?.model !== undefined ? modelAt(options.model) : await this.pickModel(options !== undefined);
    if (model === null) return undefined; // the pick was cancelled
    const pulled = await this.pull(target);
    const { compatibility, note } = await this.compatibility(pulled, model);
    if (compatibility?.kind === 'does-not-fit') {
      void vscode.window.showErrorMessage(
        `Not installed: ${target.reference} does not fit ${model?.name ?? 'the model'}: ${compatibility.details.join('; ')}.`,
      );
      return undefined;
    }
    if (compatibility?.kind === 'fingerprint-differs' && options?.acceptFingerprintMismatch !== true) {
      const choice = await vscode.window.showWarningMessage(
        `${target.reference} was trained on another base model than ${model?.name ?? 'the chosen model'}. Install it anyway?`,
        { modal: true, detail: compatibility.details.join('\n') },
        'Install Anyway',
      );
      if (choice !== 'Install Anyway') return undefined;
    }
    if (compatibility === undefined && note !== undefined)
      this.log.warn(`install ${target.reference}: ${note}`);
    const folder = await uniqueFolder(
      parent,
      installFolderName(pulled.repository, pulled.tag, pulled.digest),
    );
    await writeFolderAtomic(folder, pulled.files);
    this.trees.adapters.refresh();
    this.log.info(`installed ${target.reference} (${pulled.digest}) into ${folder.fsPath}`);
    void vscode.window
      .showInformationMessage(
        `Installed ${target.reference} into ${vscode.workspace.asRelativePath(folder)}${compatibility === undefined ? '' : ` (${compatibility.label})`}.`,
        'Inspect',
      )
      .then((choice) => {
        if (choice !== undefined) void vscode.commands.executeCommand('promptAdapter.inspect', folder);
      });
    return folder;
  }

  /** The model to check against: the only one, or a pick (null when the pick is cancelled). */
  private async pickModel(programmatic: boolean): Promise<ModelEntry | undefined | null> {
    const models = (await findModels(this.context.extensionUri)).filter((m) => m.kind === 'hf');
    if (models.length <= 1 || programmatic) return models[0];
    const pick = await vscode.window.showQuickPick(
      models.map((m) => ({
        label: m.name,
        description: m.bundled ? 'bundled with the extension' : vscode.workspace.asRelativePath(m.uri),
        model: m,
      })),
      {
        title: 'Install the adapter for which model?',
        placeHolder: 'its shapes and fingerprint are checked',
      },
    );
    return pick === undefined ? null : pick.model;
  }

  async publish(arg: unknown): Promise<PublishResult | undefined> {
    if (!requireTrust('Publish Adapter')) return undefined;
    let folder: vscode.Uri;
    let refText: string;
    const overrides: { license?: string; description?: string } = {};
    if (isPublishOptions(arg)) {
      folder = vscode.Uri.file(arg.adapter);
      refText = arg.ref;
      if (arg.license !== undefined) overrides.license = arg.license;
      if (arg.description !== undefined) overrides.description = arg.description;
    } else {
      const picked = await pickAdapter(arg, 'Publish which adapter?');
      if (picked === undefined) return undefined;
      folder = picked;
      const form = await publishForm(folder);
      if (form === undefined) return undefined;
      refText = form.ref;
      if (form.license !== '') overrides.license = form.license;
      if (form.description !== '') overrides.description = form.description;
    }
    const files = await readAdapterFolder(folder);
    const where = vscode.workspace.asRelativePath(folder);
    const artifact = artifactFromFiles(files, where, overrides);
    const parsed = parseReference(refText);
    let registry: ConfiguredRegistry;
    let ref: AdapterRef;
    if (parsed.kind === 'oci') {
      if (parsed.tag === undefined) {
        throw new Error(
          `${refText}: give a version tag, e.g. ${formatReference({ ...parsed, tag: 'v1', digest: undefined })}`,
        );
      }
      registry = configuredRegistry(parsed.registry);
      ref = { repository: parsed.repository, tag: parsed.tag };
    } else {
      registry = configuredRegistry('hf://');
      ref = {
        repository: `${parsed.owner}/${parsed.name}`,
        ...(parsed.revision === undefined ? {} : { tag: parsed.revision }),
      };
    }
    const client = await this.client(registry);
    const published = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Publishing ${where}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => {
          abort.abort();
        });
        try {
          return await client.publish(ref, artifact, {
            signal: abort.signal,
            onProgress: (p) => {
              progress.report({ message: `${p.phase} ${p.item}` });
            },
          });
        } finally {
          sub.dispose();
        }
      },
    );
    const reference =
      parsed.kind === 'oci'
        ? formatReference({ registry: parsed.registry, repository: published.repository, tag: published.tag })
        : `hf://${published.repository}`;
    this.log.info(`published ${where} as ${reference} (${published.digest})`);
    this.tree.refresh();
    void vscode.window.showInformationMessage(`Published ${where} as ${reference}.`);
    return { reference, ...published };
  }

  async signIn(arg: unknown): Promise<boolean> {
    if (!requireTrust('Sign In to Registry')) return false;
    const registry = await this.pickRegistry(arg, 'Sign in to which registry?', true);
    if (registry === undefined) return false;
    const credentials = await promptForCredentials(registry);
    if (credentials === undefined) return false;
    await this.credentials.store(registry.credentialHost, credentials);
    this.log.info(`stored credentials for ${registry.credentialHost} in the secret storage`);
    void vscode.window.showInformationMessage(`Signed in to ${registry.credentialHost}.`);
    this.tree.refresh();
    return true;
  }

  async signOut(arg: unknown): Promise<boolean> {
    const registry = await this.pickRegistry(arg, 'Sign out of which registry?', false);
    if (registry === undefined) return false;
    const had = await this.credentials.delete(registry.credentialHost);
    this.log.info(`removed the credentials for ${registry.credentialHost}`);
    void vscode.window.showInformationMessage(
      had
        ? `Signed out of ${registry.credentialHost}.`
        : `No credentials were stored for ${registry.credentialHost}.`,
    );
    this.tree.refresh();
    return had;
  }

  /** A registry from a tree node, a `host[:port]`/`hf://` string, or a pick of the configured ones (+ Other…). */
  private async pickRegistry(
    arg: unknown,
    title: string,
    allowOther: boolean,
  ): Promise<ConfiguredRegistry | undefined> {
    if (isMarketplaceNode(arg) && arg.type !== 'message') return arg.registry;
    if (typeof arg === 'string' && arg !== '') return configuredRegistry(arg);
    const { registries } = configuredRegistries();
    const items: { label: string; description?: string; registry: ConfiguredRegistry | undefined }[] =
      registries.map((r) => ({ label: r.label, registry: r }));
    if (allowOther)
      items.push({ label: 'Other registry…', description: 'host[:port] or hf://', registry: undefined });
    const pick =
      items.length === 1 && !allowOther ? items[0] : await vscode.window.showQuickPick(items, { title });
    if (pick === undefined) return undefined;
    if (pick.registry !== undefined) return pick.registry;
    const text = await vscode.window.showInputBox({
      title,
      prompt: 'host[:port] of an OCI registry, or hf:// for the Hugging Face Hub',
      validateInput: (v) => {
        try {
          configuredRegistry(v.trim());
          return undefined;
        } catch (e) {
          return errorText(e);
        }
      },
    });
    return text === undefined ? undefined : configuredRegistry(text.trim());
  }

  async searchCommand(): Promise<void> {
    const text = await vscode.window.showInputBox({
      title: 'Search the adapter marketplace',
      prompt: 'Text in the repository, tag, description, base model or task (empty: everything)',
      value: this.tree.filter.text ?? '',
    });
    if (text === undefined) return;
    const { baseModel, task } = this.tree.filter;
    this.setFilter({
      ...(baseModel === undefined ? {} : { baseModel }),
      ...(task === undefined ? {} : { task }),
      ...(text.trim() === '' ? {} : { text: text.trim() }),
    });
  }

  async filterCommand(): Promise<void> {
    const { baseModels, tasks } = filterChoices(this.tree.listedVersions());
    const current = this.tree.filter;
    type Item = vscode.QuickPickItem & { apply: () => MarketplaceFilter };
    const items: Item[] = [
      ...baseModels.map((b) => ({
        label: b,
        description: 'base model',
        apply: () => ({ ...current, baseModel: b }),
      })),
      ...tasks.map((t) => ({ label: t, description: 'task', apply: () => ({ ...current, task: t }) })),
      { label: 'Clear filters', description: '', apply: () => ({}) },
    ];
    const pick = await vscode.window.showQuickPick(items, {
      title: 'Filter the marketplace by base model or task',
      placeHolder:
        baseModels.length + tasks.length === 0
          ? 'nothing listed yet to filter by: expand a registry first'
          : 'only versions with this base model or task are shown',
    });
    if (pick !== undefined) this.setFilter(pick.apply());
  }

  setFilter(filter: MarketplaceFilter): void {
    this.tree.setFilter(filter);
    this.view.description = this.tree.filterLabel() === '' ? '' : `filter: ${this.tree.filterLabel()}`;
    void vscode.commands.executeCommand('setContext', MARKETPLACE_FILTERED_CONTEXT, !isEmptyFilter(filter));
  }

  dispose(): void {
    this.details?.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

function modelAt(path: string): ModelEntry {
  const uri = vscode.Uri.file(path);
  return { kind: path.endsWith('.gguf') ? 'gguf' : 'hf', uri, name: baseName(uri), bundled: false };
}

async function uniqueFolder(parent: vscode.Uri, name: string): Promise<vscode.Uri> {
  let candidate = vscode.Uri.joinPath(parent, name);
  for (let i = 2; await exists(candidate); i++) candidate = vscode.Uri.joinPath(parent, `${name}-${i}`);
  return candidate;
}

/** The plain top-level files of an adapter folder (sub-folders and dot-files are not part of an adapter). */
async function readAdapterFolder(folder: vscode.Uri): Promise<AdapterFile[]> {
  const entries = await vscode.workspace.fs.readDirectory(folder);
  const names = publishableFileNames(
    entries.map(([name, type]) => ({ name, isFile: (type & vscode.FileType.File) !== 0 })),
  );
  const files: AdapterFile[] = [];
  for (const name of names) {
    files.push({ name, bytes: await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder, name)) });
  }
  return files;
}

/** The publish form: registry, repository (name), tag (version), licence and description, one step each. */
async function publishForm(
  folder: vscode.Uri,
): Promise<{ ref: string; license: string; description: string } | undefined> {
  const { registries } = configuredRegistries();
  const steps = 5;
  let registryText: string | undefined;
  const choices = [
    ...registries.map((r) => ({ label: r.text, description: r.label })),
    { label: 'Other registry…', description: 'host[:port] or hf://owner' },
  ];
  const pick = await vscode.window.showQuickPick(choices, {
    title: `Publish (1/${steps}): to which registry?`,
  });
  if (pick === undefined) return undefined;
  registryText = pick.label;
  if (pick.label === 'Other registry…') {
    registryText = await vscode.window.showInputBox({
      title: `Publish (1/${steps}): registry`,
      prompt: 'host[:port] of an OCI registry, or hf://owner for the Hugging Face Hub',
      ignoreFocusOut: true,
    });
    if (registryText === undefined) return undefined;
  }
  const registry = configuredRegistry(registryText.trim());
  const suggested = suggestRepositoryName(baseName(folder));
  const name = await vscode.window.showInputBox({
    title: `Publish (2/${steps}): name`,
    prompt:
      registry.address.kind === 'hf'
        ? 'The Hub repository name (owner/name or name)'
        : 'The repository, e.g. team/spam-detector',
    value:
      registry.address.kind === 'hf' && registry.address.owner !== undefined
        ? `${registry.address.owner}/${suggested}`
        : suggested,
    ignoreFocusOut: true,
  });
  if (name === undefined || name.trim() === '') return undefined;
  let ref: string;
  if (registry.address.kind === 'hf') {
    ref = `hf://${name.trim()}`;
  } else {
    const tag = await vscode.window.showInputBox({
      title: `Publish (3/${steps}): version`,
      prompt: 'The tag of this version, e.g. v1',
      value: 'v1',
      ignoreFocusOut: true,
    });
    if (tag === undefined || tag.trim() === '') return undefined;
    ref = `${registry.address.registry}/${name.trim()}:${tag.trim()}`;
  }
  parseReference(ref); // says what is wrong before anything is asked further
  const license = await vscode.window.showInputBox({
    title: `Publish (4/${steps}): licence`,
    prompt: 'An SPDX licence expression, e.g. MIT or Apache-2.0 (empty: none)',
    ignoreFocusOut: true,
  });
  if (license === undefined) return undefined;
  const description = await vscode.window.showInputBox({
    title: `Publish (5/${steps}): description`,
    prompt: 'One line on what the adapter does (empty: none)',
    ignoreFocusOut: true,
  });
  if (description === undefined) return undefined;
  return { ref, license: license.trim(), description: description.trim() };
}

/** Registers the Marketplace view and its commands; everything goes into context.subscriptions. */
export function registerMarketplace(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  trees: WorkspaceTrees,
): void {
  const m = new Marketplace(context, log, trees);
  const handlers: Record<
    (typeof MARKETPLACE_COMMANDS)[keyof typeof MARKETPLACE_COMMANDS],
    (arg: unknown) => unknown
  > = {
    [MARKETPLACE_COMMANDS.search]: () => m.searchCommand(),
    [MARKETPLACE_COMMANDS.filter]: () => m.filterCommand(),
    [MARKETPLACE_COMMANDS.clearFilter]: () => {
      m.setFilter({});
    },
    [MARKETPLACE_COMMANDS.refresh]: () => {
      m.tree.refresh();
    },
    [MARKETPLACE_COMMANDS.showDetails]: (arg) => m.showDetails(arg),
    [MARKETPLACE_COMMANDS.install]: (arg) => m.install(arg),
    [MARKETPLACE_COMMANDS.publish]: (arg) => m.publish(arg),
    [MARKETPLACE_COMMANDS.signIn]: (arg) => m.signIn(arg),
    [MARKETPLACE_COMMANDS.signOut]: (arg) => m.signOut(arg),
  };
  context.subscriptions.push(
    m,
    ...Object.entries(handlers).map(([id, handler]) =>
      vscode.commands.registerCommand(id, async (arg: unknown) => {
        try {
          return await handler(arg);
        } catch (e) {
          // RegistryError messages name the registry and the request, never credentials
          const text = errorText(e);
          log.error(`${id}: ${text}`);
          const auth = e instanceof RegistryError && (e.code === 'UNAUTHORIZED' || e.code === 'DENIED');
          void vscode.window
            .showErrorMessage(`Prompt Adapter: ${text}`, ...(auth ? ['Sign In to Registry…'] : []))
            .then((choice) => {
              if (choice !== undefined) void vscode.commands.executeCommand(MARKETPLACE_COMMANDS.signIn);
            });
          return undefined;
        }
      }),
    ),
  );
}
