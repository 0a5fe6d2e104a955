// The forwarding policy, Faucet style: pure functions from (switch state, input) to the
// OpenFlow messages to send and the state change to make. Nothing here touches a socket,
// so it is tested against a simulated flow table (test/controller/policy.test.ts).
//
// L2 learning with exact-match entries per flow: the 5-tuple for TCP and UDP, type and
// code for ICMP, the L2 header for everything else (plus in_port and both MACs, since the
// output port follows the destination MAC). Broadcast, multicast and unknown destinations
// are flooded by packet-out and get no entry.
import type { FlowId, FlowKey } from '../pipeline/facts.ts';
import type { FlowMod, OfpMessage, PacketOut } from '../openflow/index.ts';
import { FLOW_MOD_COMMAND, FLOW_MOD_FLAGS, OFP_NO_BUFFER, OFPCML_NO_BUFFER, OFPG_ANY, OFPP } from '../openflow/index.ts';
import { frameKey } from './frame-key.ts';
import { cookieOf, flowHash } from './flow-id.ts';
import { keyToMatch } from './match.ts';
import { FlowTable } from './flow-table.ts';

export interface PolicyConfig {
  /** Seconds without a packet before a flow entry expires (0 = never). */
  idleTimeout: number;
  /** Seconds after installation before a flow entry expires (0 = never). */
  hardTimeout: number;
  /** Priority of per-flow entries; the table-miss entry has priority 0. */
  priority: number;
}

export const DEFAULT_POLICY: PolicyConfig = { idleTimeout: 10, hardTimeout: 0, priority: 100 };

/** What the policy remembers about one switch. */
export interface SwitchState {
  /** MAC address → the port it was last seen on. */
  macs: Map<string, number>;
  /** The per-flow entries installed on the switch, by flowHash (their cookie's low 53 bits). */
  flows: FlowTable;
}

export function emptyState(): SwitchState {
  return { macs: new Map(), flows: new FlowTable() };
}

export interface PacketInInput {
  inPort: number;
  bufferId: number;
  data: Uint8Array;
}

export interface Decision {
  /** Messages to send, in order (xid 0: the session numbers them). */
  messages: OfpMessage[];
  /** A MAC seen on a port it was not known on. */
  learn?: { mac: string; port: number };
  /** A new per-flow entry this decision installs: its cookie, hash and key. */
  install?: { id: FlowId; hash: number; key: FlowKey };
}

export function decidePacketIn(state: Readonly<SwitchState>, config: PolicyConfig, input: PacketInInput): Decision {
  const parsed = frameKey(input.data, input.inPort);
  if (!parsed) return { messages: releaseBuffer(input) };
  const { key, dstGroup, srcGroup } = parsed;
  const messages: OfpMessage[] = [];
  let learn: Decision['learn'];
  const src = key.ethSrc!;
  const known = state.macs.get(src);
  if (!srcGroup && known !== input.inPort) {
    learn = { mac: src, port: input.inPort };
    // The host moved: entries towards it, and from its old port, are stale.
    if (known !== undefined) messages.push(deleteFlows([{ field: 'eth_dst', value: src }]), deleteFlows([{ field: 'in_port', value: known }, { field: 'eth_src', value: src }]));
  }
  const outPort = dstGroup ? undefined : state.macs.get(key.ethDst!);
  if (outPort === undefined) {
    messages.push(packetOut(input, OFPP.FLOOD));
    return { messages, learn };
  }
  if (outPort === input.inPort) return { messages: [...messages, ...releaseBuffer(input)], learn };
  const hash = flowHash(key);
  if (state.flows.has(hash)) {
    // Already installed (packets that were queued behind the first): just deliver this one.
    messages.push(packetOut(input, outPort));
    return { messages, learn };
  }
  const id = cookieOf(hash);
  messages.push(flowAdd(config, id, key, outPort, input.bufferId));
  if (input.bufferId === OFP_NO_BUFFER) messages.push(packetOut(input, outPort));
  return { messages, learn, install: { id, hash, key } };
}

