import { demoRefusals } from './safety';
import { startDemo } from './server';

/** `npm run demo`: the whole flow on this machine, with fake Slack and fake AWS. */

async function main(): Promise<void> {
  const host = process.env.DEMO_HOST?.trim() || '127.0.0.1';
  const port = Number(process.env.DEMO_PORT ?? 3535);
  const refusals = demoRefusals(process.env, host);
  if (refusals.length > 0) {
    process.stderr.write(`The demo did not start:\n${refusals.map((r) => `  - ${r}`).join('\n')}\n`);
    process.exitCode = 2;
    return;
  }
  const verbose = process.env.DEMO_LOG === '1';
  const demo = await startDemo({
    host,
    port,
    logLine: verbose ? (line) => process.stdout.write(line.endsWith('\n') ? line : `${line}\n`) : undefined,
  });
  process.stdout.write(
    `cases-access demo: open ${demo.url}\n` +
      'The real bot runs against a fake Slack and an emulated AWS account on this machine; nothing leaves it.\n' +
      `DEMO_LOG=1 shows the bot's log. Ctrl-C stops the demo and deletes its database.\n`,
  );
  const stop = () => {
    void demo.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`The demo did not start: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
