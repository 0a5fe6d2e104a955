// Flow events as JSON text, for the log, without building the event object and stringifying
// it. A flow's events differ only in their times, counters and end details; the rest (privacy,
// id, first packet, observer, endpoints, network) is serialized once per flow, from the event
// object EventBuilder makes for it, by JSON.stringify itself. So the text is JSON.stringify's
// by construction, member order included (a test compares the two over generated traffic).
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

/** JSON.stringify of an object without its closing brace, and whether it has members. */
function open(o: object): [string, boolean] {
  const json = JSON.stringify(o);
  return [json.slice(0, -1), json !== '{}'];
}

/** The unchanging text of a flow's events, from one of its events as EventBuilder builds it (before counters and end details). */
export function flowText(template: EcsEvent, keyId: string | null): FlowText {
  const [flow] = open(template.ghostbridge.flow!);
  const [source, sourceHasMembers] = open(template.source!);
  const [network, networkHasMembers] = open(template.network!);
  return {
    keyId,
    flowHead: `,"privacy":${JSON.stringify(template.ghostbridge.privacy)},"flow":${flow}`,
    sourceHead: `}},"observer":${JSON.stringify(template.observer)},"source":${source}`,
    sourceHasMembers,
    networkHead: `},"destination":${JSON.stringify(template.destination)},"network":${network}`,
    networkHasMembers,
  };
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
