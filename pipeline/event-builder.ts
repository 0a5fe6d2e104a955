// Flow facts to ECS events. Keeps a bounded table of live flows so that a flow's update and
// end events carry the endpoints and the start time its first packet showed, even when the
// flow entry matched on fewer fields.
import type { FlowFact, FlowCounters, PortInfo } from './facts.ts';
import type { EcsEvent, EventAction, Endpoint, PortView } from './event.ts';
import { ECS_VERSION } from './event.ts';
import type { Privacy } from './privacy.ts';
import type { FlowTuple } from './flow-tuple.ts';
import { flowTuple } from './flow-tuple.ts';
import type { ParsedFrame } from './frame.ts';
import { parseFrame, ETH_ARP, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP } from './frame.ts';
import { communityId } from './community-id.ts';
import { ipBytes, parseIP } from './address.ts';
import { FEATURE_COUNT, writeEventColumns, writeFlowColumns } from './features.ts';
import { flowEventJson, flowText, FLOW_TYPES, num, type FlowText } from './event-json.ts';

type Network = NonNullable<EcsEvent['network']>;

const TRANSPORT_NAMES = new Map([[PROTO_ICMP, 'icmp'], [PROTO_TCP, 'tcp'], [PROTO_UDP, 'udp'], [PROTO_ICMPV6, 'ipv6-icmp'], [132, 'sctp'], [47, 'gre'], [50, 'esp']]);
const TCP_FLAG_NAMES = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR', 'NS'];

type FirstPacket = NonNullable<NonNullable<EcsEvent['ghostbridge']['flow']>['first_packet']>;

interface LiveFlow {
  /** When the flow started, as events show it (its start event's @timestamp). */
  startText: string;
  tuple: FlowTuple;
  firstPacket: FirstPacket;
  /** The flow id as events show it. */
  idText: string;
  /** What the flow's events show of its endpoints; kept for its later events. */
  shown?: ShownEndpoints;
  /** Its events' unchanging parts as JSON text (encode); rebuilt when the key changes. */
  text?: FlowText;
  /** What its events show under network (encode: for its feature columns), as of its text. */
  network?: Network;
}

/** A flow's state for one event: its live entry, or one made for a flow not (or no longer) known. */
type FlowState = Pick<LiveFlow, 'tuple' | 'idText' | 'shown' | 'text' | 'network'> & Partial<Pick<LiveFlow, 'startText' | 'firstPacket'>>;

/** An event as encode() gives it. */
export interface EncodedEvent {
  /** JSON.stringify of the event build() makes for the same fact. */
  json: string;
  timestamp: string;
  /** A flow event: its features were written (switch and port events get no vector). */
  vectorized: boolean;
}

/** The endpoints' addresses as events show them, under the key that computed them (a rotation recomputes them). */
interface ShownEndpoints {
  keyId: string | null;
  srcIp?: string;
  srcMac?: string;
  dstIp?: string;
  dstMac?: string;
  communityId?: string;
}

export class EventBuilder {
  readonly #privacy: Privacy;
  readonly #flows = new Map<bigint, LiveFlow>();
  readonly #flowLimit: number;
  /** ghostbridge.privacy as JSON, for the key it was written under. */
  #privacyJson: { keyId: string | null; json: string } | null = null;

  constructor(privacy: Privacy, flowLimit = 1_000_000) {
    this.#privacy = privacy;
    this.#flowLimit = flowLimit;
  }

