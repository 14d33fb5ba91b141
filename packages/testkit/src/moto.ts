import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createServer as createHttpServer, request as httpRequest, type Server } from "node:http";
import { createServer } from "node:net";
import { afterAll, beforeAll, inject } from "vitest";

/** A running moto_server (a local AWS API emulator) on 127.0.0.1. */
export interface Moto {
  /** `http://127.0.0.1:<port>`: pass it as the AWS SDK client's `endpoint` (or AWS_ENDPOINT_URL). */
  readonly endpoint: string;
  /** Static fake credentials and region that moto accepts. */
  readonly clientConfig: {
    readonly endpoint: string;
    readonly region: string;
    readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  };
  /** Environment variables for a child process (the `offboard` CLI) to reach this moto. */
  readonly env: Readonly<Record<string, string>>;
  /** Wipes all state (moto's reset API), so tests don't see each other's resources. */
  readonly reset: () => Promise<void>;
  readonly stop: () => Promise<void>;
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });

/** Whether `moto_server` is on PATH. */
export const motoAvailable = (): boolean => spawnSync("moto_server", ["--help"], { stdio: "ignore" }).status === 0;

/**
 * A loopback proxy in front of moto that runs DynamoDB requests one at a time. DynamoDB applies a
 * conditional write atomically; moto's threaded server does not (two concurrent UpdateItems can both
 * pass the same condition), which would make the ledger's race tests test moto instead of our code.
 * Every other service (SQS long polls included) passes through concurrently.
 */
const serialisingProxy = async (motoPort: number): Promise<{ server: Server; port: number }> => {
  let chain: Promise<void> = Promise.resolve();
  const server = createHttpServer((req, res) => {
    const forward = () =>
      new Promise<void>((resolve) => {
        let settled = false;
        const done = () => {
          if (!settled) {
            settled = true;
            resolve();
          }
        };
        // The client gave up while this request waited its turn: nothing to forward.
        if (res.destroyed || res.closed) {
          done();
          return;
        }
        const upstream = httpRequest(
          { host: "127.0.0.1", port: motoPort, method: req.method, path: req.url, headers: req.headers },
          (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
            up.on("end", () => done());
            up.on("error", () => done());
          },
        );
        upstream.on("error", (e) => {
          if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
          res.end(`moto proxy: ${e.message}`);
          done();
        });
        // A client that gives up (an aborted SDK call) must not hold the DynamoDB queue forever: its
        // half-sent request would never be answered.
        res.on("close", () => {
          if (!res.writableFinished) upstream.destroy();
          done();
        });
        req.pipe(upstream);
      });
    const target = String(req.headers["x-amz-target"] ?? "");
    if (target.startsWith("DynamoDB_")) chain = chain.then(forward, forward);
    else void forward();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  return { server, port: typeof addr === "object" && addr !== null ? addr.port : 0 };
};

/**
 * Starts moto_server on a free loopback port (behind a proxy that makes DynamoDB writes atomic, as
 * DynamoDB's are) and waits until it answers. Throws a clear error when
 * moto_server is not installed: AWS tests must fail, never skip silently.
 */
export const startMoto = async (): Promise<Moto> => {
  if (!motoAvailable()) {
    throw new Error(
      "moto_server is not on PATH. The AWS tests need it: `pip install 'moto[server]'` (see docs/development.md).",
    );
  }
  const port = await freePort();
  const motoEndpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}: ${stderr}`);
    try {
      const res = await fetch(`${motoEndpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      if (res.status < 500) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`moto_server did not start within 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const proxy = await serialisingProxy(port);
  return motoAt(`http://127.0.0.1:${proxy.port}`, {
    reset: async (endpoint) => {
      await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        proxy.server.closeAllConnections();
        proxy.server.close();
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 3000).unref();
      }),
  });
};

/** A `Moto` for a server (or proxy) already answering at `endpoint`. */
const motoAt = (
  endpoint: string,
  ops: { readonly reset: (endpoint: string) => Promise<void>; readonly stop: () => Promise<void> },
): Moto => {
  const region = "us-east-1";
  const credentials = { accessKeyId: "testing", secretAccessKey: "testing" };
  return {
    endpoint,
    clientConfig: { endpoint, region, credentials },
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
    reset: () => ops.reset(endpoint),
    stop: ops.stop,
  };
};

/** What a vitest `globalSetup` provides to every test file of a run: the endpoint of one shared moto. */
export interface SharedMoto {
  readonly endpoint: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    offboardMoto: SharedMoto;
  }
}

/**
 * A vitest `globalSetup` that starts moto_server once for the whole run (instead of once per file) and
 * provides its endpoint; `useMoto()` then connects to it. Test files share it, so they use names of
 * their own (no `reset`). In a package's vitest config:
 * `globalSetup: ["test/global-setup.ts"]`, that file re-exporting this as its default.
 */
export const motoGlobalSetup = async (project: {
  provide: (key: "offboardMoto", value: SharedMoto) => void;
}): Promise<() => Promise<void>> => {
  const moto = await startMoto();
  project.provide("offboardMoto", { endpoint: moto.endpoint });
  return () => moto.stop();
};

/** The run's shared moto, when a globalSetup provided one. */
const sharedMoto = (): Moto | undefined => {
  const shared = inject("offboardMoto") as SharedMoto | undefined;
  if (shared === undefined) return undefined;
  return motoAt(shared.endpoint, {
    reset: () =>
      Promise.reject(new Error("this moto is shared by every test file of the run: use names of your own, not reset")),
    // The globalSetup stops it after the run.
    stop: async () => {},
  });
};

/** What `useMoto()` hands a test file; read its fields inside tests and hooks (moto starts in `beforeAll`). */
export interface MotoFixture {
  /** The running moto_server. */
  readonly moto: Moto;
  /** An SDK client configured for moto, destroyed after the file: `aws.client((c) => new SQSClient(c))`. */
  readonly client: <C extends { destroy: () => void }>(make: (config: Moto["clientConfig"]) => C) => C;
  /**
   * Points this process's environment at moto (AWS_ENDPOINT_URL, region, fake credentials, plus `extra`)
   * for code that builds its own clients, such as a Lambda entry point; restored after the file.
   */
  readonly useEnv: (extra?: Readonly<Record<string, string>>) => void;
}

/**
 * The one moto setup for a vitest file: connects to the run's shared moto (`motoGlobalSetup`) or else
 * starts moto_server before the file's tests, and after them destroys the clients made through it,
 * restores the environment and stops the server it started.
 */
export const useMoto = (): MotoFixture => {
  let running: Moto | undefined;
  const clients: Array<{ destroy: () => void }> = [];
  let savedEnv: Record<string, string | undefined> | undefined;
  const moto = (): Moto => {
    if (running === undefined) throw new Error("useMoto(): moto is not running yet (use it inside tests or hooks)");
    return running;
  };
  beforeAll(async () => {
    running = sharedMoto() ?? (await startMoto());
  }, 60_000);
  afterAll(async () => {
    for (const c of clients.splice(0)) c.destroy();
    if (savedEnv !== undefined) {
      for (const [k, v] of Object.entries(savedEnv)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      savedEnv = undefined;
    }
    await running?.stop();
    running = undefined;
  });
  return {
    get moto() {
      return moto();
    },
    client: (make) => {
      const c = make(moto().clientConfig);
      clients.push(c);
      return c;
    },
    useEnv: (extra = {}) => {
      const vars = { ...moto().env, ...extra };
      savedEnv ??= {};
      for (const k of Object.keys(vars)) if (!(k in savedEnv)) savedEnv[k] = process.env[k];
      Object.assign(process.env, vars);
    },
  };
};
