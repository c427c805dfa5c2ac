/**
 * Chooses serializers, compressors and partitioners by registry name or as plugin
 * objects, client-wide and per topic, and the `raw` default that passes bytes through.
 */
import type { Compressor } from '../contracts/compressor.ts';
import type { Partitioner } from '../contracts/partitioner.ts';
import type { Serializer } from '../contracts/serializer.ts';
import { TributaryError } from '../errors.ts';
import type { CodecSource } from '../records/record-batch.ts';
import type { Registry } from '../registry.ts';

/**
 * A serializer by registry name (`'json'`) or as an object. A `Serializer<T>` of any `T`
 * fits (its methods compare bivariantly); the client hands it the user's values as given.
 */
export type SerializerChoice = string | Serializer<unknown>;
/** A compressor by name (`'none'`, `'gzip'`, `'snappy'`, `'lz4'`, `'zstd'`, or a registered name) or as an object. */
export type CompressionChoice = string | Compressor;
/** A partitioner by registry name (`'default'`) or as an object. */
export type PartitionerChoice = string | Partitioner;

/** Key and value serializers. */
export interface SerializerChoices {
  readonly key?: SerializerChoice;
  readonly value?: SerializerChoice;
}

/** What may be set per topic (overrides the client and producer settings for that topic). */
export interface TopicSettings extends SerializerChoices {
  readonly compression?: CompressionChoice;
  readonly partitioner?: PartitionerChoice;
}

const encoder = new TextEncoder();

/**
 * The default serializer: bytes stay bytes, strings become UTF-8 on the way out, and
 * consumers get the bytes (views into the fetched batch; copy them to keep them long).
 */
export const rawSerializer: Serializer<Uint8Array | string> = Object.freeze({
  name: 'raw',
  serialize(value: Uint8Array | string | null): Uint8Array | null {
    if (value === null || value === undefined) return null;
    if (value instanceof Uint8Array) return value;
    if (typeof value === 'string') return encoder.encode(value);
    throw new TributaryError('ERR_SERIALIZATION', `Without a serializer a key or value must be a string, bytes or null, got ${typeof value}`);
  },
  deserialize(bytes: Uint8Array | null): Uint8Array | null {
    return bytes;
  },
});

/** Resolves a serializer choice (undefined → raw). */
export function resolveSerializer(registry: Registry, choice: SerializerChoice | undefined): Serializer<unknown> {
  if (choice === undefined || choice === 'raw') return rawSerializer;
  if (typeof choice === 'string') return registry.create('serializer', choice);
  if (choice && typeof choice.serialize === 'function' && typeof choice.deserialize === 'function') return choice;
  throw new TributaryError('ERR_INVALID_ARGUMENT', 'A serializer must be a registry name or an object with serialize and deserialize');
}

/** Resolves a partitioner choice (undefined → the registry's `default`). */
export function resolvePartitioner(registry: Registry, choice: PartitionerChoice | undefined): Partitioner {
  if (choice === undefined) return registry.create('partitioner', 'default');
  if (typeof choice === 'string') return registry.create('partitioner', choice);
  if (choice && typeof choice.partition === 'function') return choice;
  throw new TributaryError('ERR_INVALID_ARGUMENT', 'A partitioner must be a registry name or an object with partition()');
}

/** A compression choice resolved to a codec id and where the codec's compressor comes from. */
export interface ResolvedCompression {
  readonly codec: number;
  readonly source: CodecSource;
}

const CODEC_NAMES: Record<string, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

/** Resolves a compression choice (undefined or `'none'` → codec 0). */
export function resolveCompression(registry: Registry, choice: CompressionChoice | undefined): ResolvedCompression {
  if (choice === undefined || choice === 'none') return { codec: 0, source: registry };
  if (typeof choice === 'string') {
    // A registered name wins (a tuned gzip, a native zstd); a codec name falls back to the registry's pick.
    if (registry.has('compressor', choice)) {
      const compressor = registry.create('compressor', choice);
      return { codec: compressor.codec, source: { compressorForCodec: () => compressor } };
    }
    const codec = CODEC_NAMES[choice];
    if (codec === undefined) throw new TributaryError('ERR_UNKNOWN_CODEC', `Unknown compression "${choice}"`, { details: { compression: choice } });
    registry.compressorForCodec(codec);
    return { codec, source: registry };
  }
  if (choice && typeof choice.compress === 'function' && typeof choice.codec === 'number') {
    return { codec: choice.codec, source: { compressorForCodec: () => choice } };
  }
  throw new TributaryError('ERR_INVALID_ARGUMENT', 'compression must be a codec name or a Compressor');
}

/**
 * Per-topic settings of a client merged with a producer's or consumer's: the narrower
 * one wins field by field (a producer's `{ t: { compression } }` keeps the client's
 * serializers for `t`).
 */
export function mergeTopicSettings(
  wide: Readonly<Record<string, TopicSettings>> | undefined,
  narrow: Readonly<Record<string, TopicSettings>> | undefined,
): Readonly<Record<string, TopicSettings>> {
  if (!narrow) return wide ?? {};
  if (!wide) return narrow;
  const out: Record<string, TopicSettings> = { ...wide };
  for (const topic of Object.keys(narrow)) out[topic] = { ...(Object.hasOwn(wide, topic) ? wide[topic] : undefined), ...narrow[topic] };
  return out;
}

/** Per-topic serializers, resolved once per topic and cached. */
export class SerdeTable {
  readonly #registry: Registry;
  readonly #defaults: SerializerChoices;
  readonly #topics: Readonly<Record<string, TopicSettings>>;
  readonly #cache = new Map<string, { key: Serializer<unknown>; value: Serializer<unknown> }>();

  constructor(registry: Registry, defaults: SerializerChoices = {}, topics: Readonly<Record<string, TopicSettings>> = {}) {
    this.#registry = registry;
    this.#defaults = defaults;
    this.#topics = topics;
  }

  /** Key and value serializers of `topic`. */
  forTopic(topic: string): { key: Serializer<unknown>; value: Serializer<unknown> } {
    let entry = this.#cache.get(topic);
    if (!entry) {
      const t = Object.hasOwn(this.#topics, topic) ? this.#topics[topic] : undefined;
      entry = {
        key: resolveSerializer(this.#registry, t?.key ?? this.#defaults.key),
        value: resolveSerializer(this.#registry, t?.value ?? this.#defaults.value),
      };
      this.#cache.set(topic, entry);
    }
    return entry;
  }
}