  build(fact: FlowFact): EcsEvent {
    switch (fact.kind) {
      case 'flow.start': {
        const live = this.#start(fact);
        const event = this.#flowEvent(fact, live);
        event.event.start = live.startText;
        return event;
      }
      case 'flow.update':
      case 'flow.end': {
        const flow = this.#known(fact);
        const event = this.#flowEvent(fact, flow);
        // OVS's duration is authoritative; the start we saw is when the controller heard of it.
        const durationNs = Math.max(0, Math.round(fact.durationSeconds * 1e9));
        event.event.duration = durationNs;
        // (Kept as text: the one-entry memo of isoTime would thrash between now and the start.)
        event.event.start = flow.startText ?? isoTime(fact.time - durationNs / 1e6);
        addCounters(event, fact.counters);
        if (fact.kind === 'flow.end') {
          event.event.end = event['@timestamp'];
          event.event.reason = fact.reason;
          event.ghostbridge.flow!.idle_timeout = fact.idleTimeout;
          event.ghostbridge.flow!.hard_timeout = fact.hardTimeout;
        }
        return event;
      }
      case 'switch.up': {
        const event = this.#base(fact.time, fact.datapathId, 'switch.up', 'state', ['start']);
        const ip = this.#privacy.ip(hostOf(fact.address));
        if (ip !== undefined) event.observer = { ip };
        event.ghostbridge.switch = { ports: fact.ports.map((p) => this.#port(p)) };
        return event;
      }
      case 'switch.down': {
        const event = this.#base(fact.time, fact.datapathId, 'switch.down', 'state', ['end']);
        event.event.reason = fact.reason;
        return event;
      }
      case 'port.status': {
        const event = this.#base(fact.time, fact.datapathId, 'port.status', 'state', ['change']);
        event.event.reason = fact.reason;
        event.ghostbridge.port = this.#port(fact.port);
        return event;
      }
      default:
        throw new Error(`unknown fact kind ${String((fact as { kind: unknown }).kind)}`);
    }
  }

  /**
   * The event for a fact as JSON text, exactly JSON.stringify(build(fact)) with the same
   * effect on the live-flow table; for a flow event its features (as writeFeatures gives them
   * from that event) are written at features[at ...]. Flow events are not built as objects:
   * what stays the same across a flow's events (endpoints, network, id, first packet) is
   * written as text once per flow, from its parts, and each event adds its times and
   * counters as text; its feature columns come from the same parts.
   */
  encode(fact: FlowFact, features: Float32Array | null, at: number): EncodedEvent {
    if (fact.kind !== 'flow.start' && fact.kind !== 'flow.update' && fact.kind !== 'flow.end') {
      const event = this.build(fact);
      return { json: JSON.stringify(event), timestamp: event['@timestamp'], vectorized: false };
    }
    const flow: FlowState = fact.kind === 'flow.start' ? this.#start(fact) : this.#known(fact);
    const timestamp = isoTime(fact.time);
    const keyId = this.#privacy.keyId;
    const t = flow.tuple;
    if (flow.text?.keyId !== keyId) {
      const shown = this.#shown(flow, keyId);
      flow.network = flowNetwork(t, shown.communityId);
      flow.text = flowText({
        keyId, privacy: this.#privacyText(keyId), id: flow.idText, firstPacket: flow.firstPacket, inPort: t.inPort,
        source: { ip: shown.srcIp, mac: shown.srcMac, port: t.srcPort }, destination: { ip: shown.dstIp, mac: shown.dstMac, port: t.dstPort }, network: flow.network,
      });
    }
    let packets: number | undefined;
    let bytes: number | undefined;
    let durationNs: number | undefined;
    let json: string;
    if (fact.kind === 'flow.start') {
      json = flowEventJson(flow.text, timestamp, datapathIdText(fact.datapathId), fact.kind, `,"start":"${timestamp}"`, '', '');
    } else {
      durationNs = Math.max(0, Math.round(fact.durationSeconds * 1e9));
      let eventTail = `,"duration":${num(durationNs)},"start":"${flow.startText ?? isoTime(fact.time - durationNs / 1e6)}"`;
      let flowTail = '';
      if (fact.kind === 'flow.end') {
        eventTail += `,"end":"${timestamp}"` + (fact.reason === undefined ? '' : `,"reason":${JSON.stringify(fact.reason)}`);
        flowTail = `,"idle_timeout":${num(fact.idleTimeout)},"hard_timeout":${num(fact.hardTimeout)}`;
      }
      // OpenFlow counts one direction: source and network carry the same counters.
      if (fact.counters.packets !== null) packets = Number(fact.counters.packets);
      if (fact.counters.bytes !== null) bytes = Number(fact.counters.bytes);
      const counters = packets === undefined ? (bytes === undefined ? '' : `"bytes":${bytes}`) : bytes === undefined ? `"packets":${packets}` : `"packets":${packets},"bytes":${bytes}`;
      json = flowEventJson(flow.text, timestamp, datapathIdText(fact.datapathId), fact.kind, eventTail, flowTail, counters);
    }
    if (features) {
      features.fill(0, at, at + FEATURE_COUNT);
      writeFlowColumns(features, at, flow.network, t.srcPort, t.dstPort, flow.firstPacket);
      // The time Date.parse reads back from the timestamp (whole ms; + 0 turns -0 into 0).
      writeEventColumns(features, at, fact.kind, packets, bytes, durationNs, Math.trunc(fact.time) + 0, flow.firstPacket?.length);
    }
    return { json, timestamp, vectorized: true };
  }

  /** Registers a new live flow (the oldest is forgotten beyond the limit). */
  #start(fact: Extract<FlowFact, { kind: 'flow.start' }>): LiveFlow {
    const frame = parseFrame(fact.frame);
    if (this.#flows.size >= this.#flowLimit) this.#flows.delete(this.#flows.keys().next().value!);
    const live: LiveFlow = { startText: isoTime(fact.time), tuple: flowTuple(fact.key, frame), firstPacket: describeFirstPacket(frame, fact.frameLength), idText: idText(fact.flowId) };
    this.#flows.set(fact.flowId, live);
    return live;
  }

  /** The live flow an update or end belongs to (an end forgets it), or one from the fact's key alone. */
  #known(fact: Extract<FlowFact, { kind: 'flow.update' | 'flow.end' }>): FlowState {
    const live = this.#flows.get(fact.flowId);
    if (fact.kind === 'flow.end') this.#flows.delete(fact.flowId);
    return live ?? { tuple: flowTuple(fact.key), idText: idText(fact.flowId) };
  }

  #base(time: number, datapathId: bigint, action: EventAction, kind: 'event' | 'state', type: readonly string[]): EcsEvent {
    const keyId = this.#privacy.keyId;
    return {
      '@timestamp': isoTime(time),
      ecs: { version: ECS_VERSION },
      event: { kind, category: ['network'], type: [...type], action, dataset: action.startsWith('flow.') ? 'ghostbridge.flow' : 'ghostbridge.switch' },
      ghostbridge: {
        datapath_id: datapathIdText(datapathId),
        privacy: keyId === null ? { mode: this.#privacy.mode } : { mode: this.#privacy.mode, key_id: keyId },
      },
    };
  }

  #flowEvent(fact: Extract<FlowFact, { flowId: bigint }>, flow: FlowState): EcsEvent {
    const { tuple: t, firstPacket } = flow;
    const event = this.#base(fact.time, fact.datapathId, fact.kind, 'event', FLOW_TYPES[fact.kind]);
    event.observer = { ingress: { interface: { id: String(t.inPort) } } };
    const shown = this.#shown(flow, this.#privacy.keyId);
    event.source = endpoint(shown.srcIp, shown.srcMac, t.srcPort);
    event.destination = endpoint(shown.dstIp, shown.dstMac, t.dstPort);
    event.network = flowNetwork(t, shown.communityId);
    event.ghostbridge.flow = firstPacket ? { id: flow.idText, first_packet: firstPacket } : { id: flow.idText };
    return event;
  }

