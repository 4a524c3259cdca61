/* The demo page: draws what the bot sent (polling /api/state) and sends what people do to /api/*. */
(function () {
  'use strict';
  const R = window.SlackRender;
  const $ = (id) => document.getElementById(id);
  let state;
  let me;
  const drawn = {};
  const names = {};

  async function post(path, body) {
    const res = await fetch('/api/' + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(json.error || 'HTTP ' + res.status);
    return json;
  }

  /** Replaces an element's content only when what it shows changed (keeps focus, selection and open details). */
  function draw(id, html) {
    if (drawn[id] === html) return false;
    drawn[id] = html;
    $(id).innerHTML = html;
    return true;
  }

  const time = (at) => new Date(at).toLocaleTimeString();
  const anchor = (ts) => 'm-' + ts.replace('.', '-');

  function messageHtml(m, who, extra) {
    return (
      '<article class="message" id="' +
      anchor(m.ts || String(m.at)) +
      '" data-ts="' +
      R.escapeHtml(m.ts || '') +
      '">' +
      '<div class="meta"><b>' +
      R.escapeHtml(who) +
      '</b> ' +
      time(m.at) +
      (m.edited ? ' <span class="edited">(edited)</span>' : '') +
      '</div>' +
      R.message(m, names) +
      (extra || '') +
      '</article>'
    );
  }

  function drawPeople() {
    draw(
      'people',
      state.people
        .map(
          (p) =>
            '<button type="button" class="person" role="radio" data-person="' +
            p.id +
            '" aria-checked="' +
            (p.id === me) +
            '">' +
            R.escapeHtml(p.name) +
            ' <small>' +
            R.escapeHtml(p.role) +
            '</small></button>',
        )
        .join(''),
    );
  }

  function drawChannel() {
    const html = state.slack.channel
      .map((m) => {
        const replies = m.replies.length
          ? '<div class="thread" aria-label="thread">' +
            m.replies.map((r) => messageHtml(r, 'cases-access')).join('') +
            '</div>'
          : '';
        return messageHtml(m, 'cases-access', replies);
      })
      .join('');
    draw('channel', html || '<p class="empty">No messages yet: send a request as Riya.</p>');
  }

  function drawPrivate() {
    const person = state.people.find((p) => p.id === me);
    $('private-title').textContent =
      'Only ' + person.name + ' can see (replies to their commands, direct messages)';
    const items = state.slack.privately[me] || [];
    const html = items
      .map((item) => {
        if (item.kind === 'you typed')
          return (
            '<article class="message typed"><div class="meta"><b>' +
            R.escapeHtml(person.name) +
            '</b> ' +
            time(item.at) +
            '</div><code>' +
            R.escapeHtml(item.text) +
            '</code></article>'
          );
        const who =
          item.kind === 'direct message'
            ? 'cases-access (direct message)'
            : 'cases-access (only visible to you)';
        return messageHtml(item, who);
      })
      .join('');
    draw('private', html || '<p class="empty">Nothing yet.</p>');
  }

  function drawRoles() {
    const html = state.roles
      .map((role) => {
        const inline = role.inline.length
          ? role.inline
              .map(
                (p) =>
                  '<li><details><summary><code>' +
                  R.escapeHtml(p.name) +
                  '</code></summary><pre>' +
                  R.escapeHtml(pretty(p.document)) +
                  '</pre></details></li>',
              )
              .join('')
          : '<li class="none">none</li>';
        const attached = role.attached.length
          ? role.attached
              .map(
                (a) =>
                  '<li><code>' + R.escapeHtml(a.replace(/^arn:aws:iam::aws:policy\//, '')) + '</code></li>',
              )
              .join('')
          : '<li class="none">none</li>';
        return (
          '<div class="role" data-role="' +
          R.escapeHtml(role.arn) +
          '"><div class="arn">' +
          R.escapeHtml(role.arn) +
          '</div>Inline policies<ul class="inline-policies">' +
          inline +
          '</ul>Attached managed policies<ul class="attached-policies">' +
          attached +
          '</ul></div>'
        );
      })
      .join('');
    if (draw('roles', html)) for (const el of document.querySelectorAll('.role')) el.classList.add('changed');
  }

  function pretty(text) {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      return text;
    }
  }

  function drawDialog() {
    const dialog = state.slack.dialogs.filter((d) => d.user === me).at(-1);
    const layer = $('dialog-layer');
    if (!dialog) {
      layer.hidden = true;
      draw('dialog-layer', '');
      return;
    }
    const v = dialog.view;
    const person = state.people.find((p) => p.id === me);
    const submit = v.submit
      ? '<button type="submit" class="btn primary">' + R.escapeHtml(v.submit.text) + '</button>'
      : '';
    const html =
      '<form class="modal" role="dialog" aria-label="' +
      R.escapeHtml(v.title ? v.title.text : '') +
      '" data-key="' +
      dialog.key +
      '">' +
      '<h3>' +
      R.escapeHtml(v.title ? v.title.text : '') +
      '</h3><div class="for">A dialog the bot opened for ' +
      R.escapeHtml(person.name) +
      '</div>' +
      (v.blocks || []).map((b) => R.renderBlock(b, names)).join('') +
      '<div class="error" data-error-for=""></div><div class="buttons"><button type="button" class="btn" data-close>' +
      R.escapeHtml(v.close ? v.close.text : 'Close') +
      '</button>' +
      submit +
      '</div></form>';
    if (draw('dialog-layer', html)) layer.hidden = false;
  }

  function render() {
    drawPeople();
    drawChannel();
    drawPrivate();
    drawRoles();
    drawDialog();
  }

  async function refresh() {
    try {
      const res = await fetch('/api/state');
      state = await res.json();
      if (!me) init();
      render();
    } catch (e) {
      console.warn('refresh failed', e);
    }
  }

  function init() {
    me = state.people[0].id;
    for (const p of state.people) names[p.id] = p.name;
    $('account').textContent = 'account ' + state.account;
    $('channel-name').textContent = '#' + state.channel.name;
    $('allowed').innerHTML =
      'Roles the bot may grant (ALLOWED_ROLES): ' +
      state.allowedRoles.map((r) => '<code>' + R.escapeHtml(r) + '</code>').join(', ');
    const examples = [
      'onboard connect-admins migrating to Cases',
      'view connect-agents --managed --for 8h',
      'onboard billing-admins',
      'status',
      'help',
      '',
    ];
    $('examples').innerHTML = examples
      .map(
        (e) =>
          '<li><a data-example="' +
          R.escapeHtml(e) +
          '">/cases-access ' +
          R.escapeHtml(e || '(alone: a dialog)') +
          '</a></li>',
      )
      .join('');
  }

  document.addEventListener('click', async (event) => {
    const target = event.target.closest('[data-person],[data-example],button[data-action-id],[data-close]');
    if (!target) return;
    if (target.dataset.person) {
      me = target.dataset.person;
      return render();
    }
    if (target.dataset.example !== undefined) {
      $('command').value = target.dataset.example;
      return $('command').focus();
    }
    if (target.hasAttribute('data-close')) {
      await post('closeDialog', { key: Number(target.closest('form').dataset.key) });
      return refresh();
    }
    const msg = target.closest('article[data-ts]');
    if (!msg || !msg.dataset.ts) return;
    if (target.dataset.confirm) {
      const c = JSON.parse(target.dataset.confirm);
      if (!window.confirm((c.title ? c.title.text + '\n\n' : '') + (c.text ? c.text.text : ''))) return;
    }
    target.disabled = true;
    try {
      await post('click', {
        user: me,
        channel: state.channel.id,
        ts: msg.dataset.ts,
        actionId: target.dataset.actionId,
        blockId: target.dataset.blockId,
        value: target.dataset.value,
      });
    } finally {
      target.disabled = false;
    }
    refresh();
  });

  $('command-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = $('command');
    const text = input.value;
    input.value = '';
    await post('command', { user: me, text });
    refresh();
  });

  $('dialog-layer').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const values = {};
    for (const el of form.querySelectorAll('[data-action-id]')) {
      if (el.tagName === 'BUTTON') continue;
      const block = (values[el.dataset.blockId] = values[el.dataset.blockId] || {});
      if (el.dataset.type === 'radio_buttons') {
        if (el.checked)
          block[el.dataset.actionId] = { type: 'radio_buttons', selected_option: { value: el.value } };
        else if (!block[el.dataset.actionId])
          block[el.dataset.actionId] = { type: 'radio_buttons', selected_option: null };
      } else {
        block[el.dataset.actionId] = { type: 'plain_text_input', value: el.value === '' ? null : el.value };
      }
    }
    for (const slot of form.querySelectorAll('[data-error-for]')) slot.textContent = '';
    const { errors } = await post('submit', { user: me, key: Number(form.dataset.key), values });
    for (const [blockId, text] of Object.entries(errors)) {
      const slot =
        form.querySelector('[data-error-for="' + CSS.escape(blockId) + '"]') ||
        form.querySelector('[data-error-for=""]');
      slot.textContent = text;
    }
    if (Object.keys(errors).length === 0) refresh();
  });

  refresh();
  setInterval(refresh, 1000);
})();
