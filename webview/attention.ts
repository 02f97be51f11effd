// The attention view: for a text the user types, per layer and head the share of attention the text tokens give
// to the adapter's virtual tokens (a layers × heads heatmap), and for the clicked layer and head the text tokens
// × virtual tokens matrix. The model and the adapter load in the page from the webview URIs the host hands out
// ('attention/init'); the forward pass is core/prompts/run.ts with attention capture (the one the parity tests
// check) and the numbers core/inspect/attention.ts. Each result also goes to the host ('attention/computed').
// Colours through CSSOM custom properties: the CSP has no 'unsafe-inline'.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { parseSafetensors, readFloat32 } from '../core/formats/safetensors.js';
import { attentionForText, textAttentionMatrix } from '../core/inspect/text-attention.js';
import type { TextAttention } from '../core/inspect/text-attention.js';
import { loadPromptAdapter } from '../core/prompts/peft.js';
import type { PromptAdapter } from '../core/prompts/peft.js';
import type { AttentionInit, BackendInfo } from '../core/protocol/index.js';
import { connect, h } from './lib/host.js';
import { selectBackend } from './runtime/backend.js';
import { fetchModel } from './trainer/load-model.js';
import type { FetchedModel } from './trainer/load-model.js';

const { endpoint, ready } = connect('attention');
const app = document.getElementById('app') ?? document.body;

interface Loaded {
  readonly fetched: FetchedModel;
  readonly adapter: PromptAdapter;
  readonly backend: BackendInfo;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function fetchOk(url: string, what: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} while loading the adapter's ${what}`);
  return response;
}

async function loadAdapter(init: AttentionInit): Promise<PromptAdapter> {
  const url = (name: string): string => {
    const f = init.adapterFiles.find((x) => x.name === name);
    if (f === undefined) throw new Error(`the adapter folder has no ${name}`);
    return f.uri;
  };
  const config: unknown = await (await fetchOk(url('adapter_config.json'), 'adapter_config.json')).json();
  const bytes = new Uint8Array(
    await (await fetchOk(url('adapter_model.safetensors'), 'adapter_model.safetensors')).arrayBuffer(),
  );
  const file = parseSafetensors(bytes, { source: 'adapter_model.safetensors' });
  return loadPromptAdapter(
    config,
    {
      names: [...file.tensors.keys()],
      has: (name) => file.tensors.has(name),
      get: (name) => ({ shape: file.tensors.get(name)?.shape ?? [], data: readFloat32(file, name) }),
    },
    init.adapterName,
  );
}

function percent(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

/** The layers × heads heatmap: a grid of buttons (click: the matrix of that layer and head). */
function heatmap(a: TextAttention, onPick: (layer: number, head: number) => void): HTMLElement {
  const H = a.shares[0]?.length ?? 0;
  const grid = h('div', {
    class: 'heatmap',
    role: 'grid',
    'aria-label': 'share of attention on the virtual tokens, layers × heads',
  });
  grid.style.setProperty('--heads', String(H));
  grid.append(
    h('div', { class: 'corner' }, 'layer \\ head'),
    ...Array.from({ length: H }, (_, k) => h('div', { class: 'col-label' }, String(k))),
  );
  a.shares.forEach((row, l) => {
    grid.append(h('div', { class: 'row-label' }, String(l)));
    row.forEach((v, k) => {
      const cell = h(
        'button',
        {
          class: 'cell',
          title: `layer ${l}, head ${k}: ${v.toFixed(6)}`,
          'aria-label': `layer ${l}, head ${k}: ${percent(v)}`,
          'data-layer': String(l),
          'data-head': String(k),
        },
        percent(v),
      );
      cell.style.setProperty('--v', String(v));
      cell.addEventListener('click', () => {
        onPick(l, k);
      });
      grid.append(cell);
    });
  });
  return grid;
}

/** A plain table of the same numbers (screen readers, copying). */
function sharesTable(a: TextAttention): HTMLElement {
  const H = a.shares[0]?.length ?? 0;
  return h(
    'table',
    { class: 'values', id: 'shares-table' },
    h('caption', {}, 'Share of attention on the virtual tokens (layer × head)'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'layer'),
        ...Array.from({ length: H }, (_, k) => h('th', { scope: 'col' }, `head ${k}`)),
      ),
    ),
    h(
      'tbody',
      {},
      ...a.shares.map((row, l) =>
        h('tr', {}, h('th', { scope: 'row' }, String(l)), ...row.map((v) => h('td', {}, v.toFixed(4)))),
      ),
    ),
  );
}

