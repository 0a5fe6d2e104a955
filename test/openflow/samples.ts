// Messages built in code, as the controller builds them, covering the common types: fed to
// the independent parsers (tshark, Open vSwitch) next to the corpus.
import { errorCodes, OFP_NO_BUFFER, OFPP, type OfpMessage } from '../../openflow/index.ts';

// who-has 10.0.0.2 tell 10.0.0.1, a broadcast ARP frame as a PACKET_OUT would carry it
const ARP_REQUEST = Buffer.from('ffffffffffff020000000001080600010800060400010200000000010a0000010000000000000a000002', 'hex');

export const built: OfpMessage[] = [
  { type: 'HELLO', xid: 1, version: 4, elements: [{ type: 'VERSIONBITMAP', bitmaps: [0x10] }] },
  { type: 'FEATURES_REQUEST', xid: 2 },
  { type: 'SET_CONFIG', xid: 3, flags: 0, miss_send_len: 128 },
  { type: 'ROLE_REQUEST', xid: 4, role: 2, generation_id: 7n },
  { type: 'SET_ASYNC', xid: 5, packet_in_mask: [3, 0], port_status_mask: [7, 7], flow_removed_mask: [15, 0] },
  {
    type: 'FLOW_MOD', xid: 6, cookie: 1n, cookie_mask: 0n, table_id: 0, command: 0, idle_timeout: 10,
    hard_timeout: 30, priority: 100, buffer_id: OFP_NO_BUFFER, out_port: OFPP.ANY, out_group: 0xffffffff, flags: 1,
    match: [
      { field: 'in_port', value: 1 }, { field: 'eth_type', value: 0x0800 },
      { field: 'ipv4_src', value: '192.168.1.0', mask: '255.255.255.0' }, { field: 'ip_proto', value: 6 },
      { field: 'tcp_dst', value: 443 },
    ],
    instructions: [
      { type: 'WRITE_METADATA', metadata: 5n, metadata_mask: 0xffn },
      { type: 'APPLY_ACTIONS', actions: [
        { type: 'PUSH_VLAN', ethertype: 0x8100 },
        { type: 'SET_FIELD', field: { field: 'vlan_vid', value: 0x1000 | 10 } },
        { type: 'OUTPUT', port: 2, max_len: 0 },
      ] },
      { type: 'GOTO_TABLE', table_id: 1 },
    ],
  },
  { type: 'PACKET_OUT', xid: 7, buffer_id: OFP_NO_BUFFER, in_port: OFPP.CONTROLLER, actions: [{ type: 'OUTPUT', port: OFPP.FLOOD, max_len: 0 }], data: ARP_REQUEST },
  { type: 'GROUP_MOD', xid: 8, command: 0, group_type: 1, group_id: 3, buckets: [
    { weight: 1, watch_port: OFPP.ANY, watch_group: 0xffffffff, actions: [{ type: 'OUTPUT', port: 1, max_len: 0 }] },
    { weight: 2, watch_port: OFPP.ANY, watch_group: 0xffffffff, actions: [{ type: 'OUTPUT', port: 2, max_len: 0 }] },
  ] },
  { type: 'METER_MOD', xid: 9, command: 0, flags: 1, meter_id: 1, bands: [{ type: 'DROP', rate: 1000, burst_size: 0 }] },
  { type: 'MULTIPART_REQUEST', xid: 10, flags: 0, multipart_type: 'PORT_DESC', body: null },
  { type: 'MULTIPART_REQUEST', xid: 11, flags: 0, multipart_type: 'FLOW', body: { table_id: 0xff, out_port: OFPP.ANY, out_group: 0xffffffff, cookie: 0n, cookie_mask: 0n, match: [] } },
  { type: 'MULTIPART_REQUEST', xid: 12, flags: 0, multipart_type: 'PORT_STATS', body: { port_no: OFPP.ANY } },
  { type: 'BARRIER_REQUEST', xid: 13 },
  { type: 'ECHO_REPLY', xid: 14, data: Buffer.from('keepalive') },
  // refusing a peer without OpenFlow 1.3; HELLO_FAILED carries ASCII text (spec 7.4.4)
  { type: 'ERROR', xid: 15, ...errorCodes('HELLO_FAILED', 'INCOMPATIBLE'), data: Buffer.from('only OpenFlow 1.3 is spoken here') },
  // a refused request quotes the request's first bytes
  { type: 'ERROR', xid: 17, ...errorCodes('BAD_REQUEST', 'BAD_TYPE'), data: Buffer.from('0414000800000011', 'hex') },
  { type: 'GET_CONFIG_REQUEST', xid: 18 },
  { type: 'GET_ASYNC_REQUEST', xid: 19 },
  { type: 'PORT_MOD', xid: 20, port_no: 1, hw_addr: '02:00:00:00:00:01', config: 1, mask: 1, advertise: 0 },
  { type: 'TABLE_MOD', xid: 21, table_id: 0, config: 0 },
  { type: 'QUEUE_GET_CONFIG_REQUEST', xid: 22, port: 1 },
  { type: 'MULTIPART_REQUEST', xid: 23, flags: 0, multipart_type: 'DESC', body: null },
  { type: 'MULTIPART_REQUEST', xid: 24, flags: 0, multipart_type: 'TABLE', body: null },
  { type: 'MULTIPART_REQUEST', xid: 25, flags: 0, multipart_type: 'AGGREGATE', body: { table_id: 0xff, out_port: OFPP.ANY, out_group: 0xffffffff, cookie: 0n, cookie_mask: 0n, match: [{ field: 'eth_type', value: 0x86dd }] } },
  { type: 'MULTIPART_REQUEST', xid: 26, flags: 0, multipart_type: 'QUEUE', body: { port_no: OFPP.ANY, queue_id: 0xffffffff } },
  { type: 'MULTIPART_REQUEST', xid: 27, flags: 0, multipart_type: 'GROUP_DESC', body: null },
  { type: 'MULTIPART_REQUEST', xid: 28, flags: 0, multipart_type: 'METER_CONFIG', body: { meter_id: 0xffffffff } },
  { type: 'MULTIPART_REQUEST', xid: 29, flags: 0, multipart_type: 'METER_FEATURES', body: null },
  { type: 'MULTIPART_REPLY', xid: 16, flags: 0, multipart_type: 'AGGREGATE', body: { packet_count: 10n, byte_count: 1000n, flow_count: 2 } },
];

