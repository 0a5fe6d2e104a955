// Public surface of pipeline/. Other folders import from here only.
export type { FlowFact, FlowKey, FlowCounters, FlowEndReason, FlowId, PortInfo, FactConsumer } from './facts.ts';
