/**
 * Cross-checks our schemas against Apache Kafka's JSON message definitions (reference
 * data in ../shared/kafka-protocol/messages, not part of the project). For every
 * version we describe: the same fields, in the same order, with the same types,
 * nullability, tags and explicit numeric/boolean defaults; and the same flexible
 * versions. Skips, saying why, when the directory is absent (a fresh clone).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ALL_SCHEMAS, consumerAssignmentSchema, consumerSubscriptionSchema, inVersions, parseVersions, type FieldSpec,
} from '../../core/protocol/index.ts';

const dir = resolve(import.meta.dirname, '../../../shared/kafka-protocol/messages');
const present = existsSync(dir);
if (!present) console.warn(`[protocol] skipping the Kafka definitions cross-check: ${dir} does not exist`);

interface KafkaField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number | string;
  default?: string;
  fields?: KafkaField[];
}
interface KafkaMessage {
  validVersions: string;
  flexibleVersions: string;
  fields: KafkaField[];
  commonStructs?: Array<{ name: string; fields: KafkaField[] }>;
}

function load(name: string): KafkaMessage {
  const text = readFileSync(resolve(dir, `${name}.json`), 'utf8');
  return JSON.parse(text.split('\n').filter((line) => !/^\s*\/\//.test(line)).join('\n'));
}

const PRIMITIVES = new Set(['int8', 'int16', 'int32', 'int64', 'uint16', 'uint32', 'float64', 'bool', 'string', 'bytes', 'records', 'uuid']);
const lower = (s: string) => s[0]!.toLowerCase() + s.slice(1);

/** A comparable description of one field in one version. */
function kafkaView(fields: KafkaField[], common: Map<string, KafkaField[]>, version: number, flexible: boolean): unknown[] {
  return fields.filter((f) => inVersions(f.versions, version)).map((f) => {
    const isArray = f.type.startsWith('[]');
    const base = isArray ? f.type.slice(2) : f.type;
    const struct = !PRIMITIVES.has(base);
    const sub = struct ? (f.fields ?? common.get(base)) : undefined;
    if (struct && !sub) throw new Error(`struct ${base} not found`);
    let def: unknown;
    if (f.default !== undefined && !struct && !isArray && ['int8', 'int16', 'int32', 'int64', 'uint16', 'uint32', 'bool'].includes(base)) {
      def = base === 'bool' ? f.default === 'true' : Number(f.default);
    }
    return {
      name: lower(f.name),
      type: struct ? (isArray ? '[]struct' : 'struct') : f.type,
      nullable: inVersions(f.nullableVersions, version),
      // Kafka writes a few tags as strings (BrokerHeartbeatRequest's "tag": "0").
      tag: flexible && inVersions(f.taggedVersions, version) && f.tag !== undefined ? Number(f.tag) : undefined,
      default: def === 0 || def === false ? undefined : def,
      fields: sub ? kafkaView(sub, common, version, flexible) : undefined,
    };
  });
}

function ourView(fields: readonly FieldSpec[], version: number, flexible: boolean): unknown[] {
  return fields.filter((f) => inVersions(f.versions, version)).map((f) => {
    const base = f.type.startsWith('[]') ? f.type.slice(2) : f.type;
    const numeric = ['int8', 'int16', 'int32', 'int64', 'uint16', 'uint32', 'bool'].includes(base) && !f.type.startsWith('[]');
    const def = numeric && f.default !== undefined && f.default !== 0 && f.default !== false ? f.default : undefined;
    return {
      name: f.name,
      type: f.type,
      nullable: inVersions(f.nullable, version),
      tag: flexible && inVersions(f.tagged, version) ? f.tag : undefined,
      default: def,
      fields: f.fields ? ourView(f.fields, version, flexible) : undefined,
    };
  });
}

function flexibleFrom(message: KafkaMessage): number | null {
  return message.flexibleVersions === 'none' ? null : parseVersions(message.flexibleVersions)[0];
}

describe.skipIf(!present)('schemas agree with Kafka\'s message definitions', () => {
  it.each(ALL_SCHEMAS.map((s) => [s.name, s] as const))('%s', (name, schema) => {
    for (const side of ['request', 'response'] as const) {
      const kafka = load(`${name}${side === 'request' ? 'Request' : 'Response'}`);
      const [kMin, kMax] = parseVersions(kafka.validVersions);
      // We describe only versions Kafka defines.
      expect(schema.minVersion).toBeGreaterThanOrEqual(kMin);
      expect(schema.maxVersion).toBeLessThanOrEqual(kMax);
      expect(schema.flexibleFrom).toBe(flexibleFrom(kafka));
      const common = new Map((kafka.commonStructs ?? []).map((c) => [c.name, c.fields]));
      for (let v = schema.minVersion; v <= schema.maxVersion; v++) {
        const flexible = schema.flexibleFrom !== null && v >= schema.flexibleFrom;
        expect(ourView(schema[side], v, flexible), `${name}${side} v${v}`).toEqual(kafkaView(kafka.fields, common, v, flexible));
      }
    }
  });

  it.each([
    ['ConsumerProtocolSubscription', consumerSubscriptionSchema],
    ['ConsumerProtocolAssignment', consumerAssignmentSchema],
  ] as const)('%s', (name, schema) => {
    const kafka = load(name);
    expect([schema.minVersion, schema.maxVersion]).toEqual(parseVersions(kafka.validVersions));
    expect(schema.flexibleFrom).toBe(flexibleFrom(kafka));
    for (let v = schema.minVersion; v <= schema.maxVersion; v++) {
      expect(ourView(schema.fields, v, false), `${name} v${v}`).toEqual(kafkaView(kafka.fields, new Map(), v, false));
    }
  });
});
