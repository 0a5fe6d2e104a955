// The event as it goes to the log: Elastic Common Schema names where ECS has one, and
// GhostBridge's own fields under `ghostbridge.*` (ECS's rule for custom fields).
// docs/events.md and docs/events.schema.json describe every field.

export const ECS_VERSION = '8.17.0';

export type EventAction = 'flow.start' | 'flow.update' | 'flow.end' | 'switch.up' | 'switch.down' | 'port.status';

export interface Endpoint {
  ip?: string;
  mac?: string;
  port?: number;
  bytes?: number;
  packets?: number;
}

export interface PortView {
  number: number;
  name: string;
  mac?: string;
  link_up: boolean;
  admin_up: boolean;
}

export interface EcsEvent {
  '@timestamp': string;
  ecs: { version: string };
  event: {
    kind: 'event' | 'state';
    category: string[];
    type: string[];
    action: EventAction;
    dataset: string;
    start?: string;
    end?: string;
    /** Nanoseconds. */
    duration?: number;
    reason?: string;
  };
  observer?: { ingress?: { interface: { id: string } }; ip?: string };
  source?: Endpoint;
  destination?: Endpoint;
  network?: {
    type?: string;
    transport?: string;
    iana_number?: string;
    protocol?: string;
    bytes?: number;
    packets?: number;
    community_id?: string;
    vlan?: { id: string };
    inner?: { vlan: { id: string } };
  };
  ghostbridge: {
    datapath_id: string;
    privacy: { mode: string; key_id?: string };
    flow?: {
      id: string;
      idle_timeout?: number;
      hard_timeout?: number;
      /** The first packet as the switch reported it: header facts only, never payload. */
      first_packet?: {
        length: number;
        captured: number;
        truncated: boolean;
        ttl?: number;
        dscp?: number;
        tcp_flags?: string[];
        icmp?: { type: number; code: number };
        fragment?: boolean;
        ip_options?: boolean;
        ipv6_extensions?: number[];
        arp_operation?: number;
      };
    };
    switch?: { ports: PortView[] };
    port?: PortView;
  };
}
