/** The Serializer extension point: application values ↔ bytes. */
import type { Plugin, PluginFactory } from './plugin.ts';

/** Where a value is being (de)serialized; serializers may ignore it. */
export interface SerdeContext {
  /** Topic the record belongs to. */
  readonly topic?: string;
  /** True when the key is being (de)serialized, false for the value. */
  readonly isKey?: boolean;
}

/**
 * Converts values of type `T` to bytes and back. `null` always stays `null` (a Kafka
 * record's key and value are nullable; a null value is a tombstone). Errors are
 * `TributaryError` with code `ERR_SERIALIZATION` / `ERR_DESERIALIZATION`.
 */
export interface Serializer<T = unknown> extends Plugin {
  /** Value → bytes; `null` → `null`. */
  serialize(value: T | null, context?: SerdeContext): Uint8Array | null;
  /** Bytes → value; `null` → `null`. */
  deserialize(bytes: Uint8Array | null, context?: SerdeContext): T | null;
}

/** A factory that builds a serializer from options (how plugins are registered). */
export type SerializerFactory<T = unknown, O = unknown> = PluginFactory<Serializer<T>, O>;
