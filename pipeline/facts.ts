// Flow facts: what the controller hands the pipeline. They say what OVS reported, in terms
// free of OpenFlow (no OXM, no message types), so the pipeline never needs the codec.

/** Packet and byte counters; null where the switch does not know (OVS reports all-ones). */
export interface FlowCounters {
  packets: bigint | null;
  bytes: bigint | null;
}

/**
 * The header fields a flow entry matches on, as the controller's policy chose them.
 * Addresses in text form (MAC "aa:bb:cc:dd:ee:ff", IPv4 dotted, IPv6 RFC 5952).
 */
export interface FlowKey {
  inPort: number;
  ethSrc?: string;
  ethDst?: string;
  ethType?: number;
  vlanId?: number;
  ipSrc?: string;
  ipDst?: string;
  ipProto?: number;
  srcPort?: number;
  dstPort?: number;
  icmpType?: number;
  icmpCode?: number;
}

export type FlowEndReason = 'idle-timeout' | 'hard-timeout' | 'delete' | 'group-delete' | 'meter-delete';

export interface PortInfo {
  portNo: number;
  name: string;
  hwAddr: string;
  linkUp: boolean;
  adminUp: boolean;
}

interface FactBase {
  /** Milliseconds since the epoch, when the controller received what it reports. */
  time: number;
  /** The switch's datapath id. */
  datapathId: bigint;
}

/**
 * A flow's identity across start, update and end: the cookie the controller put on the
 * flow entry it installed for this flow. It is derived from the flow key, so the same flow
 * seen again after a controller restart has the same id.
 */
export type FlowId = bigint;

export type FlowFact =
  | (FactBase & {
      kind: 'flow.start';
      flowId: FlowId;
      key: FlowKey;
      /** The first packet's bytes as the switch sent them (maybe cut at miss_send_len). */
      frame: Uint8Array;
      /** The packet's full length on the wire. */
      frameLength: number;
    })
  | (FactBase & {
      kind: 'flow.update';
      flowId: FlowId;
      key: FlowKey;
      counters: FlowCounters;
      durationSeconds: number;
    })
  | (FactBase & {
      kind: 'flow.end';
      flowId: FlowId;
      key: FlowKey;
      counters: FlowCounters;
      durationSeconds: number;
      reason: FlowEndReason;
      idleTimeout: number;
      hardTimeout: number;
    })
  | (FactBase & { kind: 'switch.up'; address: string; ports: PortInfo[] })
  | (FactBase & { kind: 'switch.down'; reason: string })
  | (FactBase & { kind: 'port.status'; reason: 'add' | 'delete' | 'modify'; port: PortInfo });

/**
 * Where the controller delivers facts. The controller awaits each call before it reads more
 * from that switch's socket (backpressure) and before it forwards the packets the facts
 * describe (an event is appended before its packet is forwarded).
 */
export interface FactConsumer {
  consume(facts: FlowFact[]): Promise<void>;
}
