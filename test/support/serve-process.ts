import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A `syncwatch serve` running as its own process. */
export interface ServeProcess {
  child: ChildProcess;
  url: string;
}

/**
 * Runs `syncwatch serve` as a real process on a free loopback port with `env` over the
 * test's environment. Tests that start several processes give them longer: on a loaded
 * machine a start (tsx, migrations over HTTP) can take more than a minute.
 */
export async function serveProcess(env: Record<string, string>, startTimeoutMs = 60_000): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', SYNCWATCH_GRPC_PORT: '0', SYNCWATCH_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.resume();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`syncwatch did not start within ${startTimeoutMs / 1000} s: ${out}`)), startTimeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (out.length < 100_000) out += chunk.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    });
    child.on('exit', (code) => reject(new Error(`syncwatch exited (${code}): ${out}`)));
  });
}

/**
 * A TCP proxy on loopback that can be switched off: while down, it has closed every
 * connection it had and refuses new ones at once — a store outage, seen from syncwatch.
 */
export interface ToggleProxy {
  url: string;
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export async function startToggleProxy(target: URL): Promise<ToggleProxy> {
  const open = new Set<net.Socket>();
  let down = false;
  const server = net.createServer((client) => {
    if (down) return void client.destroy();
    const upstream = net.connect(Number(target.port), target.hostname);
    open.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const destroyAll = () => {
    for (const s of open) s.destroy();
  };
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    setDown(value) {
      down = value;
      if (down) destroyAll();
    },
    close: () =>
      new Promise((resolve) => {
        destroyAll();
        server.close(() => resolve());
      }),
  };
}
