/** The TCP server adapter: Kafka clients connect to a broker over node:net. */
export { startServer, type ServerOptions, type TributaryServer } from './tcp-server.ts';
export { Connection, type ConnectionOptions } from './connection.ts';
export { FrameDecoder } from './frame-decoder.ts';
