// A flow's endpoints, merged from the flow key (what the controller matched on) and the
// first packet (what was actually seen). Raw addresses live here in memory only; the
// privacy transform runs when an event is built.
import type { FlowKey } from './facts.ts';
import type { ParsedFrame } from './frame.ts';
import { ETH_ARP } from './frame.ts';

export interface FlowTuple {
  inPort: number;
  srcMac?: string;
  dstMac?: string;
  etherType?: number;
  vlans: number[];
  ipVersion?: 4 | 6;
  srcIp?: string;
  dstIp?: string;
  protocol?: number;
  srcPort?: number;
  dstPort?: number;
  icmpType?: number;
  icmpCode?: number;
}

/** The frame's values win where present (they are what crossed the wire); the key fills gaps. */
export function flowTuple(key: FlowKey, frame?: ParsedFrame): FlowTuple {
  const arp = frame?.arp;
  const srcIp = frame?.ip?.src ?? arp?.senderIp ?? key.ipSrc;
  const dstIp = frame?.ip?.dst ?? arp?.targetIp ?? key.ipDst;
  const l4 = frame?.tcp ?? frame?.udp;
  const etherType = frame?.etherType ?? key.ethType;
  return {
    inPort: key.inPort,
    srcMac: frame?.eth?.src ?? key.ethSrc,
    dstMac: frame?.eth?.dst ?? key.ethDst,
    etherType,
    vlans: frame && frame.vlans.length > 0 ? frame.vlans : key.vlanId !== undefined ? [key.vlanId] : [],
    ipVersion: frame?.ip?.version ?? (etherType === ETH_ARP ? undefined : ipVersionOf(srcIp ?? dstIp)),
    srcIp,
    dstIp,
    protocol: frame?.ip?.protocol ?? key.ipProto,
    srcPort: l4?.srcPort ?? key.srcPort,
    dstPort: l4?.dstPort ?? key.dstPort,
    icmpType: frame?.icmp?.type ?? key.icmpType,
    icmpCode: frame?.icmp?.code ?? key.icmpCode,
  };
}

function ipVersionOf(ip: string | undefined): 4 | 6 | undefined {
  if (ip === undefined) return undefined;
  return ip.includes(':') ? 6 : 4;
}
