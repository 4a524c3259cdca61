/*
 * A small renderer of the Block Kit and mrkdwn the bot sends, as Slack shows them: header, section (text, fields),
 * context, actions (buttons), rich_text (preformatted), divider, and the modal inputs it opens. Everything it outputs
 * is HTML-escaped except the markup it adds. Loaded by the page; also require()d by the tests.
 */
(function (root) {
  'use strict';

  const EMOJI = {
    arrows_counterclockwise: '🔄',
    ballot_box_with_check: '☑️',
    bell: '🔔',
    gear: '⚙️',
    hourglass: '⌛',
    hourglass_flowing_sand: '⏳',
    inbox_tray: '📥',
    mag: '🔍',
    no_entry: '⛔',
    no_entry_sign: '🚫',
    octagonal_sign: '🛑',
    rotating_light: '🚨',
    warning: '⚠️',
    wastebasket: '🗑️',
    white_check_mark: '✅',
    wrench: '🔧',
    x: '❌',
  };

  /** Escapes for HTML, keeping the three entities Slack itself sends (&lt; &gt; &amp;) as they are. */
  function escapeKeepingEntities(text) {
    return String(text)
      .replace(/&(?!(lt|gt|amp);)/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;');
  }

  /** Escapes plain text (plain_text objects and rich text are never mrkdwn: Slack shows them as sent). */
  function escapeHtml(text) {
    return String(text)
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;');
  }

  const emoji = (html) => html.replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] || m);

  function formatting(html) {
    const edge = '(^|[\\s(>])';
    const end = '(?=$|[\\s.,;:!?)<])';
    return emoji(html)
      .replace(new RegExp(edge + '\\*([^*\\n]+)\\*' + end, 'g'), '$1<b>$2</b>')
      .replace(new RegExp(edge + '_([^_\\n]+)_' + end, 'g'), '$1<i>$2</i>')
      .replace(new RegExp(edge + '~([^~\\n]+)~' + end, 'g'), '$1<s>$2</s>');
  }

  function formatDate(seconds, fallback) {
    const date = new Date(Number(seconds) * 1000);
    return Number.isNaN(date.getTime()) ? fallback : date.toLocaleString();
  }

  /** `<…>`: a mention, a date, a link, or text that only looks like one (shown escaped). */
  function special(inner, names) {
    let m;
    if ((m = /^@([UW][A-Z0-9]+)$/.exec(inner)))
      return '<span class="mention">@' + escapeHtml(names[m[1]] || m[1]) + '</span>';
    if ((m = /^#([CG][A-Z0-9]+)(?:\|(.*))?$/.exec(inner)))
      return '<span class="mention">#' + escapeKeepingEntities(m[2] || m[1]) + '</span>';
    if ((m = /^!subteam\^([A-Z0-9]+)(?:\|(.*))?$/.exec(inner)))
      return '<span class="mention">' + escapeKeepingEntities(m[2] || '@' + m[1]) + '</span>';
    if ((m = /^!(channel|here|everyone)(?:\|.*)?$/.exec(inner)))
      return '<span class="mention">@' + m[1] + '</span>';
    if ((m = /^!date\^(\d+)\^[^|]*\|(.*)$/.exec(inner)))
      return (
        '<time title="' + escapeKeepingEntities(m[2]) + '">' + escapeHtml(formatDate(m[1], m[2])) + '</time>'
      );
    if ((m = /^(https?:\/\/[^|\s]+)(?:\|(.*))?$/.exec(inner))) {
      // A permalink to a message of the fake Slack points at that message on this page.
      const permalink = /^https:\/\/fake\.slack\.test\/archives\/[A-Z0-9]+\/p(\d+)(\d{6})$/.exec(m[1]);
      const href = permalink ? '#m-' + permalink[1] + '-' + permalink[2] : m[1];
      const label = escapeKeepingEntities(m[2] === undefined ? m[1] : m[2]);
      const target = permalink ? '' : ' target="_blank" rel="noopener noreferrer"';
      return '<a href="' + escapeKeepingEntities(href) + '"' + target + '>' + label + '</a>';
    }
    return escapeKeepingEntities('<' + inner + '>');
  }

  function inline(text, names) {
    return text
      .split(/(`[^`\n]+`)/)
      .map((part) => {
        if (part.length > 1 && part[0] === '`' && part[part.length - 1] === '`')
          return '<code>' + escapeKeepingEntities(part.slice(1, -1)) + '</code>';
        return part
          .split(/(<[^<>]*>)/)
          .map((piece) =>
            piece[0] === '<' && piece[piece.length - 1] === '>'
              ? special(piece.slice(1, -1), names)
              : formatting(escapeKeepingEntities(piece)),
          )
          .join('');
      })
      .join('')
      .replace(/\n/g, '<br>');
  }

  /** Slack mrkdwn (escaped as Slack expects: &lt; &gt; &amp;) to HTML. `names`: user ID → display name. */
  function mrkdwn(text, names) {
    return String(text || '')
      .split('```')
      .map((part, i, all) =>
        i % 2 === 1 && i < all.length - 1
          ? '<pre>' + escapeKeepingEntities(part.replace(/^\n|\n$/g, '')) + '</pre>'
          : inline(i % 2 === 1 ? '```' + part : part, names || {}),
      )
      .join('');
  }

  function textObject(t, names) {
    if (!t) return '';
    return t.type === 'mrkdwn' ? mrkdwn(t.text, names) : emoji(escapeHtml(t.text));
  }

  function richText(block) {
    return (block.elements || [])
      .map((el) => {
        const text = (el.elements || []).map((e) => escapeHtml(e.text || '')).join('');
        return el.type === 'rich_text_preformatted' ? '<pre>' + text + '</pre>' : '<div>' + text + '</div>';
      })
      .join('');
  }

  /** A button, with what a click needs in data- attributes (the page sends them to the bot as Slack would). */
  function button(el, blockId) {
    const style = el.style === 'primary' || el.style === 'danger' ? ' ' + el.style : '';
    const confirm = el.confirm ? ' data-confirm="' + escapeHtml(JSON.stringify(el.confirm)) + '"' : '';
    return (
      '<button type="button" class="btn' +
      style +
      '" data-action-id="' +
      escapeHtml(el.action_id || '') +
      '" data-block-id="' +
      escapeHtml(blockId || '') +
      '" data-value="' +
      escapeHtml(el.value || '') +
      '"' +
      confirm +
      '>' +
      emoji(escapeHtml(el.text ? el.text.text : '')) +
      '</button>'
    );
  }

  function inputBlock(block, names) {
    const el = block.element || {};
    const id = 'in-' + escapeHtml(block.block_id || '') + '-' + escapeHtml(el.action_id || '');
    const data =
      ' data-block-id="' +
      escapeHtml(block.block_id || '') +
      '" data-action-id="' +
      escapeHtml(el.action_id || '') +
      '" data-type="' +
      escapeHtml(el.type || '') +
      '"';
    const optional = block.optional ? ' <small>(optional)</small>' : '';
    const label = textObject(block.label, names) + optional;
    let control;
    if (el.type === 'plain_text_input') {
      const placeholder = el.placeholder ? ' placeholder="' + escapeHtml(el.placeholder.text) + '"' : '';
      const max = el.max_length ? ' maxlength="' + Number(el.max_length) + '"' : '';
      const initial = escapeHtml(el.initial_value || '');
      control = el.multiline
        ? '<textarea id="' + id + '" rows="3"' + data + placeholder + max + '>' + initial + '</textarea>'
        : '<input type="text" id="' + id + '"' + data + placeholder + max + ' value="' + initial + '">';
      return (
        '<div class="input"><label for="' +
        id +
        '">' +
        label +
        '</label>' +
        control +
        errorSlot(block) +
        '</div>'
      );
    }
    if (el.type === 'radio_buttons') {
      const initial = el.initial_option ? el.initial_option.value : undefined;
      control = (el.options || [])
        .map(
          (o) =>
            '<label><input type="radio" name="' +
            id +
            '"' +
            data +
            ' value="' +
            escapeHtml(o.value) +
            '"' +
            (o.value === initial ? ' checked' : '') +
            '> ' +
            textObject(o.text, names) +
            '</label><br>',
        )
        .join('');
      return (
        '<div class="input"><span class="label">' + label + '</span>' + control + errorSlot(block) + '</div>'
      );
    }
    return (
      '<div class="input"><span class="label">' +
      label +
      '</span><em>(' +
      escapeHtml(el.type) +
      ')</em></div>'
    );
  }

  const errorSlot = (block) =>
    '<div class="error" data-error-for="' + escapeHtml(block.block_id || '') + '"></div>';

  function renderBlock(block, names) {
    switch (block.type) {
      case 'header':
        return '<div class="block header">' + textObject(block.text, names) + '</div>';
      case 'section': {
        const text = block.text ? '<div>' + textObject(block.text, names) + '</div>' : '';
        const fields = block.fields
          ? '<div class="fields">' +
            block.fields.map((f) => '<div>' + textObject(f, names) + '</div>').join('') +
            '</div>'
          : '';
        const accessory =
          block.accessory && block.accessory.type === 'button' ? button(block.accessory, block.block_id) : '';
        return '<div class="block section">' + text + fields + accessory + '</div>';
      }
      case 'context':
        return (
          '<div class="block context">' +
          (block.elements || []).map((e) => '<span>' + textObject(e, names) + '</span>').join('') +
          '</div>'
        );
      case 'actions':
        return (
          '<div class="block actions">' +
          (block.elements || [])
            .filter((e) => e.type === 'button')
            .map((e) => button(e, block.block_id))
            .join('') +
          '</div>'
        );
      case 'rich_text':
        return '<div class="block rich-text">' + richText(block) + '</div>';
      case 'divider':
        return '<hr>';
      case 'input':
        return inputBlock(block, names);
      default:
        return '<div class="block"><em>(a ' + escapeHtml(block.type) + ' block)</em></div>';
    }
  }

  /** A message as Slack shows it: its blocks when it has them, else its text. */
  function message(msg, names) {
    if (Array.isArray(msg.blocks) && msg.blocks.length > 0)
      return msg.blocks.map((b) => renderBlock(b, names)).join('');
    return '<div class="block">' + mrkdwn(msg.text, names) + '</div>';
  }

  const api = { mrkdwn, renderBlock, message, textObject, escapeHtml };
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.SlackRender = api;
})(this);
