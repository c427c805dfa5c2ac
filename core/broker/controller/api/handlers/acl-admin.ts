/**
 * CreateAcls and DeleteAcls as brokers forward them to the controller listener: the
 * controller writes the ACL records to the metadata log (the broker checked who may).
 */
import { ApiKey } from '../../../../protocol/api-keys.ts';
import type { HandlerEntry } from '../../../api/handler.ts';
import { answerCreateAcls, answerDeleteAcls } from '../../../api/handlers/acls.ts';
import type { ControllerContext } from '../context.ts';

/** CreateAcls v0–3 on the controller listener. */
export const controllerCreateAclsHandler: HandlerEntry<typeof ApiKey.CreateAcls, ControllerContext> = {
  apiKey: ApiKey.CreateAcls,
  versions: { min: 0, max: 3 },
  handle: (ctx, _header, body) => answerCreateAcls(ctx.controller, body),
};

/** DeleteAcls v0–3 on the controller listener. */
export const controllerDeleteAclsHandler: HandlerEntry<typeof ApiKey.DeleteAcls, ControllerContext> = {
  apiKey: ApiKey.DeleteAcls,
  versions: { min: 0, max: 3 },
  handle: (ctx, header, body) => answerDeleteAcls(ctx.controller, header, body),
};
