// The decoded form of every OpenFlow 1.3 message. Field names are the spec's (ofp_* struct
// members); 64-bit fields are bigint; MAC and IP addresses are text; raw payloads are bytes.
// Each message is one member of the `OfpMessage` union, keyed by `type` (and, for multipart
// messages, by `multipart_type`).

// ---- OXM match fields ----

export type OxmBasicName =
  | 'in_port' | 'in_phy_port' | 'metadata' | 'eth_dst' | 'eth_src' | 'eth_type' | 'vlan_vid'
  | 'vlan_pcp' | 'ip_dscp' | 'ip_ecn' | 'ip_proto' | 'ipv4_src' | 'ipv4_dst' | 'tcp_src'
  | 'tcp_dst' | 'udp_src' | 'udp_dst' | 'sctp_src' | 'sctp_dst' | 'icmpv4_type' | 'icmpv4_code'
  | 'arp_op' | 'arp_spa' | 'arp_tpa' | 'arp_sha' | 'arp_tha' | 'ipv6_src' | 'ipv6_dst'
  | 'ipv6_flabel' | 'icmpv6_type' | 'icmpv6_code' | 'ipv6_nd_target' | 'ipv6_nd_sll'
  | 'ipv6_nd_tll' | 'mpls_label' | 'mpls_tc' | 'mpls_bos' | 'pbb_isid' | 'tunnel_id'
  | 'ipv6_exthdr';

/** Integers up to 32 bits are numbers, metadata/tunnel_id are bigint, addresses are text. */
export type OxmValue = number | bigint | string;

/** An OpenFlow-basic match field; `mask` is present only when the wire carried one. */
export interface OxmBasic {
  field: OxmBasicName;
  value: OxmValue;
  mask?: OxmValue;
}

/** Any other OXM class (experimenter 0xffff, Nicira 0x0000/0x0001, ...), kept as bytes:
 *  `data` is everything after the 4-byte OXM header (value, then mask if hasmask). */
export interface OxmRaw {
  field: 'raw';
  oxm_class: number;
  oxm_field: number;
  hasmask: boolean;
  data: Uint8Array;
}

export type OxmField = OxmBasic | OxmRaw;
/** An OXM match (ofp_match of type OFPMT_OXM): its fields in wire order. */
export type Match = OxmField[];

// ---- actions ----

export type Action =
  | { type: 'OUTPUT'; port: number; max_len: number }
  | { type: 'COPY_TTL_OUT' } | { type: 'COPY_TTL_IN' }
  | { type: 'SET_MPLS_TTL'; mpls_ttl: number } | { type: 'DEC_MPLS_TTL' }
  | { type: 'PUSH_VLAN'; ethertype: number } | { type: 'POP_VLAN' }
  | { type: 'PUSH_MPLS'; ethertype: number } | { type: 'POP_MPLS'; ethertype: number }
  | { type: 'SET_QUEUE'; queue_id: number } | { type: 'GROUP'; group_id: number }
  | { type: 'SET_NW_TTL'; nw_ttl: number } | { type: 'DEC_NW_TTL' }
  | { type: 'SET_FIELD'; field: OxmField }
  | { type: 'PUSH_PBB'; ethertype: number } | { type: 'POP_PBB' }
  /** `data` is everything after the experimenter id, padding included. */
  | { type: 'EXPERIMENTER'; experimenter: number; data: Uint8Array };
export type ActionType = Action['type'];

// ---- instructions ----

export type Instruction =
  | { type: 'GOTO_TABLE'; table_id: number }
  | { type: 'WRITE_METADATA'; metadata: bigint; metadata_mask: bigint }
  | { type: 'WRITE_ACTIONS'; actions: Action[] }
  | { type: 'APPLY_ACTIONS'; actions: Action[] }
  | { type: 'CLEAR_ACTIONS' }
  | { type: 'METER'; meter_id: number }
  | { type: 'EXPERIMENTER'; experimenter: number; data: Uint8Array };

// ---- shared structures ----

/** ofp_port (64 bytes). */
export interface Port {
  port_no: number;
  hw_addr: string;
  name: string;
  config: number;
  state: number;
  curr: number;
  advertised: number;
  supported: number;
  peer: number;
  curr_speed: number;
  max_speed: number;
}

/** ofp_bucket, used by GROUP_MOD and the GROUP_DESC reply. */
export interface Bucket {
  weight: number;
  watch_port: number;
  watch_group: number;
  actions: Action[];
}

