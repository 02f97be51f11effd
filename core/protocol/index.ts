// The typed host ↔ webview protocol: message map, generic endpoint, runtime guards.
export type * from './messages.js';
export { Endpoint, PROTOCOL_TAG, RemoteError, transportPair, wireMessage } from './endpoint.js';
export type { EndpointOptions, ProtocolGuards, Transport, WireMessage } from './endpoint.js';
export {
  ProtocolError,
  arrayOf,
  bool,
  bytes,
  expectValid,
  int,
  isPlainObject,
  literal,
  nonNegativeInt,
  nothing,
  nullable,
  num,
  object,
  oneOf,
  optional,
  problemsOf,
  recordOf,
  str,
  unknownValue,
} from './guards.js';
export type { Guard, Guarded, ObjectOf, Optional } from './guards.js';
export {
  adapterSummaryGuard,
  attentionComputedGuard,
  attentionInitGuard,
  createHostEndpoint,
  evaluationReportGuard,
  createWebviewEndpoint,
  headerSummaryGuard,
  hostGuards,
  modelCheckGuard,
  trainProgressGuard,
  trainSettingsGuard,
  webviewGuards,
} from './protocol.js';
export type { HostEndpoint, WebviewEndpoint } from './protocol.js';
