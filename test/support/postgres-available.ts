import { execFileSync } from 'node:child_process';
import { underCi } from './ci';

/**
 * The PostgreSQL test files need a server (.ci/run makes sure one answers at 127.0.0.1:5432; TEST_DATABASE_URL
 * points elsewhere). Without one, a file is skipped with a hint, unless CI is set: then it runs, and fails.
 */

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** The URL without its password, for messages. */
export function redacted(url: string): string {
  const u = new URL(url);
  if (u.password !== '') u.password = '***';
  return u.toString();
}

/**
 * Whether something accepts TCP connections at the server's address, asked synchronously (in a child process, for
 * at most 3 s) so that a suite can be skipped when it is absent; its beforeAll then checks that it is PostgreSQL.
 */
function serverAnswers(url: string): boolean {
  const u = new URL(url);
  const target = { host: u.hostname || '127.0.0.1', port: Number(u.port || 5432) };
  const probe = `const s=require('node:net').connect(${JSON.stringify(target)});s.setTimeout(2000);s.on('connect',()=>process.exit(0));s.on('error',()=>process.exit(1));s.on('timeout',()=>process.exit(1));`;
  try {
    execFileSync(process.execPath, ['-e', probe], { stdio: 'ignore', timeout: 3000 });
    return true;
  } catch {
    return false;
  }
}

/** `describe` when the file's tests should run, `describe.skip` (after saying why on stderr) when they should not. */
export function postgresSuite(
  file: string,
  url: string = TEST_DATABASE_URL,
): { suite: jest.Describe; runs: boolean } {
  const runs = underCi || serverAnswers(url);
  if (!runs)
    process.stderr.write(
      `${file} SKIPPED: PostgreSQL is not reachable at ${redacted(url)}. ` +
        'Start it (.ci/run does) or point TEST_DATABASE_URL at one; with CI set this file fails instead.\n',
    );
  return { suite: runs ? describe : describe.skip, runs };
}