/** ofp_meter_band_*; `data` carries an experimenter band's bytes after its experimenter id. */
export type MeterBand =
  | { type: 'DROP'; rate: number; burst_size: number }
  | { type: 'DSCP_REMARK'; rate: number; burst_size: number; prec_level: number }
  | { type: 'EXPERIMENTER'; rate: number; burst_size: number; experimenter: number; data: Uint8Array };

/** ofp_queue_prop_*. */
export type QueueProperty =
  | { property: 'MIN_RATE'; rate: number }
  | { property: 'MAX_RATE'; rate: number }
  | { property: 'EXPERIMENTER'; experimenter: number; data: Uint8Array };

export interface PacketQueue {
  queue_id: number;
  port: number;
  properties: QueueProperty[];
}

export type HelloElement =
  | { type: 'VERSIONBITMAP'; bitmaps: number[] }
  | { type: 'UNKNOWN'; element_type: number; data: Uint8Array };

// ---- multipart bodies ----

export interface FlowStatsRequest {
  table_id: number;
  out_port: number;
  out_group: number;
  cookie: bigint;
  cookie_mask: bigint;
  match: Match;
}
export interface Desc {
  mfr_desc: string;
  hw_desc: string;
  sw_desc: string;
  serial_num: string;
  dp_desc: string;
}
export interface FlowStats {
  table_id: number;
  duration_sec: number;
  duration_nsec: number;
  priority: number;
  idle_timeout: number;
  hard_timeout: number;
  flags: number;
  cookie: bigint;
  packet_count: bigint;
  byte_count: bigint;
  match: Match;
  instructions: Instruction[];
}
export interface AggregateStats {
  packet_count: bigint;
  byte_count: bigint;
  flow_count: number;
}
export interface TableStats {
  table_id: number;
  active_count: number;
  lookup_count: bigint;
  matched_count: bigint;
}
export interface PortStats {
  port_no: number;
  rx_packets: bigint;
  tx_packets: bigint;
  rx_bytes: bigint;
  tx_bytes: bigint;
  rx_dropped: bigint;
  tx_dropped: bigint;
  rx_errors: bigint;
  tx_errors: bigint;
  rx_frame_err: bigint;
  rx_over_err: bigint;
  rx_crc_err: bigint;
  collisions: bigint;
  duration_sec: number;
  duration_nsec: number;
}
export interface QueueStats {
  port_no: number;
  queue_id: number;
  tx_bytes: bigint;
  tx_packets: bigint;
  tx_errors: bigint;
  duration_sec: number;
  duration_nsec: number;
}
export interface GroupStats {
  group_id: number;
  ref_count: number;
  packet_count: bigint;
  byte_count: bigint;
  duration_sec: number;
  duration_nsec: number;
  bucket_stats: { packet_count: bigint; byte_count: bigint }[];
}
export interface GroupDesc {
  type: number;
  group_id: number;
  buckets: Bucket[];
}
export interface GroupFeatures {
  types: number;
  capabilities: number;
  max_groups: number[];
  actions: number[];
}
export interface MeterStats {
  meter_id: number;
  flow_count: number;
  packet_in_count: bigint;
  byte_in_count: bigint;
  duration_sec: number;
  duration_nsec: number;
  band_stats: { packet_band_count: bigint; byte_band_count: bigint }[];
}
export interface MeterConfig {
  flags: number;
  meter_id: number;
  bands: MeterBand[];
}
export interface MeterFeatures {
  max_meter: number;
  band_types: number;
  capabilities: number;
  max_bands: number;
  max_color: number;
}
/** An instruction or action id in a table-features property: its type, plus any bytes
 *  after the 4-byte type/len header (an experimenter id). */
export interface TypeId {
  type: number;
  data: Uint8Array;
}
/** An OXM id in a table-features property: the 32-bit OXM header, plus the experimenter id
 *  when the class is 0xffff. */
export interface OxmId {
  oxm_class: number;
  oxm_field: number;
  hasmask: boolean;
  length: number;
  experimenter?: number;
}
export type TableFeatureProperty =
  | { type: 'INSTRUCTIONS' | 'INSTRUCTIONS_MISS'; instruction_ids: TypeId[] }
  | { type: 'NEXT_TABLES' | 'NEXT_TABLES_MISS'; next_table_ids: number[] }
  | { type: 'WRITE_ACTIONS' | 'WRITE_ACTIONS_MISS' | 'APPLY_ACTIONS' | 'APPLY_ACTIONS_MISS'; action_ids: TypeId[] }
  | {
      type: 'MATCH' | 'WILDCARDS' | 'WRITE_SETFIELD' | 'WRITE_SETFIELD_MISS' | 'APPLY_SETFIELD' | 'APPLY_SETFIELD_MISS';
      oxm_ids: OxmId[];
    }
  | { type: 'EXPERIMENTER' | 'EXPERIMENTER_MISS'; experimenter: number; exp_type: number; data: Uint8Array };