  /** The flow's endpoints as its events show them under the key in use (computed once per key). */
  #shown(flow: FlowState, keyId: string | null): ShownEndpoints {
    if (flow.shown?.keyId !== keyId) flow.shown = this.#shownEndpoints(flow.tuple, keyId);
    return flow.shown;
  }

  /** ghostbridge.privacy as JSON.stringify writes it (#base's object), remembered per key. */
  #privacyText(keyId: string | null): string {
    if (this.#privacyJson?.keyId !== keyId) {
      this.#privacyJson = { keyId, json: JSON.stringify(keyId === null ? { mode: this.#privacy.mode } : { mode: this.#privacy.mode, key_id: keyId }) };
    }
    return this.#privacyJson.json;
  }

  #shownEndpoints(t: FlowTuple, keyId: string | null): ShownEndpoints {
    const shown: ShownEndpoints = { keyId, srcIp: this.#privacy.ip(t.srcIp), srcMac: this.#privacy.mac(t.srcMac), dstIp: this.#privacy.ip(t.dstIp), dstMac: this.#privacy.mac(t.dstMac) };
    shown.communityId = communityIdOf(t, shown.srcIp, shown.dstIp);
    return shown;
  }

  #port(p: PortInfo): PortView {
    return compact({ number: p.portNo, name: p.name, mac: this.#privacy.mac(p.hwAddr), link_up: p.linkUp, admin_up: p.adminUp }) as PortView;
  }
}

/**
 * Computed over the addresses the event shows (pseudonyms by default), never the raw ones:
 * an unkeyed hash of raw addresses would let anyone confirm a guessed pair of hosts.
 */
