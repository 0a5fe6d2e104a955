// What the switch reports, turned into the pipeline's flow facts (pipeline/facts.ts).
import type { FlowCounters, FlowEndReason, PortInfo } from '../pipeline/facts.ts';
import type { Port } from '../openflow/index.ts';

const ALL_ONES = 0xffffffffffffffffn;

/** OVS reports counters it does not keep as all-ones: those are unknown, not huge. */
export function counters(packets: bigint, bytes: bigint): FlowCounters {
  return { packets: packets === ALL_ONES ? null : packets, bytes: bytes === ALL_ONES ? null : bytes };
}

const END_REASONS: FlowEndReason[] = ['idle-timeout', 'hard-timeout', 'delete', 'group-delete', 'meter-delete'];

export function endReason(code: number): FlowEndReason {
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
