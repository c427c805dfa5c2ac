/**
 * The one way request handlers ask whether a request may do something: `access(ctx, header)`
 * over the broker's authorizer and the request's principal and host. Without an authorizer
 * (the default) everything is allowed, as a Kafka broker without authorizer.class.name.
 * Each handler asks once, for every resource of its request together, then answers the
 * entries it may not touch with Kafka's code (TOPIC_/GROUP_/CLUSTER_AUTHORIZATION_FAILED).
 */
import {
  type AclOperation,
  type AclResourceType,
  ANONYMOUS_PRINCIPAL,
  type AuthorizationContext,
  type Authorizer,
  CLUSTER_RESOURCE_NAME,
} from '../../contracts/authorizer.ts';
import type { BrokerRequestHeader } from './handler.ts';

/** An operation an action can ask for (ALL is only an ACL's). */
export type Operation = Exclude<AclOperation, 'all'>;

const ALLOW_ALL = (): boolean => true;

/** Who sent a request, as the authorizer sees it: the principal (ANONYMOUS when none) and the client's IP address. */
export function requestContext(header: Pick<BrokerRequestHeader, 'principal' | 'clientHost'>): AuthorizationContext {
  // Kafka's host is the address alone; the header carries it as Kafka prints it (`/127.0.0.1`).
  const host = header.clientHost === undefined ? '' : header.clientHost.replace(/^\//, '');
  return { principal: header.principal ?? ANONYMOUS_PRINCIPAL, host };
}

/** What one request may do. */
export class RequestAccess {
  readonly #authorizer: Authorizer | undefined;
  readonly #context: AuthorizationContext;

  constructor(authorizer: Authorizer | undefined, header: Pick<BrokerRequestHeader, 'principal' | 'clientHost'>) {
    this.#authorizer = authorizer;
    this.#context = requestContext(header);
  }

  /** Who asks. */
  get context(): AuthorizationContext {
    return this.#context;
  }

  /** True when no authorizer is configured (every check passes). */
  get unrestricted(): boolean {
    return this.#authorizer === undefined;
  }

  /** Whether the request may do `operation` on the resource. */
  allows(operation: Operation, resourceType: AclResourceType, resourceName: string): boolean {
    if (!this.#authorizer) return true;
    return this.#authorizer.authorize(this.#context, [{ operation, resourceType, resourceName }])[0] === 'allowed';
  }

  /** Whether the request may do `operation` on the cluster. */
  cluster(operation: Operation): boolean {
    return this.allows(operation, 'cluster', CLUSTER_RESOURCE_NAME);
  }

  /**
   * Asks once for every name (duplicates once) and answers with a test of each: the
   * names of a request's topics or groups that may be touched.
   */
  filter(operation: Operation, resourceType: AclResourceType, names: Iterable<string>): (name: string) => boolean {
    if (!this.#authorizer) return ALLOW_ALL;
    const unique = [...new Set(names)];
    if (unique.length === 0) return () => false;
    const results = this.#authorizer.authorize(this.#context, unique.map((resourceName) => ({ operation, resourceType, resourceName })));
    const allowed = new Set(unique.filter((_, i) => results[i] === 'allowed'));
    return (name) => allowed.has(name);
  }

  /** Whether the request may do `operation` on some resource of the type (KIP-679's check for idempotent producers). */
  anyOfType(operation: Operation, resourceType: AclResourceType): boolean {
    if (!this.#authorizer) return true;
    return this.#authorizer.authorizeByResourceType(this.#context, operation, resourceType) === 'allowed';
  }
}

/** What the request of `header` may do on the broker of `ctx`. */
export function access(ctx: { readonly authorizer?: Authorizer | undefined }, header: Pick<BrokerRequestHeader, 'principal' | 'clientHost'>): RequestAccess {
  return new RequestAccess(ctx.authorizer, header);
}