function communityIdOf(t: FlowTuple, sourceIp: string | undefined, destinationIp: string | undefined): string | undefined {
  if (t.protocol === undefined || sourceIp === undefined || destinationIp === undefined) return undefined;
  const src = ipBytes(sourceIp);
  const dst = ipBytes(destinationIp);
  if (!src || !dst || src.length !== dst.length) return undefined;
  const icmp = t.protocol === PROTO_ICMP || t.protocol === PROTO_ICMPV6;
  const srcPort = icmp ? t.icmpType : t.srcPort;
  const dstPort = icmp ? t.icmpCode : t.dstPort;
  const ports = srcPort !== undefined && dstPort !== undefined;
  return communityId({ src, dst, protocol: t.protocol, ...(ports ? { srcPort, dstPort } : {}) });
}

/** What a flow's events show under network (before counters), in the order the log shows it. */
function flowNetwork(t: FlowTuple, communityId: string | undefined): Network {
  const network: Network = {};
  if (t.ipVersion !== undefined) network.type = `ipv${t.ipVersion}`;
  if (t.etherType === ETH_ARP) network.protocol = 'arp';
  if (t.protocol !== undefined) {
    network.iana_number = String(t.protocol);
    network.transport = TRANSPORT_NAMES.get(t.protocol) ?? String(t.protocol);
  }
  if (t.vlans.length > 0) network.vlan = { id: String(t.vlans[0]) };
  if (t.vlans.length > 1) network.inner = { vlan: { id: String(t.vlans[1]) } };
  if (communityId !== undefined) network.community_id = communityId;
  return network;
}

/** An event's source or destination: the members it has, in this order (as the log shows them). */
function endpoint(ip: string | undefined, mac: string | undefined, port: number | undefined): Endpoint {
  const e: Endpoint = {};
  if (ip !== undefined) e.ip = ip;
  if (mac !== undefined) e.mac = mac;
  if (port !== undefined) e.port = port;
  return e;
}

/** fn with a one-entry memo: the facts of one batch mostly share a switch and a millisecond. */
function memoLast<K, V>(fn: (key: K) => V): (key: K) => V {
  let last: { key: K; value: V } | null = null;
  return (key) => {
    if (last === null || last.key !== key) last = { key, value: fn(key) };
    return last.value;
  };
}

const isoTime = memoLast((ms: number) => new Date(ms).toISOString());
const datapathIdText = memoLast(idText);

function describeFirstPacket(frame: ParsedFrame, frameLength: number): FirstPacket {
  const out: FirstPacket = { length: frameLength, captured: frame.captured, truncated: frame.truncated };
  if (frame.ip) {
    out.ttl = frame.ip.ttl;
    out.dscp = frame.ip.dscp;
    out.fragment = frame.ip.fragment;
    if (frame.ip.version === 4) out.ip_options = frame.ip.options;
    else out.ipv6_extensions = frame.ip.extensions;
  }
  if (frame.tcp) out.tcp_flags = TCP_FLAG_NAMES.filter((_, bit) => (frame.tcp!.flags >> bit) & 1);
  if (frame.icmp) out.icmp = { type: frame.icmp.type, code: frame.icmp.code };
  if (frame.arp) out.arp_operation = frame.arp.operation;
  return out;
}

/** OpenFlow counts one direction: the entry's packets went from source to destination. */
function addCounters(event: EcsEvent, c: FlowCounters): void {
  if (c.packets !== null) {
    event.network!.packets = Number(c.packets);
    event.source!.packets = Number(c.packets);
  }
  if (c.bytes !== null) {
    event.network!.bytes = Number(c.bytes);
    event.source!.bytes = Number(c.bytes);
  }
}

/** A 64-bit id (flow cookie, datapath id) as events show it: 16 hex digits. */
function idText(id: bigint): string {
  return id.toString(16).padStart(16, '0');
}

/**
 * The host of a control connection's "address:port" ("10.0.0.1:6653", "[fd00::1]:6653", or
 * Node's unbracketed "fd00::1:6653" / "::ffff:10.0.0.1:6653"), IPv4-mapped addresses as IPv4.
 */
export function hostOf(address: string): string | undefined {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  const withPort = /^(.+):\d{1,5}$/.exec(address);
  const candidates = [bracketed?.[1], withPort?.[1], address];
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    const host = candidate.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
    if (parseIP(host)) return host;
  }
  return undefined;
}

function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
