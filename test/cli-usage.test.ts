/** With no arguments the CLI prints one short usage line on stderr and exits 2; --help still prints everything. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '../src/cli';

describe('cases-access with no arguments', () => {
  it('prints a short usage line on stderr, nothing on stdout, and exits 2', async () => {
    let out = '';
    let err = '';
    const code = await runCli([], { out: (t) => (out += t), err: (t) => (err += t) }, {});
    expect([code, out]).toEqual([2, '']);
    expect(err).toBe(
      'usage: cases-access <policy|bot-policy|audit> … (cases-access --help lists every command and option)\n',
    );
  });

  it('the built bin does the same', async () => {
    const bin = join(__dirname, '../dist/cli.js');
    await expect(promisify(execFile)(process.execPath, [bin])).rejects.toMatchObject({
      code: 2,
      stdout: '',
      stderr: expect.stringMatching(/^usage: cases-access .*\n$/),
    });
  });
});
