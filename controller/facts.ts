// What the switch reports, turned into the pipeline's flow facts (pipeline/facts.ts).
import type { FlowCounters, FlowEndReason, FlowFact, FlowId, FlowKey, PortInfo } from '../pipeline/facts.ts';
import type { Port } from '../openflow/index.ts';

const ALL_ONES = 0xffffffffffffffffn;

/** OVS reports counters it does not keep as all-ones: those are unknown, not huge. */
function counters(packets: bigint, bytes: bigint): FlowCounters {
  return { packets: packets === ALL_ONES ? null : packets, bytes: bytes === ALL_ONES ? null : bytes };
}

const END_REASONS: FlowEndReason[] = ['idle-timeout', 'hard-timeout', 'delete', 'group-delete', 'meter-delete'];

function endReason(code: number): FlowEndReason {
  return END_REASONS[code] ?? 'delete';
}

const OFPPC_PORT_DOWN = 1;
const OFPPS_LINK_DOWN = 1;

export function portInfo(p: Port): PortInfo {
  return {
    portNo: p.port_no,
    name: p.name,
    hwAddr: p.hw_addr,
    linkUp: (p.state & OFPPS_LINK_DOWN) === 0,
    adminUp: (p.config & OFPPC_PORT_DOWN) === 0,
  };
}

/** Datapath ids as OVS prints them: 16 hex digits. */
export function dpidText(dpid: bigint): string {
  return dpid.toString(16).padStart(16, '0');
}

/**
 * A flow's start: the entry just installed and its first packet. `frame` is handed over as
 * is; a view into the socket read keeps that read alive while the consumer holds the fact.
 */
export function flowStart(time: number, datapathId: bigint, flowId: FlowId, key: FlowKey, frame: Uint8Array, frameLength: number): FlowFact {
  return { kind: 'flow.start', time, datapathId, flowId, key, frame, frameLength };
}

/** A live flow's counters, from a flow-stats entry of ours. */
export function flowUpdate(time: number, datapathId: bigint, flowId: FlowId, key: FlowKey, packets: bigint, bytes: bigint, durationSec: number, durationNsec: number): FlowFact {
  return { kind: 'flow.update', time, datapathId, flowId, key, counters: counters(packets, bytes), durationSeconds: seconds(durationSec, durationNsec) };
}

/** A flow's end, from what the switch's FLOW_REMOVED said about our entry. */
export function flowEnd(
  time: number, datapathId: bigint, flowId: FlowId, key: FlowKey, packets: bigint, bytes: bigint,
  durationSec: number, durationNsec: number, reason: number, idleTimeout: number, hardTimeout: number,
): FlowFact {
  return {
    kind: 'flow.end', time, datapathId, flowId, key, counters: counters(packets, bytes), durationSeconds: seconds(durationSec, durationNsec),
    reason: endReason(reason), idleTimeout, hardTimeout,
  };
}

/** An entry's age as the switch gives it (duration_sec, duration_nsec), in seconds. */
function seconds(sec: number, nsec: number): number {
  return sec + nsec / 1e9;
}
