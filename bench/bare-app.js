// The floor for the benchmark: a bare Bolt 5 app in HTTP mode that only acks the bot's slash command and Approve
// button, with the same /healthz custom route, talking to the same fake Slack. No store, no AWS, no work after ack.
// Environment: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL, PORT, BENCH_COMMAND, BENCH_ACTION_ID.
const { App, LogLevel } = require('@slack/bolt');

const app = new App({
  token: process.env.SLACK_BOT_TOKEN,
  signingSecret: process.env.SLACK_SIGNING_SECRET,
  clientOptions: { slackApiUrl: process.env.SLACK_API_URL },
  logLevel: LogLevel.INFO,
  customRoutes: [
    {
      path: '/healthz',
      method: ['GET'],
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true }));
      },
    },
  ],
});

app.command(process.env.BENCH_COMMAND || '/cases-access', async ({ ack }) => {
  await ack();
});
app.action(process.env.BENCH_ACTION_ID || 'cases_access_approve', async ({ ack }) => {
  await ack();
});

app.start(Number(process.env.PORT || 0)).then(
  (server) => {
    process.stdout.write(`${JSON.stringify({ message: 'bare app started', port: server.address().port })}\n`);
    const stop = () => app.stop().then(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  },
  (error) => {
    process.stderr.write(`bare app failed to start: ${error && error.message}\n`);
    process.exit(1);
  },
);
