/**
 * What ACL creations and deletions write (Kafka's AclControlManager), shared by the local
 * controller of a single broker and the quorum controller of a cluster: each creation is
 * checked and becomes an `acl` record with a fresh id (one already there is not added
 * again, as in Kafka); each deletion filter removes every ACL it matches with `remove-acl`
 * records, reporting them. The records are all the image learns.
 */
import type { AclBinding, AclBindingFilter } from '../../contracts/authorizer.ts';
import { KafkaCode } from '../../kafka-error-codes.ts';
import type { MetadataImage } from '../metadata/metadata-image.ts';
import type { AclRecord, RemoveAclRecord } from '../metadata/records.ts';
import { filterMatches, invalidBinding, sameBinding } from './acl-rules.ts';

/** One creation's outcome (CreateAcls' result entry). */
export interface AclCreationResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

/** One deletion filter's outcome (DeleteAcls' filter result): the ACLs it removed. */
export interface AclDeletionResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly deleted: readonly AclBinding[];
}

/** The records that add `bindings` to `image`, and each one's outcome. */
export function planAclCreations(image: MetadataImage, bindings: readonly AclBinding[], newId: () => string = () => crypto.randomUUID()): { records: AclRecord[]; results: AclCreationResult[] } {
  const records: AclRecord[] = [];
  const results = bindings.map((binding): AclCreationResult => {
    const invalid = invalidBinding(binding);
    if (invalid !== null) return { errorCode: KafkaCode.INVALID_REQUEST, errorMessage: invalid };
    const known = [...image.acls.values()].some((acl) => sameBinding(acl, binding)) || records.some((r) => sameBinding(r, binding));
    if (!known) records.push({ type: 'acl', id: newId(), ...binding });
    return { errorCode: KafkaCode.NONE, errorMessage: null };
  });
  return { records, results };
}

/** The records that remove what `filters` match from `image`, and each filter's outcome. */
export function planAclDeletions(image: MetadataImage, filters: readonly (AclBindingFilter | null)[]): { records: RemoveAclRecord[]; results: AclDeletionResult[] } {
  const removed = new Set<string>();
  const records: RemoveAclRecord[] = [];
  const results = filters.map((filter): AclDeletionResult => {
    // A filter that can match nothing (a resource type we do not model) removes nothing.
    if (filter === null) return { errorCode: KafkaCode.NONE, errorMessage: null, deleted: [] };
    const deleted: AclBinding[] = [];
    for (const [id, acl] of image.acls) {
      if (!filterMatches(filter, acl)) continue;
      deleted.push(acl);
      if (!removed.has(id)) {
        removed.add(id);
        records.push({ type: 'remove-acl', id });
      }
    }
    return { errorCode: KafkaCode.NONE, errorMessage: null, deleted };
  });
  return { records, results };
}
