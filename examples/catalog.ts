/**
 * Every example: its name (what `npm run example -- <name>` takes), where it lives, and
 * the one idea it shows. examples/run.ts, examples/README.md and the examples' tests all
 * go by this list.
 */

/** One example. */
export interface ExampleEntry {
  /** kebab-case name, as typed after `npm run example --`. */
  readonly name: string;
  /** Path from the examples/ folder: a module exporting `main()`, or a vitest file. */
  readonly path: string;
  /** The idea, in one line. */
  readonly shows: string;
  /** A vitest file rather than a program: run.ts runs it through vitest. */
  readonly isTest?: boolean;
}

/** The examples, in the order the README tells them. */
export const examples: readonly ExampleEntry[] = Object.freeze([
  { name: 'truck-fleet', path: 'truck-fleet/main.ts', shows: 'trucks report positions to a 10-partition topic keyed by truck; a dashboard group and an alerting group read the same stream independently' },
  { name: 'partitions-and-ordering', path: 'partitions-and-ordering.ts', shows: 'same key → same partition (murmur2), order kept per partition, keyless records spread (sticky, round-robin)' },
  { name: 'acks', path: 'acks/main.ts', shows: 'acks 0/1/all: a rejected record and a broker crash (SIGKILL) lose acks=0 records silently; acks=1 records survive or fail loudly' },
  { name: 'consumer-groups', path: 'consumer-groups.ts', shows: '3 members share 6 partitions, 8 members leave 2 idle, a member leaves and its partitions move' },
  { name: 'committed-offsets', path: 'committed-offsets.ts', shows: 'consume part of a topic, commit, stop; restart broker (filesystem storage) and consumer, and resume where it left off' },
  { name: 'serializers', path: 'serializers.ts', shows: 'string, JSON, int32/int64/float64, Avro and Protobuf (with and without Confluent framing) and their sizes in bytes' },
  { name: 'compression', path: 'compression.ts', shows: 'gzip, snappy, lz4 and zstd on the same 10,000 truck positions: stored bytes, ratio and time' },
  { name: 'embedded-broker', path: 'embedded-broker.test.ts', shows: 'an embedded broker inside a vitest test: the pattern to copy into your own tests', isTest: true },
  { name: 'custom-plugin', path: 'custom-plugin/main.ts', shows: 'a partitioner and a storage adapter of your own, passing the conformance suites, used by a broker and a producer' },
  { name: 'same-program-three-runtimes', path: 'same-program-three-runtimes.ts', shows: 'one program that runs unchanged under Node, Deno and Bun: a produce/consume round trip over TCP' },
]);
