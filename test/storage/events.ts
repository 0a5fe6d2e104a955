// ECS-shaped events as the pipeline makes them, for storage tests and the benchmark.
export const T0 = Date.parse('2026-01-01T00:00:00Z');

export function flowEvent(i: number): Record<string, unknown> {
  return {
    '@timestamp': new Date(T0 + i * 10).toISOString(),
    event: { kind: 'event', action: i % 3 === 0 ? 'flow.start' : 'flow.update' },
    source: { ip: `10.77.${(i >> 8) & 255}.${i & 255}`, port: 1024 + (i % 60000) },
    destination: { ip: '10.77.0.2', port: 443 },
    network: { transport: 'tcp', packets: i % 1000, bytes: (i % 1000) * 1400, community_id: '1:LQU9qZlK+B5F3KDmev6m5PMibrg=' },
  };
}

/** flowEvent(from) .. flowEvent(from + n - 1). */
export function flowEvents(n: number, from = 0): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => flowEvent(from + i));
}
