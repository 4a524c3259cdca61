/** The demo page's renderer shows the bot's mrkdwn and Block Kit as Slack does, and never lets text become markup. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const render = require('../../demo/static/mrkdwn.js') as {
  mrkdwn(text: string, names?: Record<string, string>): string;
  renderBlock(block: unknown, names?: Record<string, string>): string;
};

describe('the demo page renderer', () => {
  it('renders bold, code, code blocks, mentions, links and dates', () => {
    expect(render.mrkdwn('*Role*\n`arn:aws:iam::1:role/x`')).toBe(
      '<b>Role</b><br><code>arn:aws:iam::1:role/x</code>',
    );
    expect(render.mrkdwn('```a *b*```')).toBe('<pre>a *b*</pre>');
    expect(render.mrkdwn('by <@UDEMOANA>', { UDEMOANA: 'Ana' })).toBe('by <span class="mention">@Ana</span>');
    expect(render.mrkdwn('<https://x.test/a|the card>')).toBe(
      '<a href="https://x.test/a" target="_blank" rel="noopener noreferrer">the card</a>',
    );
    expect(render.mrkdwn('<!date^1700000000^{time}|2023-11-14T22:13:20Z>')).toMatch(
      /^<time title="2023-11-14T22:13:20Z">.+<\/time>$/,
    );
  });

  it('shows Slack escapes as the characters and escapes anything else', () => {
    expect(render.mrkdwn('R&amp;D -&gt; &lt;OPS-12&gt;')).toBe('R&amp;D -&gt; &lt;OPS-12&gt;');
    expect(render.mrkdwn('<img src=x onerror=alert(1)>')).toBe('&lt;img src=x onerror=alert(1)&gt;');
    expect(render.mrkdwn('a & b "c"')).toBe('a &amp; b &quot;c&quot;');
    expect(render.mrkdwn('<javascript:alert(1)|click>')).not.toContain('href');
  });

  it('renders plain text, buttons and preformatted rich text escaped', () => {
    const header = render.renderBlock({ type: 'header', text: { type: 'plain_text', text: '<b>' } });
    expect(header).toContain('&lt;b&gt;');
    const actions = render.renderBlock({
      type: 'actions',
      block_id: 'decision.1',
      elements: [
        {
          type: 'button',
          action_id: 'approve',
          value: 'CA-1',
          style: 'primary',
          text: { type: 'plain_text', text: 'Approve' },
        },
      ],
    });
    expect(actions).toContain('data-action-id="approve"');
    expect(actions).toContain('class="btn primary"');
    const policy = render.renderBlock({
      type: 'rich_text',
      elements: [{ type: 'rich_text_preformatted', elements: [{ type: 'text', text: '{"a": "<x>"}' }] }],
    });
    expect(policy).toBe(
      '<div class="block rich-text"><pre>{&quot;a&quot;: &quot;&lt;x&gt;&quot;}</pre></div>',
    );
  });
});
