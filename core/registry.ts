/**
 * A Registry instance holds plugin factories by kind and name. There is no global
 * registry: `mod.ts` builds a default one with the built-ins, and users clone or build
 * their own, so two brokers in one process can carry different plugins.
 */
import type { Compressor, CompressorFactory } from './contracts/compressor.ts';
import type { PartitionerFactory } from './contracts/partitioner.ts';
import type { PluginKind } from './contracts/plugin.ts';
import type { SerializerFactory } from './contracts/serializer.ts';
import type { StorageFactory } from './contracts/storage.ts';
import { TributaryError } from './errors.ts';

/** The factory type registered for each kind. */
export interface FactoryByKind {
  serializer: SerializerFactory;
  compressor: CompressorFactory;
  partitioner: PartitionerFactory;
  storage: StorageFactory;
}

/** The object a factory of each kind returns. */
export type PluginOf<K extends PluginKind> = ReturnType<FactoryByKind[K]>;

/** One line of {@link Registry.list}. */
export interface RegistryEntry {
  readonly kind: PluginKind;
  readonly name: string;
}

const KINDS: readonly PluginKind[] = ['serializer', 'compressor', 'partitioner', 'storage'];

/** Plugins by kind and name. */
export class Registry {
  readonly #factories = new Map<PluginKind, Map<string, FactoryByKind[PluginKind]>>(KINDS.map((kind) => [kind, new Map()]));
  // Default-option compressor instances, created once on first use by codec id.
  readonly #compressors = new Map<string, Compressor>();
  readonly #codecChoice = new Map<number, string>();

  /**
   * Registers a factory under `kind` and `name`. A second registration of the same
   * kind and name is `ERR_DUPLICATE_PLUGIN`.
   */
  register<K extends PluginKind>(kind: K, name: string, factory: FactoryByKind[K]): this {
    const byName = this.#byKind(kind);
    if (typeof name !== 'string' || name.length === 0) {
      throw new TributaryError('ERR_INVALID_PLUGIN', `A ${kind} needs a non-empty name`);
    }
    if (typeof factory !== 'function') {
      throw new TributaryError('ERR_INVALID_PLUGIN', `The ${kind} "${name}" must be registered as a factory function`);
    }
    if (byName.has(name)) {
      throw new TributaryError('ERR_DUPLICATE_PLUGIN', `A ${kind} named "${name}" is already registered`, { details: { kind, name } });
    }
    byName.set(name, factory);
    return this;
  }

  /** True when a plugin of this kind and name is registered. */
  has(kind: PluginKind, name: string): boolean {
    return this.#byKind(kind).has(name);
  }

  /** The factory registered under `kind` and `name`; `ERR_UNKNOWN_PLUGIN` if none. */
  factory<K extends PluginKind>(kind: K, name: string): FactoryByKind[K] {
    const factory = this.#byKind(kind).get(name);
    if (!factory) {
      const known = [...this.#byKind(kind).keys()].join(', ') || 'none';
      throw new TributaryError('ERR_UNKNOWN_PLUGIN', `No ${kind} named "${name}" is registered (known: ${known})`, {
        details: { kind, name },
      });
    }
    return factory as FactoryByKind[K];
  }

  /** Builds a new plugin instance from the factory registered under `kind` and `name`. */
  create<K extends PluginKind>(kind: K, name: string, options?: unknown): PluginOf<K> {
    const factory = this.factory(kind, name) as (options?: unknown) => PluginOf<K>;
    return factory(options);
  }

  /** Every registered plugin, optionally of one kind, sorted by kind then name. */
  list(kind?: PluginKind): RegistryEntry[] {
    const kinds = kind ? [kind] : KINDS;
    return kinds.flatMap((k) => [...this.#byKind(k).keys()].sort().map((name) => ({ kind: k, name })));
  }

  /**
   * The compressor for a Kafka codec id (1 gzip, 2 snappy, 3 lz4, 4 zstd), built once
   * with default options. When several compressors implement one codec, the one chosen
   * with {@link useForCodec} wins, else the first registered. `ERR_UNKNOWN_CODEC` if none.
   */
  compressorForCodec(codec: number): Compressor {
    const chosen = this.#codecChoice.get(codec);
    if (chosen !== undefined) return this.#compressor(chosen);
    for (const name of this.#byKind('compressor').keys()) {
      const compressor = this.#compressor(name);
      if (compressor.codec === codec) {
        this.#codecChoice.set(codec, name);
        return compressor;
      }
    }
    throw new TributaryError('ERR_UNKNOWN_CODEC', `No compressor is registered for codec ${codec}`, { details: { codec } });
  }

  /** Makes the compressor registered as `name` the one used for its codec id. */
  useForCodec(name: string): this {
    const compressor = this.#compressor(name);
    this.#codecChoice.set(compressor.codec, name);
    return this;
  }

  /** A new registry holding the same factories, to extend without touching this one. */
  clone(): Registry {
    const copy = new Registry();
    for (const kind of KINDS) {
      for (const [name, factory] of this.#byKind(kind)) copy.register(kind, name, factory as never);
    }
    for (const [codec, name] of this.#codecChoice) copy.#codecChoice.set(codec, name);
    return copy;
  }

  #compressor(name: string): Compressor {
    let compressor = this.#compressors.get(name);
    if (!compressor) {
      compressor = this.create('compressor', name);
      this.#compressors.set(name, compressor);
    }
    return compressor;
  }

  #byKind(kind: PluginKind): Map<string, FactoryByKind[PluginKind]> {
    const byName = this.#factories.get(kind);
    if (!byName) throw new TributaryError('ERR_UNKNOWN_PLUGIN_KIND', `Unknown plugin kind "${String(kind)}" (known: ${KINDS.join(', ')})`);
    return byName;
  }
}

/** Creates an empty registry. */
export function createRegistry(): Registry {
  return new Registry();
}
