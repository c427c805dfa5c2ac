/** What every plugin has in common: a stable name and the capabilities it declares. */

/** The kinds of extension point a Registry holds. */
export type PluginKind = 'serializer' | 'compressor' | 'partitioner' | 'storage';

/** Base shape of every plugin object: plain data plus functions, no class required. */
export interface Plugin {
  /** Stable name, unique within its kind in a registry (`gzip`, `murmur2`, `json`). */
  readonly name: string;
}
