/**
 * Slack's documented limits on what the bot sends (Block Kit reference, chat.postMessage and views.* docs). Every
 * text the bot builds is fitted to the one that applies (src/slack/mrkdwn.ts), so Slack never rejects a message
 * (`invalid_blocks`, `msg_too_long`) or cuts it where it likes.
 */
export const SLACK_LIMITS = {
  /** A section's text. */
  sectionText: 3_000,
  /** Each of a section's fields. */
  sectionField: 2_000,
  /** A header block's plain text. */
  headerText: 150,
  /** A confirmation dialog's title, text and button labels. */
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** A button's label and value. */
  buttonText: 75,
  buttonValue: 2_000,
  /** A modal's title, and its private_metadata. */
  modalTitle: 24,
  privateMetadata: 3_000,
  /** Blocks in a message; in a modal or a Home tab. */
  messageBlocks: 50,
  viewBlocks: 100,
  /**
   * A message's top-level `text`: Slack truncates past 40,000 characters and advises staying within 4,000; the bot's
   * replies (and each page of `status` / `audit`) stay within 4,000.
   */
  messageText: 4_000,
  /** An input's inline error in a dialog (plain text): short enough to read under the field. */
  dialogError: 150,
} as const;
