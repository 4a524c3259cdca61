import { execFile, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { BotTracker, botEnv, isolatedEnv, requireBuiltBot } from '../support/bot-process';
import { startFakeSlack } from '../support/fake-slack';
import type { FakeSlack } from '../support/fake-slack';
import { freePort } from '../support/free-port';
import { startIamEmulator } from '../support/iam-emulator';
import type { IamEmulator } from '../support/iam-emulator';
import { postSigned, slashCommandBody } from '../support/slack-requests';

/**
 * The Dockerfile, checked without a Docker engine (none runs here or in CI): its key properties, a linter when one
 * is on PATH, and what its runtime stage does, done for real outside Docker. In a temporary directory standing for
 * the stage's WORKDIR: the files the stage copies from the build context, the stage's own `npm ci --omit=dev …`
 * command taken from the Dockerfile and run with the stage's ENV (a real production install from the registry;
 * better-sqlite3 compiles from source here, which takes a minute or two), the compiled dist/ that the stage copies
 * from the build stage, then the stage's CMD started with a full environment against the fake Slack and the IAM
 * emulator: /healthz, the HEALTHCHECK command itself, a signed command answered, the SQLite file in the data
 * volume's directory, a clean stop on SIGTERM. And nothing from devDependencies in that node_modules.
 *
 * `npm test` builds dist/ first; run `npm run build` before running this file alone.
 */

const ROOT = resolve(__dirname, '../..');
const DOCKERFILE = join(ROOT, 'Dockerfile');
const ACCOUNT = '111122223333';
const SIGNING_SECRET = 'runtime-install-signing-secret-0123';
const BOT_TOKEN = 'xoxb-runtime-install-bot-token';

// -----------------------------------------------------------------------------------------------------------------
// A small Dockerfile reader: comments, line continuations, stages, `ARG` defaults before the first FROM.

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

function readDockerfile(text: string): { globalArgs: Record<string, string>; stages: Stage[] } {
  const instructions: Instruction[] = [];
  let pending = '';
  let startLine = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    // Comment lines are dropped, also inside a continued instruction (as Docker does).
    if (/^\s*#/.test(line)) return;
    if (pending === '') {
      if (line.trim() === '') return;
      startLine = index + 1;
    }
    const continued = /\\\s*$/.test(line);
    pending += `${continued ? line.replace(/\\\s*$/, '') : line} `;
    if (continued) return;
    const match = /^\s*(\S+)\s*(.*)$/s.exec(pending.trim())!;
    instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: startLine });
    pending = '';
  });
  if (pending !== '') throw new Error('the Dockerfile ends inside a continued line');

  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--platform='));
      const image = words[0]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a?: string, b?: string) => {
        const value = globalArgs[(a ?? b)!];
        if (value === undefined) throw new Error(`line ${ins.line}: ${a ?? b} has no default`);
        return value;
      });
      const stage: Stage = { image, instructions: [] };
      if (words[1]?.toUpperCase() === 'AS') stage.name = words[2];
      stages.push(stage);
    } else if (stages.length === 0) {
      if (ins.keyword !== 'ARG') throw new Error(`line ${ins.line}: only ARG may come before the first FROM`);
      const [name, value] = ins.args.split('=', 2);
      if (value !== undefined) globalArgs[name!.trim()] = value.trim();
    } else {
      stages.at(-1)!.instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

const all = (stage: Stage, keyword: string): Instruction[] =>
  stage.instructions.filter((i) => i.keyword === keyword);

/** The JSON-array (exec) form's words, or undefined for the shell form. */
function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  const words = JSON.parse(args) as unknown;
  if (!Array.isArray(words) || !words.every((w) => typeof w === 'string'))
    throw new Error(`not a JSON array of strings: ${args}`);
  return words;
}

