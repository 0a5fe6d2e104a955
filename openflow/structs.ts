// Every fixed-size struct of OpenFlow 1.3 (openflow.h), by spec field name. Message structs
// start after the 8-byte ofp_header. Variable-length tails (matches, action and
// instruction lists, buckets, bands, properties) follow and are handled by the callers.
import { layout, type FieldSpec } from './layout.ts';
import type * as T from './types.ts';

const STATS_DURATION: FieldSpec[] = [['duration_sec', 'u32'], ['duration_nsec', 'u32']];

export const errorHead = layout<{ err_type: number; code: number }>('ofp_error_msg', [['err_type', 'u16'], ['code', 'u16']]);
export const experimenterHead = layout<{ experimenter: number; exp_type: number }>('ofp_experimenter_header', [
  ['experimenter', 'u32'], ['exp_type', 'u32'],
]);
export const featuresReply = layout<Omit<T.FeaturesReply, 'type' | 'xid'>>('ofp_switch_features', [
  ['datapath_id', 'u64'], ['n_buffers', 'u32'], ['n_tables', 'u8'], ['auxiliary_id', 'u8'], ['', 'pad2'],
  ['capabilities', 'u32'], ['reserved', 'u32'],
]);
export const switchConfig = layout<{ flags: number; miss_send_len: number }>('ofp_switch_config', [
  ['flags', 'u16'], ['miss_send_len', 'u16'],
]);
export const packetIn = layout<Pick<T.PacketIn, 'buffer_id' | 'total_len' | 'reason' | 'table_id' | 'cookie'>>('ofp_packet_in', [
  ['buffer_id', 'u32'], ['total_len', 'u16'], ['reason', 'u8'], ['table_id', 'u8'], ['cookie', 'u64'],
]);
export const flowRemoved = layout<Omit<T.FlowRemoved, 'type' | 'xid' | 'match'>>('ofp_flow_removed', [
  ['cookie', 'u64'], ['priority', 'u16'], ['reason', 'u8'], ['table_id', 'u8'], ...STATS_DURATION,
  ['idle_timeout', 'u16'], ['hard_timeout', 'u16'], ['packet_count', 'u64'], ['byte_count', 'u64'],
]);
export const port = layout<T.Port>('ofp_port', [
  ['port_no', 'u32'], ['', 'pad4'], ['hw_addr', 'mac'], ['', 'pad2'], ['name', 'str16'],
  ['config', 'u32'], ['state', 'u32'], ['curr', 'u32'], ['advertised', 'u32'], ['supported', 'u32'],
  ['peer', 'u32'], ['curr_speed', 'u32'], ['max_speed', 'u32'],
]);
export const portStatus = layout<{ reason: number }>('ofp_port_status', [['reason', 'u8'], ['', 'pad7']]);
export const packetOut = layout<{ buffer_id: number; in_port: number; actions_len: number }>('ofp_packet_out', [
  ['buffer_id', 'u32'], ['in_port', 'u32'], ['actions_len', 'u16'], ['', 'pad6'],
]);
export const flowMod = layout<Omit<T.FlowMod, 'type' | 'xid' | 'match' | 'instructions'>>('ofp_flow_mod', [
  ['cookie', 'u64'], ['cookie_mask', 'u64'], ['table_id', 'u8'], ['command', 'u8'],
  ['idle_timeout', 'u16'], ['hard_timeout', 'u16'], ['priority', 'u16'], ['buffer_id', 'u32'],
  ['out_port', 'u32'], ['out_group', 'u32'], ['flags', 'u16'], ['', 'pad2'],
]);
export const groupMod = layout<Omit<T.GroupMod, 'type' | 'xid' | 'buckets'>>('ofp_group_mod', [
  ['command', 'u16'], ['group_type', 'u8'], ['', 'pad1'], ['group_id', 'u32'],
]);
export const bucket = layout<Omit<T.Bucket, 'actions'>>('ofp_bucket', [
  ['len', 'len16'], ['weight', 'u16'], ['watch_port', 'u32'], ['watch_group', 'u32'], ['', 'pad4'],
]);
export const portMod = layout<Omit<T.PortMod, 'type' | 'xid'>>('ofp_port_mod', [
  ['port_no', 'u32'], ['', 'pad4'], ['hw_addr', 'mac'], ['', 'pad2'], ['config', 'u32'], ['mask', 'u32'],
  ['advertise', 'u32'], ['', 'pad4'],
]);
export const tableMod = layout<{ table_id: number; config: number }>('ofp_table_mod', [
  ['table_id', 'u8'], ['', 'pad3'], ['config', 'u32'],
]);
export const multipartHead = layout<{ mp_type: number; flags: number }>('ofp_multipart', [
  ['mp_type', 'u16'], ['flags', 'u16'], ['', 'pad4'],
]);
export const queueGetConfig = layout<{ port: number }>('ofp_queue_get_config', [['port', 'u32'], ['', 'pad4']]);
export const packetQueue = layout<{ queue_id: number; port: number }>('ofp_packet_queue', [
  ['queue_id', 'u32'], ['port', 'u32'], ['len', 'len16'], ['', 'pad6'],
]);
export const queuePropHead = layout<{ property: number }>('ofp_queue_prop_header', [
  ['property', 'u16'], ['len', 'len16'], ['', 'pad4'],
]);
export const role = layout<{ role: number; generation_id: bigint }>('ofp_role_request', [
  ['role', 'u32'], ['', 'pad4'], ['generation_id', 'u64'],
]);
export const asyncConfig = layout<T.AsyncConfig>('ofp_async_config', [
  ['packet_in_mask', 'u32x2'], ['port_status_mask', 'u32x2'], ['flow_removed_mask', 'u32x2'],
]);
export const meterMod = layout<{ command: number; flags: number; meter_id: number }>('ofp_meter_mod', [
  ['command', 'u16'], ['flags', 'u16'], ['meter_id', 'u32'],
]);
export const meterBandHead = layout<{ band_type: number; rate: number; burst_size: number }>('ofp_meter_band_header', [
  ['band_type', 'u16'], ['len', 'len16'], ['rate', 'u32'], ['burst_size', 'u32'],
]);

