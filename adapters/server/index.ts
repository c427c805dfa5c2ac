/** The TCP server adapter: Kafka clients connect to a broker, and brokers to the controller, over node:net. */
export { startServer, type ServerListener, type ServerOptions, type TributaryServer } from './tcp-server.ts';
export { type ClientAuth, type TlsListenerOptions, subjectDistinguishedName } from './tls-principal.ts';
export { serveController, type ControllerListener, type ServeControllerOptions } from './controller-listener.ts';
export { openListener, isLoopback, type KafkaListener, type ListenerOptions } from './kafka-listener.ts';
export { Connection, type ConnectionOptions } from './connection.ts';
// Kept for callers that took the frame splitter from here; it lives in the core now.
export { DEFAULT_MAX_REQUEST_SIZE, FrameDecoder } from '../../core/protocol/framing.ts';