/** `KEY=value` pairs of ENV instructions (the form this Dockerfile uses). */
function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of all(stage, 'ENV'))
    for (const [, key, value] of ins.args.matchAll(/(\w+)=("[^"]*"|\S+)/g))
      env[key!] = value!.replace(/^"|"$/g, '');
  return env;
}

/** The `&&`-separated commands of a stage's RUN instructions (shell form). */
const commandsOf = (stage: Stage): string[] =>
  all(stage, 'RUN').flatMap((ins) => ins.args.split('&&').map((c) => c.trim().replace(/\s+/g, ' ')));

/** COPY's sources and destination, and its --from. */
function copies(stage: Stage): Array<{ from?: string; sources: string[]; dest: string; chown?: string }> {
  return all(stage, 'COPY').map((ins) => {
    const words = ins.args.split(/\s+/);
    const flags = words.filter((w) => w.startsWith('--'));
    const rest = words.filter((w) => !w.startsWith('--'));
    const flag = (name: string) => flags.find((f) => f.startsWith(`--${name}=`))?.split('=')[1];
    return { from: flag('from'), chown: flag('chown'), sources: rest.slice(0, -1), dest: rest.at(-1)! };
  });
}

function localBin(command: string): string | undefined {
  const candidate = join(ROOT, 'node_modules', '.bin', command);
  return existsSync(candidate) ? candidate : undefined;
}

const dockerfile = readDockerfile(readFileSync(DOCKERFILE, 'utf8'));
const runtime = dockerfile.stages.at(-1)!;
const build = dockerfile.stages.find(
  (s) => s.name !== undefined && copies(runtime).some((c) => c.from === s.name),
);

// =================================================================================================================

describe('the Dockerfile', () => {
  it('is multi-stage, every stage on a supported Node LTS slim image (22 or 24; Node 20 is past its end of life)', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of dockerfile.stages)
      expect(stage.image).toMatch(/^node:(22|24)(\.\d+){0,2}-(bookworm|trixie)-slim$/);
    // Build and run on the same Node: a native addon compiled in one must load in the other.
    expect(new Set(dockerfile.stages.map((s) => s.image)).size).toBe(1);
  });

  it('builds in a stage of its own: all dependencies, then the compiler', () => {
    expect(build).toBeDefined();
    const commands = commandsOf(build!);
    const ci = commands.findIndex((c) => /^npm ci\b/.test(c));
    expect(ci).toBeGreaterThanOrEqual(0);
    expect(commands[ci]).not.toMatch(/--omit=dev|--production/);
    expect(commands.indexOf('npm run build')).toBeGreaterThan(ci);
    // The toolchain better-sqlite3 needs when no prebuilt binary fits.
    expect(commands.join('\n')).toMatch(/apt-get install .*python3.*make.*g\+\+/);
  });

  it('runtime stage: production dependencies only, the built dist/, NODE_ENV=production, WORKDIR /app', () => {
    const commands = commandsOf(runtime);
    const installs = commands.filter((c) => /^npm (ci|install|i)\b/.test(c));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/^npm ci\b.* --omit=dev\b/);
    expect(envOf(runtime)).toMatchObject({ NODE_ENV: 'production' });
    expect(all(runtime, 'WORKDIR').at(-1)?.args).toBe('/app');
    const fromBuild = copies(runtime).filter((c) => c.from !== undefined);
    expect(fromBuild).toEqual([
      expect.objectContaining({ from: build!.name, sources: ['/app/dist'], dest: './dist' }),
    ]);
    // Nothing but the manifests comes from the context: no sources, no tests, no .env.
    const fromContext = copies(runtime).filter((c) => c.from === undefined);
    expect(fromContext.flatMap((c) => c.sources).sort()).toEqual(['package-lock.json', 'package.json']);
    // The toolchain does not stay in the image.
    expect(commands.some((c) => /^apt-get purge\b.*python3.*make.*g\+\+/.test(c))).toBe(true);
  });

  it('runs as the non-root `node` user, with a volume for the SQLite file, port 3000 and `node dist/index.js`', () => {
    const users = all(runtime, 'USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)!.args).toBe('node');
    expect(users.at(-1)!.args).not.toMatch(/^(root|0)(:|$)/);
    // USER comes before CMD, so the bot never runs as root.
    expect(users.at(-1)!.line).toBeLessThan(all(runtime, 'CMD').at(-1)!.line);
    const volumes = all(runtime, 'VOLUME').flatMap((v) => execForm(v.args) ?? v.args.split(/\s+/));
    expect(volumes).toContain('/app/data');
    // The volume's directory exists and belongs to `node` before VOLUME, or Docker creates it owned by root.
    expect(commandsOf(runtime)).toContain('chown node:node /app/data');
    expect(all(runtime, 'EXPOSE').map((e) => e.args)).toContain('3000');
    expect(execForm(all(runtime, 'CMD').at(-1)!.args)).toEqual(['node', 'dist/index.js']);
  });

  it('has a HEALTHCHECK on /healthz that needs nothing but node (slim images have no curl)', () => {
    const checks = all(runtime, 'HEALTHCHECK');
    expect(checks).toHaveLength(1);
    const command = execForm(checks[0]!.args.replace(/^(--\S+\s+)*CMD\s+/, ''));
    expect(command?.[0]).toBe('node');
    expect(command!.join(' ')).toContain('/healthz');
    expect(command!.join(' ')).not.toMatch(/curl|wget/);
    expect(checks[0]!.args).toMatch(/--timeout=\d+s/);
  });

  it('.dockerignore keeps local state, secrets and build output out of the context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    for (const entry of [
      'node_modules',
      'dist',
      'data',
      '.git',
      '.env',
      'coverage',
      'dist-bench',
      '.ci-results.json',
    ])
      expect(ignored).toContain(entry);
  });

  // dockerfile-utils (the VS Code Docker extension's linter) is a devDependency, so this runs everywhere. hadolint
  // is in neither Debian's packages nor the npm registry (the npm package "hadolint" only wraps the binary).
  it('passes dockerfile-utils, the Dockerfile linter from the npm registry', async () => {
    const bin = localBin('dockerfile-utils');
    expect(bin).toBeDefined();
    const { stdout } = await promisify(execFile)(bin!, ['lint', DOCKERFILE]).catch(
      (e: { stdout?: string; stderr?: string }) => {
        throw new Error(`dockerfile-utils found problems:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
      },
    );
    expect(stdout.trim()).toBe('');
  });
});

// =================================================================================================================

describe('the runtime stage, run outside Docker', () => {
  let slack: FakeSlack;
  let iam: IamEmulator;
  let app: string; // stands for the stage's WORKDIR
  let installSeconds = 0;
  const bots = new BotTracker();

  beforeAll(async () => {
    requireBuiltBot();
    app = mkdtempSync(join(tmpdir(), 'cases-access-runtime-'));
    // COPY package.json package-lock.json ./
    for (const copy of copies(runtime).filter((c) => c.from === undefined))
      for (const source of copy.sources) cpSync(join(ROOT, source), join(app, source), { recursive: true });

    // RUN … npm ci --omit=dev --no-audit --no-fund … with the stage's ENV. The apt-get steps install the toolchain
    // this machine already has; `npm cache clean` would empty this machine's cache, so it is not run here.
    const install = commandsOf(runtime).find((c) => /^npm ci\b/.test(c))!;
    const [command, ...args] = install.split(' ');
    const started = Date.now();
    const result = await new Promise<{ code: number | null; output: string }>((resolveRun) => {
      const child = spawn(command!, args, {
        cwd: app,
        env: { ...process.env, ...envOf(runtime) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
      child.once('close', (code) => resolveRun({ code, output }));
    });
    installSeconds = (Date.now() - started) / 1000;
    if (result.code !== 0)
      throw new Error(`\`${install}\` failed (exit ${result.code}):\n${result.output.slice(-5000)}`);
    process.stdout.write(`runtime-install: \`${install}\` took ${installSeconds.toFixed(1)} s\n`);

    // COPY --from=build /app/dist ./dist, and the data directory the VOLUME is mounted on.
    cpSync(join(ROOT, 'dist'), join(app, 'dist'), { recursive: true });
    mkdirSync(join(app, 'data'));
    slack = await startFakeSlack();
    iam = await startIamEmulator({ accountId: ACCOUNT });
  }, 480_000);

  afterAll(async () => {
    await bots.killAll();
    await slack?.close();
    await iam?.close();
    if (app) rmSync(app, { recursive: true, force: true });
  });

  it('installs the dependencies and none of the devDependencies', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const installed = (name: string) => existsSync(join(app, 'node_modules', name, 'package.json'));
    for (const name of Object.keys(pkg.dependencies))
      expect({ name, installed: installed(name) }).toEqual({ name, installed: true });
    // Every package the lock marks as needed only for development is absent (a devDependency that a production
    // dependency needs too, such as @types/node for @slack/bolt, is not marked so and is rightly there).
    const projectLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.entries(projectLock.packages)
      .filter(([key, p]) => p.dev && /^node_modules\/(@[^/]+\/)?[^/]+$/.test(key))
      .map(([key]) => key.slice('node_modules/'.length));
    expect(devOnly.length).toBeGreaterThan(100);
    expect(devOnly.filter(installed)).toEqual([]);
    for (const name of Object.keys(pkg.devDependencies))
      if (devOnly.includes(name))
        expect({ name, installed: installed(name) }).toEqual({ name, installed: false });
    // Named, since they matter most: the test runner, the compiler, and the AGPL simulator that must never ship.
    for (const name of ['jest', 'typescript', '@cloud-copilot/iam-simulate', '@swc/core', 'eslint'])
      expect(installed(name)).toBe(false);
    expect(existsSync(join(app, 'node_modules', '.bin', 'tsc'))).toBe(false);
    // better-sqlite3's install script ran (npm 10 runs it by default; npm 11 because package.json allows it).
    expect(
      existsSync(join(app, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')),
    ).toBe(true);
    const lock = JSON.parse(readFileSync(join(app, 'node_modules', '.package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    expect(
      Object.entries(lock.packages)
        .filter(([, p]) => p.dev)
        .map(([k]) => k),
    ).toEqual([]);
  });

  it('starts with CMD, is healthy (also by its HEALTHCHECK command), answers a signed command, keeps SQLite in data/, stops on SIGTERM', async () => {
    const port = await freePort();
    const [cmd, ...cmdArgs] = execForm(all(runtime, 'CMD').at(-1)!.args)!;
    const home = join(app, 'home');
    mkdirSync(home, { recursive: true });
    const env: NodeJS.ProcessEnv = {
      ...isolatedEnv(home),
      ...envOf(runtime),
      // As `docker run --env-file .env` would give it; DATABASE_URL left to its default (the volume).
      ...botEnv({
        slack,
        iam,
        port,
        account: ACCOUNT,
        botToken: BOT_TOKEN,
        signingSecret: SIGNING_SECRET,
        approvalChannel: 'CAPPROVALS',
        approvers: 'UAPPROVER1',
      }),
    };
    const bot = bots.spawn({
      command: cmd === 'node' ? process.execPath : cmd!,
      args: cmdArgs,
      cwd: app,
      env,
    });
    await bot.waitHealthy(port, 20_000);

    // The Dockerfile's own HEALTHCHECK command, as Docker would run it inside the container.
    const check = execForm(all(runtime, 'HEALTHCHECK')[0]!.args.replace(/^(--\S+\s+)*CMD\s+/, ''))!;
    const runCheck = () =>
      spawnSync(process.execPath, check.slice(1), {
        env: { PATH: process.env.PATH, PORT: String(port) },
        timeout: 10_000,
      });
    expect(runCheck().status).toBe(0);

    const res = await postSigned(
      `http://127.0.0.1:${port}/slack/events`,
      slashCommandBody({
        text: 'help',
        userId: 'UREQUESTER',
        responseUrl: slack.responseUrl('runtime-help'),
      }),
      SIGNING_SECRET,
    );
    expect(res.status).toBe(200);
    // Help comes back in the ack itself; `status` goes through the database and the response_url.
    expect(String((res.json as { text?: string }).text)).toMatch(/^\/cases-access help$/m);
    const status = await postSigned(
      `http://127.0.0.1:${port}/slack/events`,
      slashCommandBody({
        text: 'status',
        userId: 'UREQUESTER',
        responseUrl: slack.responseUrl('runtime-status'),
      }),
      SIGNING_SECRET,
    );
    expect(status.status).toBe(200);
    const answer = await slack.waitForCall(
      'response_url',
      (c) => c.responseUrlId === 'runtime-status',
      10_000,
    );
    expect(String(answer.args.text)).toMatch(/no cases-access requests yet/);
    expect(existsSync(join(app, 'data', 'cases-access.db'))).toBe(true);

    expect(await bot.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(bot.output()).toContain('"message":"cases-access started"');
    expect(bot.output()).toContain('"message":"cases-access stopped"');
    expect(bot.output()).not.toContain(SIGNING_SECRET);
    // Unhealthy once it has stopped.
    expect(runCheck().status).toBe(1);
  });
});
