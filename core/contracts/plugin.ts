/** What every plugin has in common: a stable name and the capabilities it declares. */

/** The kinds of extension point a Registry holds. */
export type PluginKind = 'serializer' | 'compressor' | 'partitioner' | 'storage';

/** Base shape of every plugin object: plain data plus functions, no class required. */
export interface Plugin {
  /** Stable name, unique within its kind in a registry (`gzip`, `murmur2`, `json`). */
  readonly name: string;
}

/**
 * A function that builds plugin `P` from options `O`. Without `O` it stands for a factory
 * of any options: a registry holds factories whose options it does not know (gzip's level,
 * the filesystem's directory) and passes the caller's options through unchecked. Declared
 * through a method so that its parameter compares bivariantly — a `(options?: GzipOptions)
 * => Compressor` is a `CompressorFactory` — the same looseness `any` gave, without `any`.
 */
export type PluginFactory<P, O = unknown> = { build(options?: O): P }['build'];
