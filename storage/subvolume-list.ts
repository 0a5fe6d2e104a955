// Parses what the replica script's `list` prints: per block snapshot, `== <name>` and then
// `btrfs subvolume show` output. UUID, Received UUID and the read-only flag are what
// replication needs: a received subvolume's Received UUID is the sender snapshot's UUID.
export interface Subvolume {
  name: string;
  uuid: string;
  /** The sender's UUID for a completely received subvolume; null otherwise. */
  receivedUuid: string | null;
  readOnly: boolean;
}

const SNAPSHOT_NAME = /^block-(\d+)-([0-9a-f]{8})$/;
const FIELD = /^\s*(UUID|Received UUID|Flags):\s*(.*?)\s*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Entries whose name is not a block snapshot name are dropped (names are later used in commands). */
export function parseSubvolumeList(text: string): Subvolume[] {
  const out: Subvolume[] = [];
  let cur: Subvolume | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('== ')) {
      const name = line.slice(3);
      cur = SNAPSHOT_NAME.test(name) ? { name, uuid: '', receivedUuid: null, readOnly: false } : null;
      if (cur) out.push(cur);
      continue;
    }
    const m = cur && FIELD.exec(line);
    if (!cur || !m) continue;
    if (m[1] === 'UUID') cur.uuid = m[2];
    else if (m[1] === 'Received UUID') cur.receivedUuid = UUID.test(m[2]) ? m[2] : null;
    else cur.readOnly = m[2].split(/[\s,|]+/).includes('readonly');
  }
  for (const s of out) if (!UUID.test(s.uuid)) throw new Error(`btrfs subvolume show gave no UUID for ${s.name}`);
  return out;
}

export function snapshotIndex(name: string): number {
  return Number(SNAPSHOT_NAME.exec(name)![1]);
}

/** Left by a cut-off `btrfs receive`: neither read-only nor marked as received. */
export function halfReceived(s: Subvolume): boolean {
  return !s.readOnly && s.receivedUuid === null;
}