export interface TableFeatures {
  table_id: number;
  name: string;
  metadata_match: bigint;
  metadata_write: bigint;
  config: number;
  max_entries: number;
  properties: TableFeatureProperty[];
}
export interface ExperimenterBody {
  experimenter: number;
  exp_type: number;
  data: Uint8Array;
}

type Mp<T extends 'MULTIPART_REQUEST' | 'MULTIPART_REPLY', K extends string, B> = {
  type: T;
  xid: number;
  flags: number;
  multipart_type: K;
  body: B;
};
type Req<K extends string, B> = Mp<'MULTIPART_REQUEST', K, B>;
type Rep<K extends string, B> = Mp<'MULTIPART_REPLY', K, B>;

export type MultipartRequest =
  | Req<'DESC', null> | Req<'FLOW', FlowStatsRequest> | Req<'AGGREGATE', FlowStatsRequest>
  | Req<'TABLE', null> | Req<'PORT_STATS', { port_no: number }>
  | Req<'QUEUE', { port_no: number; queue_id: number }> | Req<'GROUP', { group_id: number }>
  | Req<'GROUP_DESC', null> | Req<'GROUP_FEATURES', null> | Req<'METER', { meter_id: number }>
  | Req<'METER_CONFIG', { meter_id: number }> | Req<'METER_FEATURES', null>
  | Req<'TABLE_FEATURES', TableFeatures[]> | Req<'PORT_DESC', null>
  | Req<'EXPERIMENTER', ExperimenterBody>;

export type MultipartReply =
  | Rep<'DESC', Desc> | Rep<'FLOW', FlowStats[]> | Rep<'AGGREGATE', AggregateStats>
  | Rep<'TABLE', TableStats[]> | Rep<'PORT_STATS', PortStats[]> | Rep<'QUEUE', QueueStats[]>
  | Rep<'GROUP', GroupStats[]> | Rep<'GROUP_DESC', GroupDesc[]> | Rep<'GROUP_FEATURES', GroupFeatures>
  | Rep<'METER', MeterStats[]> | Rep<'METER_CONFIG', MeterConfig[]> | Rep<'METER_FEATURES', MeterFeatures>
  | Rep<'TABLE_FEATURES', TableFeatures[]> | Rep<'PORT_DESC', Port[]>
  | Rep<'EXPERIMENTER', ExperimenterBody>;

// ---- messages ----

export interface Hello { type: 'HELLO'; xid: number; version: number; elements: HelloElement[] }
/** `err_type`/`code` are the spec's ofp_error_msg type/code; for err_type 0xffff
 *  (OFPET_EXPERIMENTER) `code` is exp_type and `experimenter` is set. */
