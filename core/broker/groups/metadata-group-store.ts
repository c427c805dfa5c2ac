/**
 * The {@link GroupStore} over the storage metadata store: committed offsets and group facts.
 *
 * Keys: `group-offsets/<group>/<topic>/<partition>` (one per committed partition) and
 * `group-meta/<group>` (protocol type and when the group became empty, for retention),
 * with the group id URI-encoded so that any id fits between slashes (topic names cannot
 * hold a slash). Each commit is one atomic multi-write; writes run one after another so
 * that the store ends in the order the coordinator applied them.
 */
import type { MetadataOp, MetadataStore } from '../../contracts/storage.ts';
import type { OffsetAndMetadata } from './offset-and-metadata.ts';
import type { GroupStore, OffsetChange, StoredGroup, StoredGroupMeta } from './group-store.ts';

/** Key prefix of committed offsets (`group-offsets/<group>/<topic>/<partition>`). */
export const OFFSETS = 'group-offsets/';
/** Key prefix of group facts (`group-meta/<group>`). */
export const META = 'group-meta/';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The key of one committed offset. */
export function offsetKey(groupId: string, topic: string, partition: number): string {
  return `${OFFSETS}${encodeURIComponent(groupId)}/${topic}/${partition}`;
}

/** The key of a group's facts. */
export function metaKey(groupId: string): string {
  return `${META}${encodeURIComponent(groupId)}`;
}

/** JSON bytes of a stored value. */
export function json(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

function parseOffset(bytes: Uint8Array): OffsetAndMetadata | undefined {
  try {
    const v = JSON.parse(decoder.decode(bytes)) as Partial<OffsetAndMetadata>;
    if (typeof v.offset !== 'number' || typeof v.commitTimestamp !== 'number') return undefined;
    return {
      offset: v.offset,
      leaderEpoch: typeof v.leaderEpoch === 'number' ? v.leaderEpoch : -1,
      metadata: typeof v.metadata === 'string' ? v.metadata : '',
      commitTimestamp: v.commitTimestamp,
      expireTimestamp: typeof v.expireTimestamp === 'number' ? v.expireTimestamp : null,
    };
  } catch {
    return undefined;
  }
}

/** Reads and writes group offsets in a metadata store; one instance per coordinator. */
export class MetadataGroupStore implements GroupStore {
  readonly #store: MetadataStore;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(store: MetadataStore) {
    this.#store = store;
  }

  /** Every stored group with its offsets (undecodable entries are skipped and reported). */
  async load(onBadEntry: (key: string) => void = () => undefined): Promise<StoredGroup[]> {
    return groupsOf([...(await this.#store.list(OFFSETS)), ...(await this.#store.list(META))], onBadEntry);
  }

  /** Writes and removes offsets of one group in one atomic write (queued behind earlier writes). */
  writeOffsets(groupId: string, changes: readonly OffsetChange[]): Promise<void> {
    const ops: MetadataOp[] = changes.map((c) =>
      c.value === null
        ? { type: 'delete', key: offsetKey(groupId, c.topic, c.partition) }
        : { type: 'put', key: offsetKey(groupId, c.topic, c.partition), value: json(c.value) },
    );
    return this.#enqueue(ops);
  }

  /** Records the group's protocol type and whether (since when) it is empty. */
  writeMeta(groupId: string, meta: StoredGroupMeta): Promise<void> {
    return this.#enqueue([{ type: 'put', key: metaKey(groupId), value: json(meta) }]);
  }

  /** Removes everything stored for a group (DeleteGroups, full expiry). */
  deleteGroup(groupId: string, offsets: ReadonlyArray<{ topic: string; partition: number }>): Promise<void> {
    const ops: MetadataOp[] = offsets.map((o) => ({ type: 'delete', key: offsetKey(groupId, o.topic, o.partition) }));
    ops.push({ type: 'delete', key: metaKey(groupId) });
    return this.#enqueue(ops);
  }

  /** Waits for every queued write. */
  async settle(): Promise<void> {
    await this.#tail.catch(() => undefined);
  }

  #enqueue(ops: MetadataOp[]): Promise<void> {
    if (ops.length === 0) return this.#tail.then(() => undefined, () => undefined);
    const run = this.#tail.catch(() => undefined).then(() => this.#store.write(ops));
    this.#tail = run;
    return run;
  }
}

/**
 * The stored groups that entries keyed as this store keys them (`group-offsets/…`,
 * `group-meta/…`) describe; undecodable entries are skipped and reported.
 */
export function groupsOf(entries: Iterable<{ key: string; value: Uint8Array }>, onBadEntry: (key: string) => void = () => undefined): StoredGroup[] {
  const groups = new Map<string, { meta: StoredGroupMeta | null; offsets: StoredGroup['offsets'] }>();
  const entry = (id: string) => {
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { meta: null, offsets: [] }));
    return g;
  };
  for (const { key, value } of entries) {
    if (key.startsWith(OFFSETS)) {
      const parts = key.slice(OFFSETS.length).split('/');
      const offset = parseOffset(value);
      const partition = Number(parts[2]);
      if (parts.length !== 3 || !offset || !Number.isInteger(partition)) {
        onBadEntry(key);
        continue;
      }
      entry(decodeURIComponent(parts[0]!)).offsets.push({ topic: parts[1]!, partition, value: offset });
    } else if (key.startsWith(META)) {
      try {
        const meta = JSON.parse(decoder.decode(value)) as StoredGroupMeta;
        entry(decodeURIComponent(key.slice(META.length))).meta = {
          protocolType: typeof meta.protocolType === 'string' ? meta.protocolType : null,
          emptySince: typeof meta.emptySince === 'number' ? meta.emptySince : null,
        };
      } catch {
        onBadEntry(key);
      }
    } else onBadEntry(key);
  }
  return [...groups].map(([groupId, g]) => ({ groupId, ...g }));
}
