// The policy's two most common packet-in decisions, made and encoded straight from the
// packet-in's bytes: a frame between two hosts already learned on their ports either starts
// a new flow (FLOW_MOD, plus a PACKET_OUT when the switch did not buffer it) or belongs to
// one already installed (PACKET_OUT). The match is written from the frame's bytes, not from
// the key's text. Every other case (learning, a moved host, flooding, group addresses,
// frames too short) is left to decidePacketIn. The bytes, the xids and the state change
// are those of decidePacketIn + applyDecision + the general encoder
// (test/controller/fast-forward.test.ts checks that over generated frames and states).
import type { FlowKey } from '../pipeline/facts.ts';
import type { BufferWriter } from '../openflow/index.ts';
import {
  ACTION_TYPE_CODE, FLOW_MOD_COMMAND, FLOW_MOD_FLAGS, INSTRUCTION_TYPE_CODE, MESSAGE_TYPE_CODE, OFP_NO_BUFFER, OFPMT_OXM, OFP_VERSION, OFPG_ANY, OFPP, OFPVID_PRESENT,
  oxmHeader,
} from '../openflow/index.ts';
import type { PolicyConfig, SwitchState } from './policy.ts';
import { ETH_IPV6, TCP, emptyFrameFields, keyOf, scanFrame, type FrameFields } from './frame-key.ts';
import { cookieHigh, flowHash } from './flow-id.ts';

/** general: decidePacketIn must decide; forwarded: a PACKET_OUT was written; installed: a new entry too. */
export type FastOutcome = 'general' | 'forwarded' | 'installed';

export interface Xids {
  xid(): number;
}

const OFPT_PACKET_OUT = MESSAGE_TYPE_CODE.PACKET_OUT;
const OFPT_FLOW_MOD = MESSAGE_TYPE_CODE.FLOW_MOD;
const OFPIT_APPLY_ACTIONS = INSTRUCTION_TYPE_CODE.APPLY_ACTIONS;
const OFPAT_OUTPUT = ACTION_TYPE_CODE.OUTPUT;
const OUTPUT_LEN = 16;

// The OXM TLV headers of the match's fields (unmasked, OpenFlow-basic).
const IN_PORT = oxmHeader('in_port');
const ETH_DST = oxmHeader('eth_dst');
const ETH_SRC = oxmHeader('eth_src');
const ETH_TYPE = oxmHeader('eth_type');
const VLAN_VID = oxmHeader('vlan_vid');
const IP_PROTO = oxmHeader('ip_proto');
const IPV4 = [oxmHeader('ipv4_src'), oxmHeader('ipv4_dst')];
const IPV6 = [oxmHeader('ipv6_src'), oxmHeader('ipv6_dst')];
const TCP_PORTS = [oxmHeader('tcp_src'), oxmHeader('tcp_dst')];
const UDP_PORTS = [oxmHeader('udp_src'), oxmHeader('udp_dst')];
const ICMPV4 = [oxmHeader('icmpv4_type'), oxmHeader('icmpv4_code')];
const ICMPV6 = [oxmHeader('icmpv6_type'), oxmHeader('icmpv6_code')];

export class FastForward {
  private readonly state: SwitchState;
  private readonly config: PolicyConfig;
  private readonly fields: FrameFields = emptyFrameFields();
  /** The entry the last 'installed' outcome added: its key and flowHash. */
  key: FlowKey | undefined;
  hash = 0;

  constructor(state: SwitchState, config: PolicyConfig) {
    this.state = state;
    this.config = config;
  }

  /**
   * Decides the packet-in whose frame is b[at, end) and, unless the outcome is 'general',
   * appends the messages to `w` (xids from `xids`) and makes the state change.
   */
  packetIn(b: Buffer, at: number, end: number, inPort: number, bufferId: number, w: BufferWriter, xids: Xids): FastOutcome {
    const f = this.fields;
    if (!scanFrame(b, at, end, f) || ((b[at]! | b[at + 6]!) & 1) === 1) return 'general';
    const key = keyOf(b, at, inPort, f);
    if (this.state.macs.get(key.ethSrc!) !== inPort) return 'general';
    const outPort = this.state.macs.get(key.ethDst!);
    if (outPort === undefined || outPort === inPort) return 'general';
    const hash = flowHash(key);
    if (this.state.flows.has(hash)) {
      writePacketOut(w, xids.xid(), b, at, end, inPort, bufferId, outPort);
      return 'forwarded';
    }
    this.writeFlowAdd(w, xids.xid(), b, at, hash, inPort, outPort, bufferId);
    if (bufferId === OFP_NO_BUFFER) writePacketOut(w, xids.xid(), b, at, end, inPort, bufferId, outPort);
    this.state.flows.set(hash, key);
    this.key = key;
    this.hash = hash;
    return 'installed';
  }