// ---- multipart bodies ----

export const flowStatsRequest = layout<Omit<T.FlowStatsRequest, 'match'>>('ofp_flow_stats_request', [
  ['table_id', 'u8'], ['', 'pad3'], ['out_port', 'u32'], ['out_group', 'u32'], ['', 'pad4'],
  ['cookie', 'u64'], ['cookie_mask', 'u64'],
]);
export const desc = layout<T.Desc>('ofp_desc', [
  ['mfr_desc', 'str256'], ['hw_desc', 'str256'], ['sw_desc', 'str256'], ['serial_num', 'str32'], ['dp_desc', 'str256'],
]);
export const flowStats = layout<Omit<T.FlowStats, 'match' | 'instructions'>>('ofp_flow_stats', [
  ['length', 'len16'], ['table_id', 'u8'], ['', 'pad1'], ...STATS_DURATION, ['priority', 'u16'],
  ['idle_timeout', 'u16'], ['hard_timeout', 'u16'], ['flags', 'u16'], ['', 'pad4'], ['cookie', 'u64'],
  ['packet_count', 'u64'], ['byte_count', 'u64'],
]);
export const aggregateStats = layout<T.AggregateStats>('ofp_aggregate_stats_reply', [
  ['packet_count', 'u64'], ['byte_count', 'u64'], ['flow_count', 'u32'], ['', 'pad4'],
]);
export const tableStats = layout<T.TableStats>('ofp_table_stats', [
  ['table_id', 'u8'], ['', 'pad3'], ['active_count', 'u32'], ['lookup_count', 'u64'], ['matched_count', 'u64'],
]);
export const portStatsRequest = layout<{ port_no: number }>('ofp_port_stats_request', [['port_no', 'u32'], ['', 'pad4']]);
export const portStats = layout<T.PortStats>('ofp_port_stats', [
  ['port_no', 'u32'], ['', 'pad4'],
  ...(['rx_packets', 'tx_packets', 'rx_bytes', 'tx_bytes', 'rx_dropped', 'tx_dropped', 'rx_errors', 'tx_errors',
    'rx_frame_err', 'rx_over_err', 'rx_crc_err', 'collisions'] as const).map((n): FieldSpec => [n, 'u64']),
  ...STATS_DURATION,
]);
export const queueStatsRequest = layout<{ port_no: number; queue_id: number }>('ofp_queue_stats_request', [
  ['port_no', 'u32'], ['queue_id', 'u32'],
]);
export const queueStats = layout<T.QueueStats>('ofp_queue_stats', [
  ['port_no', 'u32'], ['queue_id', 'u32'], ['tx_bytes', 'u64'], ['tx_packets', 'u64'], ['tx_errors', 'u64'], ...STATS_DURATION,
]);
export const groupStatsRequest = layout<{ group_id: number }>('ofp_group_stats_request', [['group_id', 'u32'], ['', 'pad4']]);
export const groupStats = layout<Omit<T.GroupStats, 'bucket_stats'>>('ofp_group_stats', [
  ['length', 'len16'], ['', 'pad2'], ['group_id', 'u32'], ['ref_count', 'u32'], ['', 'pad4'],
  ['packet_count', 'u64'], ['byte_count', 'u64'], ...STATS_DURATION,
]);
export const bucketCounter = layout<{ packet_count: bigint; byte_count: bigint }>('ofp_bucket_counter', [
  ['packet_count', 'u64'], ['byte_count', 'u64'],
]);
export const groupDesc = layout<Omit<T.GroupDesc, 'buckets'>>('ofp_group_desc', [
  ['length', 'len16'], ['type', 'u8'], ['', 'pad1'], ['group_id', 'u32'],
]);
export const groupFeatures = layout<T.GroupFeatures>('ofp_group_features', [
  ['types', 'u32'], ['capabilities', 'u32'], ['max_groups', 'u32x4'], ['actions', 'u32x4'],
]);
export const meterRequest = layout<{ meter_id: number }>('ofp_meter_multipart_request', [['meter_id', 'u32'], ['', 'pad4']]);
export const meterStats = layout<Omit<T.MeterStats, 'band_stats'>>('ofp_meter_stats', [
  ['meter_id', 'u32'], ['len', 'len16'], ['', 'pad6'], ['flow_count', 'u32'], ['packet_in_count', 'u64'],
  ['byte_in_count', 'u64'], ...STATS_DURATION,
]);
export const meterBandStats = layout<{ packet_band_count: bigint; byte_band_count: bigint }>('ofp_meter_band_stats', [
  ['packet_band_count', 'u64'], ['byte_band_count', 'u64'],
]);
export const meterConfig = layout<Omit<T.MeterConfig, 'bands'>>('ofp_meter_config', [
  ['length', 'len16'], ['flags', 'u16'], ['meter_id', 'u32'],
]);
export const meterFeatures = layout<T.MeterFeatures>('ofp_meter_features', [
  ['max_meter', 'u32'], ['band_types', 'u32'], ['capabilities', 'u32'], ['max_bands', 'u8'], ['max_color', 'u8'], ['', 'pad2'],
]);
export const tableFeatures = layout<Omit<T.TableFeatures, 'properties'>>('ofp_table_features', [
  ['length', 'len16'], ['table_id', 'u8'], ['', 'pad5'], ['name', 'str32'], ['metadata_match', 'u64'],
  ['metadata_write', 'u64'], ['config', 'u32'], ['max_entries', 'u32'],
]);