/** Makes the state change a decision describes. */
export function applyDecision(state: SwitchState, decision: Decision): void {
  if (decision.learn) {
    const { mac, port } = decision.learn;
    const old = state.macs.get(mac);
    if (old !== undefined) forgetFlows(state, (k) => k.ethDst === mac || (k.inPort === old && k.ethSrc === mac));
    state.macs.set(mac, port);
  }
  if (decision.install) state.flows.set(decision.install.hash, decision.install.key);
}

/** A port went away: forget its hosts and remove the entries that use it. */
export function decidePortGone(state: Readonly<SwitchState>, portNo: number): OfpMessage[] {
  const hosts = [...state.macs].some(([, p]) => p === portNo);
  if (!hosts && ![...state.flows.values()].some((k) => k.inPort === portNo)) return [];
  return [deleteFlows([{ field: 'in_port', value: portNo }]), { ...deleteFlows([]), out_port: portNo }];
}

export function applyPortGone(state: SwitchState, portNo: number): void {
  const gone = new Set([...state.macs].filter(([, p]) => p === portNo).map(([m]) => m));
  for (const m of gone) state.macs.delete(m);
  forgetFlows(state, (k) => k.inPort === portNo || (k.ethDst !== undefined && gone.has(k.ethDst)));
}

function forgetFlows(state: SwitchState, stale: (k: FlowKey) => boolean): void {
  for (const [hash, k] of state.flows) if (stale(k)) state.flows.delete(hash);
}

/** The table-miss entry: everything without an entry goes to the controller, whole. */
export function tableMiss(): FlowMod {
  return {
    ...flowModBase(),
    priority: 0,
    instructions: [{ type: 'APPLY_ACTIONS', actions: [{ type: 'OUTPUT', port: OFPP.CONTROLLER, max_len: OFPCML_NO_BUFFER }] }],
  };
}

function flowModBase(): FlowMod {
  return {
    type: 'FLOW_MOD', xid: 0, cookie: 0n, cookie_mask: 0n, table_id: 0, command: FLOW_MOD_COMMAND.ADD,
    idle_timeout: 0, hard_timeout: 0, priority: 0, buffer_id: OFP_NO_BUFFER, out_port: OFPP.ANY,
    out_group: OFPG_ANY, flags: 0, match: [], instructions: [],
  };
}

function flowAdd(config: PolicyConfig, id: FlowId, key: FlowKey, outPort: number, bufferId: number): FlowMod {
  return {
    ...flowModBase(),
    cookie: id,
    idle_timeout: config.idleTimeout,
    hard_timeout: config.hardTimeout,
    priority: config.priority,
    buffer_id: bufferId,
    flags: FLOW_MOD_FLAGS.SEND_FLOW_REM,
    match: keyToMatch(key),
    instructions: [{ type: 'APPLY_ACTIONS', actions: [{ type: 'OUTPUT', port: outPort, max_len: 0 }] }],
  };
}

function deleteFlows(match: FlowMod['match']): FlowMod {
  return { ...flowModBase(), table_id: 0, command: FLOW_MOD_COMMAND.DELETE, match };
}

function packetOut(input: PacketInInput, port: number): PacketOut {
  const buffered = input.bufferId !== OFP_NO_BUFFER;
  return {
    type: 'PACKET_OUT', xid: 0, buffer_id: input.bufferId, in_port: input.inPort,
    actions: [{ type: 'OUTPUT', port, max_len: 0 }],
    data: buffered ? new Uint8Array(0) : input.data,
  };
}

/** A buffered packet that goes nowhere is released by a packet-out without actions. */
function releaseBuffer(input: PacketInInput): OfpMessage[] {
  if (input.bufferId === OFP_NO_BUFFER) return [];
  return [{ type: 'PACKET_OUT', xid: 0, buffer_id: input.bufferId, in_port: input.inPort, actions: [], data: new Uint8Array(0) }];
}