  /** policy.ts's flowAdd, encoded: the exact match keyToMatch makes, output to one port. */
  private writeFlowAdd(w: BufferWriter, xid: number, b: Buffer, at: number, hash: number, inPort: number, outPort: number, bufferId: number): void {
    const f = this.fields;
    const start = header(w, OFPT_FLOW_MOD, xid);
    w.u32(cookieHigh(hash));
    w.u32(hash >>> 0);
    w.u32(0); // cookie_mask
    w.u32(0);
    w.u8(0); // table_id
    w.u8(FLOW_MOD_COMMAND.ADD);
    w.u16(this.config.idleTimeout);
    w.u16(this.config.hardTimeout);
    w.u16(this.config.priority);
    w.u32(bufferId);
    w.u32(OFPP.ANY);
    w.u32(OFPG_ANY);
    w.u16(FLOW_MOD_FLAGS.SEND_FLOW_REM);
    w.zeros(2);
    const match = w.pos;
    w.u16(OFPMT_OXM);
    w.u16(0);
    w.u32(IN_PORT);
    w.u32(inPort);
    w.u32(ETH_DST);
    copy(w, b, at, 6);
    w.u32(ETH_SRC);
    copy(w, b, at + 6, 6);
    if (f.ethType >= 0) {
      w.u32(ETH_TYPE);
      w.u16(f.ethType);
    }
    if (f.vlanId >= 0) {
      w.u32(VLAN_VID);
      w.u16(f.vlanId | OFPVID_PRESENT);
    }
    const v6 = f.ethType === ETH_IPV6;
    if (f.ipProto >= 0) {
      w.u32(IP_PROTO);
      w.u8(f.ipProto);
      const ip = v6 ? IPV6 : IPV4;
      w.u32(ip[0]!);
      copy(w, b, f.ipAt, f.ipSize);
      w.u32(ip[1]!);
      copy(w, b, f.ipAt + f.ipSize, f.ipSize);
    }
    if (f.srcPort >= 0) {
      const ports = f.ipProto === TCP ? TCP_PORTS : UDP_PORTS;
      w.u32(ports[0]!);
      w.u16(f.srcPort);
      w.u32(ports[1]!);
      w.u16(f.dstPort);
    }
    if (f.icmpType >= 0) {
      const icmp = v6 ? ICMPV6 : ICMPV4;
      w.u32(icmp[0]!);
      w.u8(f.icmpType);
      w.u32(icmp[1]!);
      w.u8(f.icmpCode);
    }
    w.patchU16(match + 2, w.pos - match);
    w.pad8(match);
    w.u16(OFPIT_APPLY_ACTIONS);
    w.u16(8 + OUTPUT_LEN);
    w.zeros(4);
    output(w, outPort);
    w.patchU16(start + 2, w.pos - start);
  }
}

/** An ofp_header with its length left 0 (patched last); returns where it starts. */
function header(w: BufferWriter, type: number, xid: number): number {
  const start = w.pos;
  w.u8(OFP_VERSION);
  w.u8(type);
  w.u16(0);
  w.u32(xid);
  return start;
}

function output(w: BufferWriter, port: number): void {
  w.u16(OFPAT_OUTPUT);
  w.u16(OUTPUT_LEN);
  w.u32(port);
  w.u16(0); // max_len
  w.zeros(6);
}

/** policy.ts's packetOut, encoded: the frame goes along unless the switch buffered it. */
function writePacketOut(w: BufferWriter, xid: number, b: Buffer, at: number, end: number, inPort: number, bufferId: number, port: number): void {
  const start = header(w, OFPT_PACKET_OUT, xid);
  w.u32(bufferId);
  w.u32(inPort);
  w.u16(OUTPUT_LEN); // actions_len
  w.zeros(6);
  output(w, port);
  if (bufferId === OFP_NO_BUFFER) copy(w, b, at, end - at);
  w.patchU16(start + 2, w.pos - start);
}

function copy(w: BufferWriter, b: Buffer, from: number, n: number): void {
  w.reserve(n);
  // Buffer#copy costs ~30 ns a call whatever the size: addresses are copied byte by byte.
  if (n <= 16) for (let i = 0; i < n; i++) w.buf[w.pos + i] = b[from + i]!;
  else b.copy(w.buf, w.pos, from, from + n);
  w.pos += n;
}
