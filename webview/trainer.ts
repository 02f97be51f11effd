// The trainer page. It always exposes globalThis.promptAdapterTrainer (trainer/page-api.ts), so that a plain page
// (the browser parity test, test/browser/trainer.test.ts) can drive training without VS Code; inside a VS Code
// webview (acquireVsCodeApi exists) it also talks to the host over core/protocol (trainer/host-session.ts).
import { startHostSession } from './trainer/host-session.js';
import { runFromUrls } from './trainer/page-api.js';
import type { TrainerPageApi } from './trainer/page-api.js';

const api: TrainerPageApi = { runFromUrls: (request) => runFromUrls(request) };
(globalThis as { promptAdapterTrainer?: TrainerPageApi }).promptAdapterTrainer = api;

if (typeof (globalThis as { acquireVsCodeApi?: unknown }).acquireVsCodeApi === 'function') startHostSession();
