/** `tributary produce` and `tributary consume` through the real CLI against a real broker. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lines, runCli, startCliBroker, type CliBroker } from './cli-helpers.ts';

let broker: CliBroker;
let b: string[];

beforeAll(async () => {
  broker = await startCliBroker();
  b = ['-b', broker.address];
});
afterAll(() => broker?.close());

describe('produce then consume', () => {
  it('sends stdin lines with keys and headers; consume prints them with --format and --json and exits at the end', async () => {
    expect((await runCli(['topics', 'create', 'fleet', '-p', '1', ...b])).code).toBe(0);
    const produced = await runCli(['produce', 'fleet', '-K', ':', '-H', 'source=cli', '-H', 'v=2', ...b], { input: 'truck-1:{"lat":1}\ntruck-2:{"lat":2}\n\nno-key-line\n' });
    expect(produced.code, produced.stderr).toBe(0);
    expect(produced.stderr).toMatch(/Produced 3 records \(\d+ B\) to "fleet" in [\d.]+ s/);

    const formatted = await runCli(['consume', 'fleet', '--exit', '--format', '%t|%p|%o|%k|%v|%h|%T\\n', ...b]);
    expect(formatted.code, formatted.stderr).toBe(0);
    const rows = lines(formatted.stdout).map((l) => l.split('|'));
    expect(rows.map((r) => r.slice(0, 6))).toEqual([
      ['fleet', '0', '0', 'truck-1', '{"lat":1}', 'source=cli,v=2'],
      ['fleet', '0', '1', 'truck-2', '{"lat":2}', 'source=cli,v=2'],
      ['fleet', '0', '2', '', 'no-key-line', 'source=cli,v=2'],
    ]);
    for (const r of rows) expect(Math.abs(Number(r[6]) - Date.now())).toBeLessThan(10 * 60_000);

    const json = await runCli(['consume', 'fleet', '-e', '--json', ...b]);
    expect(json.code, json.stderr).toBe(0);
    const objects = lines(json.stdout).map((l) => JSON.parse(l));
    expect(objects[0]).toMatchObject({ topic: 'fleet', partition: 0, offset: 0, key: 'truck-1', value: '{"lat":1}', headers: { source: 'cli', v: '2' } });
    expect(objects[2]).toMatchObject({ key: null, offset: 2, value: 'no-key-line' });
    expect(objects).toHaveLength(3);

    // With the json deserializer the values become objects; the record that is not JSON
    // is reported and skipped, and the exit code says so.
    const parsed = await runCli(['consume', 'fleet', '-e', '--json', '--deserializer', 'json', ...b]);
    expect(parsed.code).toBe(1);
    expect(lines(parsed.stdout).map((l) => JSON.parse(l).value)).toEqual([{ lat: 1 }, { lat: 2 }]);
    expect(parsed.stderr).toContain('offset 2');

    const plain = await runCli(['consume', 'fleet', '-e', '-K', '=', '--max-messages', '2', ...b]);
    expect(plain.code).toBe(0);
    expect(lines(plain.stdout)).toEqual(['truck-1={"lat":1}', 'truck-2={"lat":2}']);
  });

  it('starts from an offset, a negative offset, a timestamp or the end', async () => {
    expect((await runCli(['topics', 'create', 'ticks', '-p', '1', ...b])).code).toBe(0);
    expect((await runCli(['produce', 'ticks', '-q', ...b], { input: 'a\nb\nc\n' })).code).toBe(0);
    await new Promise((r) => setTimeout(r, 20));
    const between = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    expect((await runCli(['produce', 'ticks', '-q', ...b], { input: 'd\ne\n' })).code).toBe(0);

    const [fromOffset, fromEndMinus, byTimestamp, byAt, atEnd] = await Promise.all([
      runCli(['consume', 'ticks', '-e', '--offset', '3', ...b]),
      runCli(['consume', 'ticks', '-e', '--from=-4', ...b]),
      runCli(['consume', 'ticks', '-e', '--timestamp', String(between), ...b]),
      runCli(['consume', 'ticks', '-e', '--from', `@${between}`, '-F', '%o %v\\n', ...b]),
      runCli(['consume', 'ticks', '-e', '--from', 'end', ...b]),
    ]);
    expect(lines(fromOffset.stdout)).toEqual(['d', 'e']);
    expect(lines(fromEndMinus.stdout)).toEqual(['b', 'c', 'd', 'e']);
    expect(lines(byTimestamp.stdout)).toEqual(['d', 'e']);
    expect(lines(byAt.stdout)).toEqual(['3 d', '4 e']);
    expect(atEnd.code).toBe(0);
    expect(atEnd.stdout).toBe('');
  });

  it('reads a file with a progress line, compression, acks and an explicit partition', async () => {
    expect((await runCli(['topics', 'create', 'bulk', '-p', '3', ...b])).code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'tributary-cli-'));
    const file = join(dir, 'input.txt');
    writeFileSync(file, Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n') + '\n');
    const r = await runCli(['produce', 'bulk', '--file', file, '--progress', '--compression', 'gzip', '--acks', '1', '--partition', '2', ...b]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('records/s');
    expect(r.stderr).toContain('100%');
    expect(r.stderr).toMatch(/Produced 5,000 records/);
    const offsets = broker.broker.topics.get('bulk')!.partitions.map((p) => p.log.endOffset());
    expect(offsets).toEqual([0, 0, 5000]);
    const tail = await runCli(['consume', 'bulk', '-p', '2', '--from=-2', '-e', ...b]);
    expect(lines(tail.stdout)).toEqual(['line 4998', 'line 4999']);
    expect((await runCli(['produce', 'bulk', '--partition', '7', ...b], { input: 'x\n' })).code).toBe(3);
    expect((await runCli(['produce', 'bulk', '--file', join(dir, 'missing.txt'), ...b])).code).toBe(3);
  });

  it('serializes with avro and protobuf schemas and reads them back', async () => {
    const avsc = 'test/cli/fixtures/truck.avsc';
    const proto = 'test/cli/fixtures/truck.proto';
    const input = '{"id":"t1","lat":52.5,"speed":80}\n{"id":"t2","lat":48.1,"speed":0}\n';
    const [avroOut, protoOut] = await Promise.all([
      runCli(['produce', 'trucks-avro', '--serializer', 'avro', '--schema', avsc, ...b], { input }),
      runCli(['produce', 'trucks-proto', '--serializer', 'protobuf', '--schema', proto, '--type', 'Position', ...b], { input }),
    ]);
    expect(avroOut.code, avroOut.stderr).toBe(0);
    expect(protoOut.code, protoOut.stderr).toBe(0);
    const [avroIn, protoIn, rawIn] = await Promise.all([
      runCli(['consume', 'trucks-avro', '-e', '--json', '--deserializer', 'avro', '--schema', avsc, ...b]),
      runCli(['consume', 'trucks-proto', '-e', '--json', '-s', 'protobuf', '--schema', proto, ...b]),
      runCli(['consume', 'trucks-avro', '-e', '-F', '%S\\n', ...b]),
    ]);
    expect(lines(avroIn.stdout).map((l) => JSON.parse(l).value)).toEqual([{ id: 't1', lat: 52.5, speed: 80 }, { id: 't2', lat: 48.1, speed: 0 }]);
    expect(lines(protoIn.stdout).map((l) => JSON.parse(l).value)).toEqual([{ id: 't1', lat: 52.5, speed: 80 }, { id: 't2', lat: 48.1, speed: 0 }]);
    // Avro binary is smaller than the JSON text: 1 + 2 (id) + 8 (double) + 1–2 (zigzag int).
    expect(lines(rawIn.stdout).map(Number).every((n) => n < 15)).toBe(true);
    const bad = await runCli(['produce', 'trucks-avro', '--serializer', 'avro', ...b], { input });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--schema');
  });
});
