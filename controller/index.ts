// Public surface of controller/. Other folders import from here only.
export { Controller, type ControllerOptions } from './controller.ts';
export { Session, DEFAULT_SESSION, type Role, type SessionOptions } from './session.ts';
export { parseListen, formatListen, type ListenSpec, type TlsFiles } from './listen.ts';
export { DEFAULT_POLICY, decidePacketIn, applyDecision, emptyState, type PolicyConfig, type SwitchState, type Decision } from './policy.ts';
export { flowIdOf, isOurFlowCookie } from './flow-id.ts';
export { openIndexing, type Indexing, type IndexingOptions } from './indexing.ts';
export { startApi, controllerSwitches, parseApiAddress, type Api, type ApiOptions, type SwitchView } from './api.ts';
export { loadOrCreateToken, defaultTokenFile } from './api-token.ts';
