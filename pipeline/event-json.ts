// Flow events as JSON text, for the log, without building the event object and stringifying
// it. A flow's events differ only in their times, counters and end details; the rest (privacy,
// id, first packet, observer, endpoints, network) is written once per flow from the flow's
// parts, member by member in the order the event object EventBuilder.build makes has them,
// as JSON.stringify would write them (a test compares the two over generated traffic and
// odd frames, byte for byte).
import type { EcsEvent } from './event.ts';
import { ECS_VERSION } from './event.ts';

type FlowAction = 'flow.start' | 'flow.update' | 'flow.end';

/** event.type of each flow event. */
export const FLOW_TYPES: Record<FlowAction, readonly string[]> = {
  'flow.start': ['start', 'connection'],
  'flow.update': ['info', 'connection'],
  'flow.end': ['end', 'connection'],
};
const TYPE_JSON = Object.fromEntries(Object.entries(FLOW_TYPES).map(([a, t]) => [a, JSON.stringify(t)])) as Record<FlowAction, string>;
const EVENT_HEAD = `","ecs":${JSON.stringify({ version: ECS_VERSION })},"event":{"kind":"event","category":["network"],"type":`;

/** The parts of a flow's events that stay the same, as JSON text, under one pseudonymization key. */
export interface FlowText {
  keyId: string | null;
  /** `,"privacy":{…},"flow":{"id":…[,"first_packet":{…}]`, left open for flow.end's timeouts. */
  flowHead: string;
  /** `},"observer":{…},"source":{…`, left open for the counters. */
  sourceHead: string;
  sourceHasMembers: boolean;
  /** `},"destination":{…},"network":{…`, left open for the counters. */
  networkHead: string;
  networkHasMembers: boolean;
}

type Network = NonNullable<EcsEvent['network']>;
type FirstPacket = NonNullable<NonNullable<EcsEvent['ghostbridge']['flow']>['first_packet']>;

/** What a flow's unchanging text is written from: the values its events show. */
export interface FlowParts {
  keyId: string | null;
  /** ghostbridge.privacy as JSON. */
  privacy: string;
  id: string;
  firstPacket: FirstPacket | undefined;
  inPort: number;
  source: { ip?: string; mac?: string; port?: number };
  destination: { ip?: string; mac?: string; port?: number };
  network: Network;
}

/** The unchanging text of a flow's events (before counters and end details). */
export function flowText(p: FlowParts): FlowText {
  const source = endpointMembers(p.source.ip, p.source.mac, p.source.port);
  const network = networkMembers(p.network);
  return {
    keyId: p.keyId,
    flowHead: ',"privacy":' + p.privacy + ',"flow":{"id":' + str(p.id) + (p.firstPacket ? ',"first_packet":' + firstPacketJson(p.firstPacket) : ''),
    sourceHead: '}},"observer":{"ingress":{"interface":{"id":' + str(String(p.inPort)) + '}}},"source":{' + source,
    sourceHasMembers: source !== '',
    networkHead: '},"destination":{' + endpointMembers(p.destination.ip, p.destination.mac, p.destination.port) + '},"network":{' + network,
    networkHasMembers: network !== '',
  };
}

/** A string as JSON.stringify writes it; the usual texts here (addresses, ids) need no escapes and are quoted as they are. */
function str(s: string): string {
  return NO_ESCAPES.test(s) ? '"' + s + '"' : JSON.stringify(s);
}
const NO_ESCAPES = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** An endpoint's members (ip, mac, port: the order build() gives them), those it has. */
function endpointMembers(ip: string | undefined, mac: string | undefined, port: number | undefined): string {
  let s = ip === undefined ? '' : '"ip":' + str(ip);
  if (mac !== undefined) s += (s === '' ? '"mac":' : ',"mac":') + str(mac);
  if (port !== undefined) s += (s === '' ? '"port":' : ',"port":') + num(port);
  return s;
}

/** Members in the order build() sets them: type, protocol, iana_number, transport, vlan, inner, community_id. */
function networkMembers(n: Network): string {
  let s = '';
  const add = (name: string, json: string) => (s += (s === '' ? '"' : ',"') + name + '":' + json);
  if (n.type !== undefined) add('type', str(n.type));
  if (n.protocol !== undefined) add('protocol', str(n.protocol));
  if (n.iana_number !== undefined) add('iana_number', str(n.iana_number));
  if (n.transport !== undefined) add('transport', str(n.transport));
  if (n.vlan !== undefined) add('vlan', '{"id":' + str(n.vlan.id) + '}');
  if (n.inner !== undefined) add('inner', '{"vlan":{"id":' + str(n.inner.vlan.id) + '}}');
  if (n.community_id !== undefined) add('community_id', str(n.community_id));
  return s;
}

/** In the order describeFirstPacket sets the members. */
function firstPacketJson(p: FirstPacket): string {
  let s = '{"length":' + num(p.length) + ',"captured":' + num(p.captured) + ',"truncated":' + p.truncated;
  if (p.ttl !== undefined) s += ',"ttl":' + num(p.ttl);
  if (p.dscp !== undefined) s += ',"dscp":' + num(p.dscp);
  if (p.fragment !== undefined) s += ',"fragment":' + p.fragment;
  if (p.ip_options !== undefined) s += ',"ip_options":' + p.ip_options;
  if (p.ipv6_extensions !== undefined) s += ',"ipv6_extensions":[' + p.ipv6_extensions.map(num).join(',') + ']';
  if (p.tcp_flags !== undefined) s += ',"tcp_flags":[' + p.tcp_flags.map(str).join(',') + ']';
  if (p.icmp !== undefined) s += ',"icmp":{"type":' + num(p.icmp.type) + ',"code":' + num(p.icmp.code) + '}';
  if (p.arp_operation !== undefined) s += ',"arp_operation":' + num(p.arp_operation);
  return s + '}';
}

/**
 * One flow event's JSON. timestamp and datapathId are text JSON needs no escapes for (ISO
 * time, hex); eventTail and flowTail are the members event and ghostbridge.flow end with
 * (each starting with a comma), counters the members source and network end with.
 */
export function flowEventJson(text: FlowText, timestamp: string, datapathId: string, action: FlowAction, eventTail: string, flowTail: string, counters: string): string {
  const sourceCounters = counters === '' ? '' : text.sourceHasMembers ? ',' + counters : counters;
  const networkCounters = counters === '' ? '' : text.networkHasMembers ? ',' + counters : counters;
  return '{"@timestamp":"' + timestamp + EVENT_HEAD + TYPE_JSON[action] + ',"action":"' + action + '","dataset":"ghostbridge.flow"' + eventTail +
    '},"ghostbridge":{"datapath_id":"' + datapathId + '"' + text.flowHead + flowTail +
    text.sourceHead + sourceCounters + text.networkHead + networkCounters + '}}';
}

/** A number as JSON.stringify writes it (NaN and infinities as null). */
export function num(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}
