// Public surface of storage/. Other folders import from here only.
export { openEventLog, EventLog, LogFailedError } from './event-log.ts';
export type { AppendResult, BlockOptions, Durability, OpenOptions } from './event-log.ts';
export { LockedError } from './lock.ts';
export { DamagedLogError } from './recover.ts';
export { openLogReader, LogReader } from './log-reader.ts';
export type { LogRecord } from './log-reader.ts';
export { initData, defaultKeyPath } from './init.ts';
export type { InitOptions, InitResult } from './init.ts';
export { verify } from './verify.ts';
export type { Problem, VerifyOptions, VerifyReport } from './verify.ts';
export { proveInclusion, checkEventProof, readProofFile } from './proof.ts';
export type { EventProof } from './proof.ts';
export { checkInclusion, checkConsistency } from './proof-check.ts';
export type { ConsistencyProof, InclusionProof, ProofResult } from './proof-check.ts';
export { listHeaderFiles, readHeader, snapshotName } from './block-header.ts';
export type { BlockHeader } from './block-header.ts';
export { layout } from './layout.ts';
