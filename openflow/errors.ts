// OpenFlow 1.3 error types and codes (ofp_error_type, ofp_*_code), by name. Codes of each
// type are numbered from 0, so each list is indexed by its wire code.

export const ERROR_TYPES = {
  HELLO_FAILED: { type: 0, codes: ['INCOMPATIBLE', 'EPERM'] },
  BAD_REQUEST: {
    type: 1,
    codes: ['BAD_VERSION', 'BAD_TYPE', 'BAD_MULTIPART', 'BAD_EXPERIMENTER', 'BAD_EXP_TYPE', 'EPERM', 'BAD_LEN',
      'BUFFER_EMPTY', 'BUFFER_UNKNOWN', 'BAD_TABLE_ID', 'IS_SLAVE', 'BAD_PORT', 'BAD_PACKET', 'MULTIPART_BUFFER_OVERFLOW'],
  },
  BAD_ACTION: {
    type: 2,
    codes: ['BAD_TYPE', 'BAD_LEN', 'BAD_EXPERIMENTER', 'BAD_EXP_TYPE', 'BAD_OUT_PORT', 'BAD_ARGUMENT', 'EPERM',
      'TOO_MANY', 'BAD_QUEUE', 'BAD_OUT_GROUP', 'MATCH_INCONSISTENT', 'UNSUPPORTED_ORDER', 'BAD_TAG',
      'BAD_SET_TYPE', 'BAD_SET_LEN', 'BAD_SET_ARGUMENT'],
  },
  BAD_INSTRUCTION: {
    type: 3,
    codes: ['UNKNOWN_INST', 'UNSUP_INST', 'BAD_TABLE_ID', 'UNSUP_METADATA', 'UNSUP_METADATA_MASK',
      'BAD_EXPERIMENTER', 'BAD_EXP_TYPE', 'BAD_LEN', 'EPERM'],
  },
  BAD_MATCH: {
    type: 4,
    codes: ['BAD_TYPE', 'BAD_LEN', 'BAD_TAG', 'BAD_DL_ADDR_MASK', 'BAD_NW_ADDR_MASK', 'BAD_WILDCARDS',
      'BAD_FIELD', 'BAD_VALUE', 'BAD_MASK', 'BAD_PREREQ', 'DUP_FIELD', 'EPERM'],
  },
  FLOW_MOD_FAILED: {
    type: 5,
    codes: ['UNKNOWN', 'TABLE_FULL', 'BAD_TABLE_ID', 'OVERLAP', 'EPERM', 'BAD_TIMEOUT', 'BAD_COMMAND', 'BAD_FLAGS'],
  },
  GROUP_MOD_FAILED: {
    type: 6,
    codes: ['GROUP_EXISTS', 'INVALID_GROUP', 'WEIGHT_UNSUPPORTED', 'OUT_OF_GROUPS', 'OUT_OF_BUCKETS',
      'CHAINING_UNSUPPORTED', 'WATCH_UNSUPPORTED', 'LOOP', 'UNKNOWN_GROUP', 'CHAINED_GROUP', 'BAD_TYPE',
      'BAD_COMMAND', 'BAD_BUCKET', 'BAD_WATCH', 'EPERM'],
  },
  PORT_MOD_FAILED: { type: 7, codes: ['BAD_PORT', 'BAD_HW_ADDR', 'BAD_CONFIG', 'BAD_ADVERTISE', 'EPERM'] },
  TABLE_MOD_FAILED: { type: 8, codes: ['BAD_TABLE', 'BAD_CONFIG', 'EPERM'] },
  QUEUE_OP_FAILED: { type: 9, codes: ['BAD_PORT', 'BAD_QUEUE', 'EPERM'] },
  SWITCH_CONFIG_FAILED: { type: 10, codes: ['BAD_FLAGS', 'BAD_LEN', 'EPERM'] },
  ROLE_REQUEST_FAILED: { type: 11, codes: ['STALE', 'UNSUP', 'BAD_ROLE'] },
  METER_MOD_FAILED: {
    type: 12,
    codes: ['UNKNOWN', 'METER_EXISTS', 'INVALID_METER', 'UNKNOWN_METER', 'BAD_COMMAND', 'BAD_FLAGS', 'BAD_RATE',
      'BAD_BURST', 'BAD_BAND', 'BAD_BAND_VALUE', 'OUT_OF_METERS', 'OUT_OF_BANDS'],
  },
  TABLE_FEATURES_FAILED: { type: 13, codes: ['BAD_TABLE', 'BAD_METADATA', 'BAD_TYPE', 'BAD_LEN', 'BAD_ARGUMENT', 'EPERM'] },
} as const;

export type ErrorTypeName = keyof typeof ERROR_TYPES | 'EXPERIMENTER';
export type ErrorCodeName<K extends keyof typeof ERROR_TYPES> = (typeof ERROR_TYPES)[K]['codes'][number];
export const OFPET_EXPERIMENTER = 0xffff;

const BY_NUMBER = new Map<number, { name: string; codes: readonly string[] }>(Object.entries(ERROR_TYPES).map(([name, t]) => [t.type, { name, codes: t.codes as readonly string[] }]));

/** "BAD_REQUEST.BAD_TYPE" for err_type 1 code 1; "EXPERIMENTER" for 0xffff; numbers when unknown. */
export function errorName(err_type: number, code: number): string {
  if (err_type === OFPET_EXPERIMENTER) return 'EXPERIMENTER';
  const t = BY_NUMBER.get(err_type);
  if (t === undefined) return `UNKNOWN_TYPE_${err_type}.${code}`;
  return `${t.name}.${t.codes[code] ?? `UNKNOWN_CODE_${code}`}`;
}

/** The wire numbers of an error by name, for building an ERROR message. */
export function errorCodes<K extends keyof typeof ERROR_TYPES>(type: K, code: ErrorCodeName<K>): { err_type: number; code: number } {
  const t = ERROR_TYPES[type];
  return { err_type: t.type, code: (t.codes as readonly string[]).indexOf(code) };
}
