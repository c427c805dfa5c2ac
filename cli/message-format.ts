/**
 * Output of consumed messages: kcat-style format strings (`-f '%t %p %o %k %v\n'`) and
 * one JSON object per line. Format strings are compiled once into a list of parts so
 * that printing a message is a loop of appends.
 */
import type { RecordHeader } from '../core/records/record.ts';
import { usageError } from './exit-codes.ts';

/** A consumed message as the formatters see it (key and value already deserialized). */
export interface PrintableMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: unknown;
  readonly value: unknown;
  readonly headers: readonly RecordHeader[];
  /** Sizes of the key and value as stored (-1 for null), for %K and %S. */
  readonly keySize?: number;
  readonly valueSize?: number;
}

type Part = string | ((m: PrintableMessage) => string);

const decoder = new TextDecoder();

/** Text of a key or value: strings as they are, bytes as UTF-8, objects as JSON, null as empty. */
export function textOf(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return decoder.decode(value);
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value, jsonReplacer);
}

/** JSON.stringify replacer: bigints (Avro longs, int64) as numbers when exact, else strings; bytes as UTF-8. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  if (value instanceof Uint8Array) return decoder.decode(value);
  return value;
}

function headersText(headers: readonly RecordHeader[]): string {
  return headers.map((h) => `${h.key}=${h.value === null ? '' : decoder.decode(h.value)}`).join(',');
}

const FIELDS: Record<string, (m: PrintableMessage) => string> = {
  t: (m) => m.topic,
  p: (m) => String(m.partition),
  o: (m) => String(m.offset),
  k: (m) => textOf(m.key),
  K: (m) => String(m.keySize ?? byteLength(m.key)),
  v: (m) => textOf(m.value),
  s: (m) => textOf(m.value),
  S: (m) => String(m.valueSize ?? byteLength(m.value)),
  h: (m) => headersText(m.headers),
  T: (m) => String(m.timestamp),
};

function byteLength(value: unknown): number {
  if (value === null || value === undefined) return -1;
  if (value instanceof Uint8Array) return value.length;
  return new TextEncoder().encode(textOf(value)).length;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '0': '\0' };

/**
 * Compiles a kcat-style format: %t topic, %p partition, %o offset, %k key, %K key
 * length, %v (or %s) value, %S value length, %h headers (k=v,…), %T timestamp (ms),
 * %% a percent sign; escapes \n \t \r \\ \0. Unknown directives are usage errors.
 */
export function compileFormat(format: string): (m: PrintableMessage) => string {
  const parts: Part[] = [];
  let text = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c === '\\' && i + 1 < format.length) {
      const e = ESCAPES[format[i + 1]!];
      if (e !== undefined) {
        text += e;
        i++;
        continue;
      }
    }
    if (c === '%') {
      const d = format[i + 1];
      if (d === '%') {
        text += '%';
        i++;
        continue;
      }
      const field = d === undefined ? undefined : FIELDS[d];
      if (!field) throw usageError(`--format: unknown directive "%${d ?? ''}" (known: %t %p %o %k %K %v %s %S %h %T %%)`);
      if (text) parts.push(text);
      text = '';
      parts.push(field);
      i++;
      continue;
    }
    text += c;
  }
  if (text) parts.push(text);
  return (m) => {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(m);
    return out;
  };
}

/**
 * One JSON line per message: topic, partition, offset, timestamp, key, value, headers.
 * Keys and values appear as their deserializers made them (strings, or objects for
 * json/avro/protobuf); headers as an object of UTF-8 strings, a repeated key as an array.
 */
export function jsonLine(m: PrintableMessage): string {
  const headers: Record<string, string | null | Array<string | null>> = Object.create(null);
  for (const h of m.headers) {
    const v = h.value === null ? null : decoder.decode(h.value);
    const prior = Object.hasOwn(headers, h.key) ? headers[h.key] : undefined;
    if (prior === undefined) headers[h.key] = v;
    else headers[h.key] = Array.isArray(prior) ? [...prior, v] : [prior, v];
  }
  return `${JSON.stringify({ topic: m.topic, partition: m.partition, offset: m.offset, timestamp: m.timestamp, key: m.key ?? null, value: m.value ?? null, headers }, jsonReplacer)}\n`;
}
