/**
 * The built-in Authorizer (Kafka's StandardAuthorizer): decides from the ACLs of the
 * metadata image — the records the controller wrote (`acl`, `remove-acl`), persisted on a
 * single broker and replicated through the metadata log in a cluster — under Kafka's rules
 * (acl-rules.ts), with super users and allow.everyone.if.no.acl.found.
 */
import type { AclAction, AclOperation, AclResourceType, AuthorizationContext, AuthorizationResult, Authorizer, AuthorizerSettings } from '../../contracts/authorizer.ts';
import { type AclIndex, decide, decideByResourceType } from './acl-rules.ts';

/** Options of {@link StandardAuthorizer}: Kafka's super.users and allow.everyone.if.no.acl.found. */
export type StandardAuthorizerOptions = AuthorizerSettings;

/** Decides from the ACLs `acls` gives at the moment of each call (the current image's). */
export class StandardAuthorizer implements Authorizer {
  readonly name = 'standard';
  readonly #settings: AuthorizerSettings;
  readonly #acls: () => AclIndex;

  constructor(settings: StandardAuthorizerOptions, acls: () => AclIndex) {
    this.#settings = { superUsers: [...(settings.superUsers ?? [])], allowEveryoneIfNoAclFound: settings.allowEveryoneIfNoAclFound ?? false };
    this.#acls = acls;
  }

  authorize(context: AuthorizationContext, actions: readonly AclAction[]): AuthorizationResult[] {
    // One index for the whole request: every action is decided over the same ACLs.
    const index = this.#acls();
    return actions.map((action) => decide(index, this.#settings, context, action));
  }

  authorizeByResourceType(context: AuthorizationContext, operation: Exclude<AclOperation, 'all'>, resourceType: AclResourceType): AuthorizationResult {
    return decideByResourceType(this.#acls(), this.#settings, context, operation, resourceType);
  }
}
