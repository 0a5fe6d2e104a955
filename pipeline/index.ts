// Public surface of pipeline/. Other folders import from here only.
export type { FlowFact, FlowKey, FlowCounters, FlowEndReason, FlowId, PortInfo, FactConsumer } from './facts.ts';
export type { Pipeline, PipelineOptions, PipelineOutput, EncodedEvents } from './pipeline.ts';
export { createPipeline, modelDirOf, defaultKeyFile } from './pipeline.ts';
export type { ThreadedPipelineOptions } from './pipeline-thread.ts';
export { createThreadedPipeline } from './pipeline-thread.ts';
export type { EventVectorizer, VectorizerOptions, Vectorized } from './event-vectorizer.ts';
export { createVectorizer, DEFAULT_MODEL_DIR } from './event-vectorizer.ts';
export type { EcsEvent, EventAction } from './event.ts';
export type { PrivacyMode } from './privacy.ts';
export { PRIVACY_MODES, Pseudonymizer } from './privacy.ts';
export { readKeyFile, decodeKey, keyId } from './key-file.ts';
export { FEATURE_NAMES, FEATURE_COUNT } from './features.ts';
export { ipv4Text, macText } from './address.ts';
export type { BatchLimits } from './vectorizer.ts';
export type { TrainOptions } from './train.ts';
export { trainSiteModel } from './train.ts';