export interface ErrorMsg {
  type: 'ERROR';
  xid: number;
  err_type: number;
  code: number;
  experimenter?: number;
  data: Uint8Array;
}
export interface EchoRequest { type: 'ECHO_REQUEST'; xid: number; data: Uint8Array }
export interface EchoReply { type: 'ECHO_REPLY'; xid: number; data: Uint8Array }
export interface Experimenter { type: 'EXPERIMENTER'; xid: number; experimenter: number; exp_type: number; data: Uint8Array }
export interface FeaturesRequest { type: 'FEATURES_REQUEST'; xid: number }
export interface FeaturesReply {
  type: 'FEATURES_REPLY';
  xid: number;
  datapath_id: bigint;
  n_buffers: number;
  n_tables: number;
  auxiliary_id: number;
  capabilities: number;
  reserved: number;
}
export interface GetConfigRequest { type: 'GET_CONFIG_REQUEST'; xid: number }
export interface GetConfigReply { type: 'GET_CONFIG_REPLY'; xid: number; flags: number; miss_send_len: number }
export interface SetConfig { type: 'SET_CONFIG'; xid: number; flags: number; miss_send_len: number }
export interface PacketIn {
  type: 'PACKET_IN';
  xid: number;
  buffer_id: number;
  total_len: number;
  reason: number;
  table_id: number;
  cookie: bigint;
  match: Match;
  data: Uint8Array;
}
export interface FlowRemoved {
  type: 'FLOW_REMOVED';
  xid: number;
  cookie: bigint;
  priority: number;
  reason: number;
  table_id: number;
  duration_sec: number;
  duration_nsec: number;
  idle_timeout: number;
  hard_timeout: number;
  packet_count: bigint;
  byte_count: bigint;
  match: Match;
}
export interface PortStatus { type: 'PORT_STATUS'; xid: number; reason: number; desc: Port }
export interface PacketOut {
  type: 'PACKET_OUT';
  xid: number;
  buffer_id: number;
  in_port: number;
  actions: Action[];
  data: Uint8Array;
}
export interface FlowMod {
  type: 'FLOW_MOD';
  xid: number;
  cookie: bigint;
  cookie_mask: bigint;
  table_id: number;
  command: number;
  idle_timeout: number;
  hard_timeout: number;
  priority: number;
  buffer_id: number;
  out_port: number;
  out_group: number;
  flags: number;
  match: Match;
  instructions: Instruction[];
}
export interface GroupMod {
  type: 'GROUP_MOD';
  xid: number;
  command: number;
  group_type: number;
  group_id: number;
  buckets: Bucket[];
}
export interface PortMod {
  type: 'PORT_MOD';
  xid: number;
  port_no: number;
  hw_addr: string;
  config: number;
  mask: number;
  advertise: number;
}
export interface TableMod { type: 'TABLE_MOD'; xid: number; table_id: number; config: number }
export interface BarrierRequest { type: 'BARRIER_REQUEST'; xid: number }
export interface BarrierReply { type: 'BARRIER_REPLY'; xid: number }
export interface QueueGetConfigRequest { type: 'QUEUE_GET_CONFIG_REQUEST'; xid: number; port: number }
export interface QueueGetConfigReply { type: 'QUEUE_GET_CONFIG_REPLY'; xid: number; port: number; queues: PacketQueue[] }
export interface RoleRequest { type: 'ROLE_REQUEST'; xid: number; role: number; generation_id: bigint }
export interface RoleReply { type: 'ROLE_REPLY'; xid: number; role: number; generation_id: bigint }
export interface GetAsyncRequest { type: 'GET_ASYNC_REQUEST'; xid: number }
/** Each mask pair is [master/equal, slave]. */
export interface AsyncConfig {
  packet_in_mask: [number, number];
  port_status_mask: [number, number];
  flow_removed_mask: [number, number];
}
export interface GetAsyncReply extends AsyncConfig { type: 'GET_ASYNC_REPLY'; xid: number }
export interface SetAsync extends AsyncConfig { type: 'SET_ASYNC'; xid: number }
export interface MeterMod {
  type: 'METER_MOD';
  xid: number;
  command: number;
  flags: number;
  meter_id: number;
  bands: MeterBand[];
}

export type OfpMessage =
  | Hello | ErrorMsg | EchoRequest | EchoReply | Experimenter | FeaturesRequest | FeaturesReply
  | GetConfigRequest | GetConfigReply | SetConfig | PacketIn | FlowRemoved | PortStatus
  | PacketOut | FlowMod | GroupMod | PortMod | TableMod | MultipartRequest | MultipartReply
  | BarrierRequest | BarrierReply | QueueGetConfigRequest | QueueGetConfigReply
  | RoleRequest | RoleReply | GetAsyncRequest | GetAsyncReply | SetAsync | MeterMod;

export type OfpMessageType = OfpMessage['type'];
/** The message of one type, e.g. `MessageOf<'PACKET_IN'>`. */
export type MessageOf<T extends OfpMessageType> = Extract<OfpMessage, { type: T }>;

// ---- errors as values ----

export type DecodeErrorCode =
  | 'SHORT_HEADER' // fewer than 8 bytes
  | 'BAD_LENGTH' // header length below 8, above the maximum, or not the bytes given
  | 'BAD_VERSION' // not OpenFlow 1.3 (HELLO excepted)
  | 'BAD_TYPE' // unknown message, multipart, action, instruction, ... type
  | 'BAD_BODY'; // the body contradicts its own lengths or is too short

/** Why a message (or a frame in a stream) could not be decoded. Never thrown. */
export interface DecodeError {
  kind: 'decode-error';
  code: DecodeErrorCode;
  /** Human-readable: what is wrong, and where. */
  message: string;
  /** The message header, when at least 8 bytes were there. */
  header?: { version: number; type: number; length: number; xid: number };
}

export type DecodeResult = { ok: true; message: OfpMessage } | { ok: false; error: DecodeError };
