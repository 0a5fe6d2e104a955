// Numeric features of a flow event, computed from the event itself (so `model train` can
// learn from a log, and a rebuild from the log gives the same vectors; encode() writes the
// same numbers from a flow's parts, writeFlowColumns + writeEventColumns). docs/pipeline.md
// lists them; changing the list means a new FEATURES_VERSION and new models.
import type { EcsEvent } from './event.ts';

export const FEATURES_VERSION = 1;
export const FEATURE_NAMES = [
  'action_start', 'action_update', 'action_end',
  'transport_tcp', 'transport_udp', 'transport_icmp', 'transport_other_ip', 'arp', 'non_ip',
  'ipv6',
  'src_port_well_known', 'src_port_registered', 'src_port_dynamic',
  'dst_port_well_known', 'dst_port_registered', 'dst_port_dynamic',
  'log_first_packet_length', 'ttl',
  'tcp_syn', 'tcp_ack', 'tcp_fin', 'tcp_rst', 'tcp_psh', 'tcp_urg',
  'log_packets', 'log_bytes', 'log_mean_packet_size', 'log_packet_rate', 'log_duration',
  'time_of_day_sin', 'time_of_day_cos',
  'fragment',
] as const;
export const FEATURE_COUNT = FEATURE_NAMES.length;

const TCP_FLAG_COLUMN: Record<string, number> = { SYN: 18, ACK: 19, FIN: 20, RST: 21, PSH: 22, URG: 23 };
const DAY_MS = 86_400_000;

/** True for the events that get a vector (flow events); switch and port events get none. */
export function isVectorized(event: EcsEvent): boolean {
  return event.event.action.startsWith('flow.');
}

function portClass(out: Float32Array, at: number, column: number, port: number | undefined): void {
  if (port === undefined) return;
  out[at + column + (port < 1024 ? 0 : port < 49152 ? 1 : 2)] = 1;
}

type FirstPacket = NonNullable<NonNullable<EcsEvent['ghostbridge']['flow']>['first_packet']>;
type Network = EcsEvent['network'];

/** Writes the event's FEATURE_COUNT features into out[at ...]. */
export function writeFeatures(event: EcsEvent, out: Float32Array, at: number): void {
  out.fill(0, at, at + FEATURE_COUNT);
  const net = event.network;
  const first = event.ghostbridge.flow?.first_packet;
  writeFlowColumns(out, at, net, event.source?.port, event.destination?.port, first);
  writeEventColumns(out, at, event.event.action, net?.packets, net?.bytes, event.event.duration, Date.parse(event['@timestamp']), first?.length);
}

/**
 * The columns that are the same for every event of a flow (what it carries, its ports, its
 * first packet), into zeroed out[at ...]. The pipeline computes them once per flow.
 */
export function writeFlowColumns(out: Float32Array, at: number, net: Network, srcPort: number | undefined, dstPort: number | undefined, first: FirstPacket | undefined): void {
  const transport = net?.transport;
  if (transport === 'tcp') out[at + 3] = 1;
  else if (transport === 'udp') out[at + 4] = 1;
  else if (transport === 'icmp' || transport === 'ipv6-icmp') out[at + 5] = 1;
  else if (net?.type !== undefined) out[at + 6] = 1;
  else if (net?.protocol === 'arp') out[at + 7] = 1;
  else out[at + 8] = 1;
  if (net?.type === 'ipv6') out[at + 9] = 1;
  portClass(out, at, 10, srcPort);
  portClass(out, at, 13, dstPort);
  if (first) {
    out[at + 16] = Math.log1p(first.length);
    out[at + 17] = first.ttl ?? 0;
    for (const flag of first.tcp_flags ?? []) {
      const column = TCP_FLAG_COLUMN[flag];
      if (column !== undefined) out[at + column] = 1;
    }
    if (first.fragment) out[at + 31] = 1;
  }
}

/**
 * The columns that differ between a flow's events (which event, its counters, duration and
 * time), over what writeFlowColumns wrote: every one of them is assigned, none added to.
 */
export function writeEventColumns(
  out: Float32Array, at: number, action: EcsEvent['event']['action'], netPackets: number | undefined, netBytes: number | undefined,
  durationNs: number | undefined, timeMs: number, firstLength: number | undefined,
): void {
  out[at] = action === 'flow.start' ? 1 : 0;
  out[at + 1] = action === 'flow.update' ? 1 : 0;
  out[at + 2] = action !== 'flow.start' && action !== 'flow.update' ? 1 : 0;
  // A start event has seen one packet; later events carry the switch's counters.
  const packets = netPackets ?? (action === 'flow.start' ? 1 : 0);
  const bytes = netBytes ?? (action === 'flow.start' ? (firstLength ?? 0) : 0);
  const seconds = (durationNs ?? 0) / 1e9;
  out[at + 24] = Math.log1p(packets);
  out[at + 25] = Math.log1p(bytes);
  out[at + 26] = Math.log1p(packets > 0 ? bytes / packets : 0);
  out[at + 27] = Math.log1p(seconds > 0 ? packets / seconds : 0);
  out[at + 28] = Math.log1p(seconds);
  const dayFraction = (timeMs % DAY_MS) / DAY_MS;
  out[at + 29] = Math.sin(2 * Math.PI * dayFraction);
  out[at + 30] = Math.cos(2 * Math.PI * dayFraction);
}