/** Text tokens (rows, decoded) × virtual tokens (columns) for one layer and head. */
function matrixTable(a: TextAttention, layer: number, head: number): HTMLElement {
  const m = textAttentionMatrix(a, layer, head);
  return h(
    'table',
    { class: 'matrix', id: 'token-matrix' },
    h('caption', {}, `Layer ${layer}, head ${head}: attention of each text token on each virtual token`),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'text token'),
        ...Array.from({ length: a.virtualTokens }, (_, p) => h('th', { scope: 'col' }, `v${p}`)),
        h('th', { scope: 'col' }, 'sum'),
      ),
    ),
    h(
      'tbody',
      {},
      ...m.map((row, t) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row', class: 'token' }, JSON.stringify(a.tokens[t] ?? '')),
          ...row.map((v, p) => {
            const cell = h(
              'td',
              { title: `${JSON.stringify(a.tokens[t] ?? '')} → v${p}: ${v.toFixed(6)}` },
              v.toFixed(3),
            );
            cell.style.setProperty('--v', String(v));
            return cell;
          }),
          h('td', { class: 'sum' }, row.reduce((s, v) => s + v, 0).toFixed(3)),
        ),
      ),
    ),
  );
}

function start(init: AttentionInit): void {
  const status = h(
    'p',
    { id: 'status', class: 'muted', role: 'status' },
    'loading the model and the adapter…',
  );
  const field = h('vscode-textfield', {
    id: 'text',
    value: init.text,
    placeholder: 'a text to run',
    'aria-label': 'text',
  }) as HTMLElement & { value: string };
  const run = h('vscode-button', { id: 'run' }, 'Run');
  const result = h('div', { id: 'result' });
  const detail = h('div', { id: 'detail' });
  app.replaceChildren(
    h('h1', {}, `Attention to the virtual tokens: ${init.adapterName}`),
    h(
      'p',
      { class: 'muted' },
      `Base model ${init.modelName}. For each layer and head: the share of the text tokens' attention that goes to the virtual tokens (mean over the text tokens). Click a cell for its text × virtual tokens matrix.`,
    ),
    h('div', { class: 'form' }, field, run),
    status,
    result,
    detail,
  );
  const say = (text: string, error = false): void => {
    status.textContent = text;
    status.className = error ? 'bad' : 'muted';
  };

  const loading: Promise<Loaded> = (async () => {
    const backend = await selectBackend({
      preference: init.backend,
      forceWebGPU: init.forceWebGPU,
      wasmPaths: init.wasmBaseUri.endsWith('/') ? init.wasmBaseUri : `${init.wasmBaseUri}/`,
    });
    const [fetched, adapter] = await Promise.all([
      fetchModel(new Map(init.modelFiles.map((f) => [f.name, f.uri]))),
      loadAdapter(init),
    ]);
    return { fetched, adapter, backend };
  })();

  let busy = false;
  const compute = async (text: string): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      const { fetched, adapter, backend } = await loading;
      say('running the forward pass…');
      const started = performance.now();
      const a = await attentionForText(fetched.model, fetched.tokenizer, adapter, text);
      const ms = performance.now() - started;
      const showMatrix = (layer: number, head: number): void => {
        for (const c of result.querySelectorAll('.cell.picked')) c.classList.remove('picked');
        result.querySelector(`.cell[data-layer="${layer}"][data-head="${head}"]`)?.classList.add('picked');
        detail.replaceChildren(
          h('h2', {}, `Layer ${layer}, head ${head}: text tokens × virtual tokens`),
          matrixTable(a, layer, head),
        );
      };
      let best = { l: 0, k: 0, v: -1 };
      a.shares.forEach((row, l) => {
        row.forEach((v, k) => {
          if (v > best.v) best = { l, k, v };
        });
      });
      result.replaceChildren(
        h(
          'h2',
          {},
          `Layers × heads (${a.kind === 'prefix' ? 'prefix tuning: virtual keys/values' : 'prompt tuning: virtual input tokens'}, ${a.virtualTokens} virtual, ${a.ids.length} text tokens)`,
        ),
        heatmap(a, showMatrix),
        h('details', {}, h('summary', {}, 'Values'), sharesTable(a)),
      );
      showMatrix(best.l, best.k);
      say(
        `${a.ids.length} text tokens, ${a.shares.length} layers × ${a.shares[0]?.length ?? 0} heads on ${backend.backend} in ${ms.toFixed(0)} ms${backend.fallbackReason === null ? '' : ` (${backend.fallbackReason})`}`,
      );
      endpoint.notify('attention/computed', {
        kind: a.kind,
        backend: backend.backend,
        virtualTokens: a.virtualTokens,
        tokens: [...a.tokens],
        shares: a.shares.map((r) => [...r]),
      });
    } catch (e) {
      say(`failed: ${message(e)}`, true);
      endpoint.notify('log', { level: 'error', message: `attention: ${message(e)}` });
    } finally {
      busy = false;
    }
  };
  run.addEventListener('click', () => {
    void compute(field.value);
  });
  field.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') void compute(field.value);
  });
  void compute(init.text);
}

let started = false;
endpoint.on('attention/init', (init) => {
  if (started) return;
  started = true;
  start(init);
});
app.append(h('p', { class: 'muted' }, 'waiting for the host…'));
ready();
