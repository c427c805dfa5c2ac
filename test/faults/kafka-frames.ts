/**
 * Just enough of Kafka's framing for the fault proxy: cut a byte stream into size-prefixed
 * frames and read a request's header (apiKey, apiVersion, correlationId, clientId).
 */

/** The fields every request header starts with (v1 and later; v2 adds tagged fields after them). */
export interface RequestHeader {
  readonly size: number;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  /** null when the header carries none (header v0, or a null string). */
  readonly clientId: string | null;
}

/**
 * Accumulates a byte stream and hands out whole frames, size prefix included, in order.
 * The returned function takes each chunk as it arrives.
 */
export function frameSplitter(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let buffer: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    while (buffer.length >= 4) {
      const size = buffer.readInt32BE(0);
      if (buffer.length < 4 + size) break;
      onFrame(buffer.subarray(0, 4 + size));
      buffer = buffer.subarray(4 + size);
    }
  };
}

/**
 * Reads the header of a request frame (size prefix included). The client id is a
 * non-compact nullable string in every header version that has one; only ControlledShutdown
 * v0 uses header v0 without it.
 */
export function readRequestHeader(frame: Buffer): RequestHeader {
  const size = frame.readInt32BE(0);
  const apiKey = frame.readInt16BE(4);
  const apiVersion = frame.readInt16BE(6);
  const correlationId = frame.readInt32BE(8);
  const headerV0 = apiKey === 7 && apiVersion === 0;
  let clientId: string | null = null;
  if (!headerV0 && frame.length >= 14) {
    const length = frame.readInt16BE(12);
    if (length >= 0 && frame.length >= 14 + length) clientId = frame.toString('utf8', 14, 14 + length);
  }
  return { size, apiKey, apiVersion, correlationId, clientId };
}

/** Builds a request frame with a v1 header (what the proxy tests send). */
export function requestFrame(header: { apiKey: number; apiVersion: number; correlationId: number; clientId: string | null }, body: Buffer = Buffer.alloc(0)): Buffer {
  const id = header.clientId === null ? null : Buffer.from(header.clientId, 'utf8');
  const head = Buffer.alloc(14);
  head.writeInt32BE(10 + (id?.length ?? 0) + body.length, 0);
  head.writeInt16BE(header.apiKey, 4);
  head.writeInt16BE(header.apiVersion, 6);
  head.writeInt32BE(header.correlationId, 8);
  head.writeInt16BE(id === null ? -1 : id.length, 12);
  return Buffer.concat([head, id ?? Buffer.alloc(0), body]);
}

/** The node id in a `tributary-broker-<id>` client id (inter-broker and broker→controller links), else null. */
export function brokerIdOf(clientId: string | null): number | null {
  const m = clientId === null ? null : /^tributary-broker-(\d+)$/.exec(clientId);
  return m ? Number(m[1]) : null;
}
