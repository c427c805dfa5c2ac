/** The client's TCP transport on node:net (Node, Deno and Bun). */
export { tcpTransport, TcpConnection, type TcpTransportOptions } from './tcp-transport.ts';
