/**
 * The serializer a command line asks for: `string`, `json`, `int32`/`int64`/`float64`
 * (big-endian, as Kafka's Java serializers), `avro` (with an .avsc schema
 * file) or `protobuf` (with a .proto file and a message type), optionally in the
 * Confluent wire format (`--schema-id`). Produce turns each input line into the value
 * the serializer takes; consume prints what the deserializer returns.
 */
import { readFileSync } from 'node:fs';
import type protobufjs from 'protobufjs';
import type { Serializer } from '../core/contracts/serializer.ts';
import { float64 } from '../plugins/serializers/float64.ts';
import { int32 } from '../plugins/serializers/int32.ts';
import { int64 } from '../plugins/serializers/int64.ts';
import { json } from '../plugins/serializers/json.ts';
import { string } from '../plugins/serializers/string.ts';
import { notFoundError, usageError } from './exit-codes.ts';

/** Serializer names the CLI offers. */
export const SERDE_NAMES = ['string', 'json', 'int32', 'int64', 'float64', 'avro', 'protobuf', 'bytes'] as const;
/** One of {@link SERDE_NAMES}. */
export type SerdeName = (typeof SERDE_NAMES)[number];

/** A serializer plus how a line of text becomes its input. */
export interface CliSerde {
  readonly name: SerdeName;
  readonly serializer: Serializer<any>;
  /** Turns an input line into the serializer's input (JSON text → object for json/avro/protobuf). */
  fromText(text: string): unknown;
}

/** Help lines for the serializer flags (`verb` is "serializer" or "deserializer"). */
export function serdeHelp(flag: string): string {
  return [
    `${`  -s, --${flag} <name>`.padEnd(31)}string (default) | json | int32 | int64 | float64 | avro | protobuf | bytes`,
    '                               (int32/int64/float64: big-endian, as Kafka\'s Integer/Long/DoubleSerializer)',
    '      --schema <file>          avro: the .avsc schema (JSON); protobuf: the .proto file',
    '      --type <name>            protobuf: the message type (default: the file\'s only message)',
    '      --schema-id <n>          avro/protobuf: Confluent wire format with this schema id',
  ].join('\n');
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') throw notFoundError(`${what}: no such file "${file}"`);
    throw usageError(`${what}: cannot read "${file}": ${(error as Error).message}`);
  }
}

/** An integer line for int32/int64 (`42`, `-7`); anything else is refused, not rounded. */
function parseIntegerText(text: string): bigint {
  const t = text.trim();
  if (!/^[-+]?\d+$/.test(t)) throw new SyntaxError(`not an integer: ${t.length > 60 ? `${t.slice(0, 60)}…` : t}`);
  return BigInt(t);
}

/** A number line for float64 (`3.14`, `-1e-3`, `NaN`, `Infinity`). */
function parseFloatText(text: string): number {
  const t = text.trim();
  const n = Number(t);
  if (t === '' || (Number.isNaN(n) && t !== 'NaN')) throw new SyntaxError(`not a number: ${t.length > 60 ? `${t.slice(0, 60)}…` : t}`);
  return n;
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(`not valid JSON (${(error as Error).message}): ${text.length > 60 ? `${text.slice(0, 60)}…` : text}`);
  }
}

/** Every message type in a protobufjs namespace, by full name (without the leading dot). */
function messageTypes(pb: typeof protobufjs, ns: protobufjs.NamespaceBase, out: string[] = []): string[] {
  for (const nested of ns.nestedArray) {
    if (nested instanceof pb.Type) out.push(nested.fullName.replace(/^\./, ''));
    if (nested instanceof pb.Namespace || nested instanceof pb.Type) messageTypes(pb, nested as protobufjs.NamespaceBase, out);
  }
  return out;
}

/**
 * Builds the serializer for `name` with its schema options. The schema libraries (avsc,
 * protobufjs) load only when asked for.
 */
export async function cliSerde(name: SerdeName, options: { schema?: string; type?: string; schemaId?: number }): Promise<CliSerde> {
  const framing = options.schemaId !== undefined ? { schemaId: options.schemaId } : {};
  switch (name) {
    case 'string':
      return { name, serializer: string(), fromText: (t) => t };
    case 'bytes':
      // Lines pass as UTF-8; consumed bytes print as they are.
      return { name, serializer: { name: 'bytes', serialize: (v: unknown) => (v === null ? null : typeof v === 'string' ? new TextEncoder().encode(v) : (v as Uint8Array)), deserialize: (b: Uint8Array | null) => b }, fromText: (t) => t };
    case 'json':
      return { name, serializer: json(), fromText: parseJsonText };
    case 'int32':
      // The serializer refuses what is out of its range, with its own message.
      return { name, serializer: int32(), fromText: (t) => {
        const n = parseIntegerText(t);
        return n >= -2147483648n && n <= 2147483647n ? Number(n) : t.trim();
      } };
    case 'int64':
      return { name, serializer: int64(), fromText: parseIntegerText };
    case 'float64':
      return { name, serializer: float64(), fromText: parseFloatText };
    case 'avro': {
      if (!options.schema) throw usageError('--serializer avro needs --schema <file.avsc>');
      let schema: unknown;
      try {
        schema = JSON.parse(readText(options.schema, '--schema'));
      } catch (error) {
        if ((error as { code?: string }).code) throw error;
        throw usageError(`--schema: ${options.schema} is not valid JSON: ${(error as Error).message}`);
      }
      const { avroOnDemand } = await import('../adapters/runtime/avro-on-demand.ts');
      return { name, serializer: avroOnDemand({ schema: schema as never, ...framing }), fromText: parseJsonText };
    }
    case 'protobuf': {
      if (!options.schema) throw usageError('--serializer protobuf needs --schema <file.proto> (and --type <Message>)');
      const { importOptional } = await import('../adapters/runtime/optional-package.ts');
      const pb = (await importOptional('protobufjs', 'The protobuf serializer', () => import('protobufjs'))).default;
      const { protobuf } = await import('../plugins/serializers/protobuf.ts');
      let root: protobufjs.Root;
      try {
        root = pb.parse(readText(options.schema, '--schema'), { keepCase: true }).root;
      } catch (error) {
        if ((error as { code?: string }).code) throw error;
        throw usageError(`--schema: cannot parse ${options.schema}: ${(error as Error).message}`);
      }
      const types = messageTypes(pb, root);
      let typeName = options.type;
      if (typeName === undefined) {
        if (types.length !== 1) throw usageError(`--type is needed: ${options.schema} defines ${types.length === 0 ? 'no message' : `several messages (${types.join(', ')})`}`);
        typeName = types[0]!;
      }
      if (!types.includes(typeName)) {
        const byShort = types.filter((t) => t.split('.').pop() === typeName);
        if (byShort.length !== 1) throw usageError(`--type: no message "${typeName}" in ${options.schema} (it has: ${types.join(', ') || 'none'})`);
        typeName = byShort[0]!;
      }
      // Printed messages show every field, proto3 defaults included (as protoc's JSON printer can).
      return { name, serializer: protobuf({ root, typeName, ...framing, objectOptions: { longs: String, enums: String, defaults: true } }), fromText: parseJsonText };
    }
  }
}
