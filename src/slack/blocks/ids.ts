/** The IDs the bot's messages and dialogs carry, which the listeners match on. */

export const ACTION = {
  approve: 'cases_access_approve',
  deny: 'cases_access_deny',
  revoke: 'cases_access_revoke',
  retry: 'cases_access_retry',
  viewPolicy: 'cases_access_view_policy',
  acknowledge: 'cases_access_acknowledge',
} as const;
/** The dialog that confirms a break-glass request before it is applied. */
export const BREAK_GLASS_MODAL = 'cases_access_break_glass_modal';
export const DENY_MODAL = 'cases_access_deny_modal';
export const REVOKE_MODAL = 'cases_access_revoke_modal';
export const REQUEST_MODAL = 'cases_access_request_modal';
/** The reason field's block and action IDs, shared by the deny and revoke dialogs. */
export const REASON_BLOCK = 'reason_block';
export const REASON_INPUT = 'reason';
/** The request dialog's fields: block ID = action ID = the name. */
export const REQUEST_FIELDS = [
  'task',
  'option',
  'role',
  'instance',
  'duration',
  'reason',
  'break_glass',
] as const;
export type RequestFieldName = (typeof REQUEST_FIELDS)[number];
/** The Home tab's own buttons: its pages (two per list: action IDs are unique within a block), the request dialog. */
export const HOME_ACTION = {
  previousPage: 'cases_access_home_previous',
  nextPage: 'cases_access_home_next',
  newRequest: 'cases_access_new_request',
} as const;
