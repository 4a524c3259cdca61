/** Block Kit for the approval card, its thread replies and modals. */

export * from './ids';
export { approvalCard, approveConfirmText, cardText } from './card';
export {
  BREAK_GLASS_CONFIRM,
  BREAK_GLASS_REASON,
  breakGlassModal,
  denyModal,
  policyModal,
  requestModal,
  revokeModal,
} from './modals';
export { INLINE_POLICY_LIMIT, policyDisplay } from './shared';
export { stepText } from './steps';
