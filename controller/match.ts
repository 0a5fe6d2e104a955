// FlowKey ⇄ OXM match. The policy thinks in flow keys; the switch reports matches back in
// flow-removed and flow-stats messages, which become keys again for the facts.
import type { FlowKey } from '../pipeline/facts.ts';
import type { Match, OxmBasicName, OxmValue } from '../openflow/index.ts';
import { OFPVID_PRESENT } from '../openflow/index.ts';

const ETH_IPV6 = 0x86dd;
const TCP = 6;
const UDP = 17;

/** The exact match for a key, prerequisites before the fields that need them. */
export function keyToMatch(key: FlowKey): Match {
  const m: Match = [{ field: 'in_port', value: key.inPort }];
  const add = (field: OxmBasicName, value: OxmValue | undefined) => {
    if (value !== undefined) m.push({ field, value });
  };
  add('eth_dst', key.ethDst);
  add('eth_src', key.ethSrc);
  add('eth_type', key.ethType);
  if (key.vlanId !== undefined) add('vlan_vid', key.vlanId | OFPVID_PRESENT);
  add('ip_proto', key.ipProto);
  const v6 = key.ethType === ETH_IPV6;
  add(v6 ? 'ipv6_src' : 'ipv4_src', key.ipSrc);
  add(v6 ? 'ipv6_dst' : 'ipv4_dst', key.ipDst);
  const l4 = key.ipProto === TCP ? 'tcp' : key.ipProto === UDP ? 'udp' : undefined;
  if (l4) {
    add(`${l4}_src`, key.srcPort);
    add(`${l4}_dst`, key.dstPort);
  }
  add(v6 ? 'icmpv6_type' : 'icmpv4_type', key.icmpType);
  add(v6 ? 'icmpv6_code' : 'icmpv4_code', key.icmpCode);
  return m;
}

const KEY_OF: Partial<Record<OxmBasicName, keyof FlowKey>> = {
  in_port: 'inPort', eth_src: 'ethSrc', eth_dst: 'ethDst', eth_type: 'ethType', ip_proto: 'ipProto',
  ipv4_src: 'ipSrc', ipv4_dst: 'ipDst', ipv6_src: 'ipSrc', ipv6_dst: 'ipDst',
  tcp_src: 'srcPort', tcp_dst: 'dstPort', udp_src: 'srcPort', udp_dst: 'dstPort',
  icmpv4_type: 'icmpType', icmpv4_code: 'icmpCode', icmpv6_type: 'icmpType', icmpv6_code: 'icmpCode',
};

/** The key of an exact match; null when the match has no in_port (not a per-flow entry). */
export function matchToKey(match: Match): FlowKey | null {
  const key: Record<string, unknown> = {};
  for (const f of match) {
    if (f.field === 'raw' || f.mask !== undefined) continue;
    if (f.field === 'vlan_vid') key.vlanId = Number(f.value) & 0x0fff;
    const name = KEY_OF[f.field];
    if (name) key[name] = f.value;
  }
  return typeof key.inPort === 'number' ? (key as unknown as FlowKey) : null;
}
