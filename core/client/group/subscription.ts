/**
 * What a group consumer subscribes to: topic names and patterns. Patterns are matched
 * against the cluster's topic list, re-read on every metadata check, so a new topic that
 * matches joins the subscription (and the member rejoins with it).
 */
import { KafkaCode, TributaryError } from '../../errors.ts';
import { ApiKey } from '../../protocol/api-keys.ts';
import type { Cluster } from '../cluster.ts';

/** Names and patterns, and where a partition without a committed offset starts. */
export class Subscription {
  readonly names = new Set<string>();
  readonly patterns: RegExp[] = [];
  /** From subscribe(); undefined: the consumer's `fromBeginning` option decides. */
  fromBeginning: boolean | undefined;

  /** Adds topics (names or RegExps). */
  add(topics: ReadonlyArray<string | RegExp>, fromBeginning: boolean | undefined): void {
    for (const t of topics) {
      if (t instanceof RegExp) {
        // A global or sticky RegExp keeps lastIndex between tests and would skip matches.
        this.patterns.push(new RegExp(t.source, t.flags.replace(/[gy]/g, '')));
      } else if (typeof t === 'string' && t.length > 0) {
        this.names.add(t);
      } else {
        throw new TributaryError('ERR_INVALID_ARGUMENT', `A subscribed topic must be a non-empty string or a RegExp, got ${String(t)}`);
      }
    }
    if (fromBeginning !== undefined) this.fromBeginning = fromBeginning;
  }

  /** True when nothing was subscribed. */
  get empty(): boolean {
    return this.names.size === 0 && this.patterns.length === 0;
  }

  /** The topics subscribed now, sorted: the names plus the topics in `all` matching a pattern. */
  resolve(all: readonly string[]): string[] {
    const out = new Set(this.names);
    for (const t of all) if (this.patterns.some((p) => p.test(t))) out.add(t);
    return [...out].sort();
  }

  /** Resolves against the cluster (asks for the topic list only when there are patterns). */
  async current(cluster: Cluster): Promise<string[]> {
    return this.resolve(this.patterns.length > 0 ? await listTopicNames(cluster) : []);
  }
}

/** Names of every non-internal topic of the cluster. */
export async function listTopicNames(cluster: Cluster): Promise<string[]> {
  const body = await cluster.sendAny(ApiKey.Metadata, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  // Names are nullable from Metadata v12 (a topic asked for by id only); a listing of every topic names each one.
  return body.topics.flatMap((t) => (t.errorCode === KafkaCode.NONE && !t.isInternal && t.name !== null ? [t.name] : []));
}
