/**
 * One way to build offboard's Lambda functions: Node.js 22 on ARM64, bundled by the locally installed
 * esbuild (no Docker) into minified ESM with code splitting and source maps, an explicit log group with
 * retention, and an explicit role whose only built-in permission is writing to that log group (no
 * managed policy).
 *
 * What is bundled is pinned: the code comes from node_modules as `npm ci` installs it from
 * package-lock.json, and the bundler is the esbuild this package pins to an exact version
 * (`ESBUILD_VERSION`); a different installed esbuild stops the synth.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { AssetHashType, type Duration, RemovalPolicy } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { type BuildOptions, buildSync, version as esbuildVersion } from "esbuild";

/** The monorepo root (holds package-lock.json), found from this file. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** The exact esbuild version offboard bundles with: the `esbuild` dependency of packages/infra. */
export const ESBUILD_VERSION: string =
  (
    JSON.parse(readFileSync(path.join(REPO_ROOT, "packages/infra/package.json"), "utf8")) as {
      devDependencies?: Record<string, string>;
      dependencies?: Record<string, string>;
    }
  ).dependencies?.esbuild ?? "";

/** The version of the esbuild this module bundles with (the one installed). */
export const installedEsbuildVersion = (): string => esbuildVersion;

const assertPinnedEsbuild = () => {
  if (!/^\d+\.\d+\.\d+$/.test(ESBUILD_VERSION)) {
    throw new Error(
      `packages/infra/package.json must pin esbuild to an exact version, got ${JSON.stringify(ESBUILD_VERSION)}`,
    );
  }
  if (esbuildVersion !== ESBUILD_VERSION) {
    throw new Error(
      `esbuild ${esbuildVersion} is installed but offboard bundles with esbuild ${ESBUILD_VERSION}: run \`npm ci\` at the repository root`,
    );
  }
};

/** Lambda entry points in packages/handlers. */
export const HANDLER_ENTRIES = {
  sqsWorker: path.join(REPO_ROOT, "packages/handlers/src/sqs-worker.ts"),
  logStream: path.join(REPO_ROOT, "packages/handlers/src/log-stream/handler.ts"),
} as const;

/**
 * Modules left out of the bundle. better-sqlite3 is a native module used only by the local (CLI) ledger;
 * the Lambda uses the DynamoDB ledger and must never load it. `@aws-sdk/*` comes from the nodejs22.x
 * runtime (CDK's default): bundling it would push the worker past its 1.5 MB budget (1.84 MB measured)
 * and add ~90 ms of compile time to every cold start (docs/performance.md).
 */
export const EXTERNAL_MODULES = ["better-sqlite3", "@aws-sdk/*"];

/** esbuild banner: lets bundled CommonJS dependencies call `require` and use `__dirname` inside ESM. */
export const ESM_REQUIRE_SHIM = [
  "import { createRequire as __offboardCreateRequire } from 'node:module';",
  "import { fileURLToPath as __offboardFileURLToPath } from 'node:url';",
  "import { dirname as __offboardDirname } from 'node:path';",
  "const require = __offboardCreateRequire(import.meta.url);",
  "const __filename = __offboardFileURLToPath(import.meta.url);",
  "const __dirname = __offboardDirname(__filename);",
].join(" ");

/**
 * The esbuild options of a function's bundle (shared with the bundle test and `npm run bench`): ESM for
 * Node 22, minified, external source maps without sources, the AWS SDK and better-sqlite3 external, the
 * createRequire banner, and code splitting: what an entry imports dynamically (each vendor's client,
 * loaded when its sink first delivers) becomes a chunk under `chunks/` that a cold start never reads.
 * CDK's NodejsFunction (aws-cdk-lib 2.276) bundles to a single `--outfile` and cannot split, hence a
 * plain Function with this esbuild build as local bundling.
 */
export const bundleOptions = (entry: string, outdir: string): BuildOptions => ({
  entryPoints: { index: entry },
  outdir,
  bundle: true,
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  outExtension: { ".js": ".mjs" },
  platform: "node",
  format: "esm",
  target: "node22",
  mainFields: ["module", "main"],
  // Bundle the workspace packages from their TypeScript sources (their `development` export condition).
  conditions: ["development"],
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  external: EXTERNAL_MODULES,
  banner: { js: ESM_REQUIRE_SHIM },
  absWorkingDir: REPO_ROOT,
  logLevel: "error",
});

export interface OffboardFunctionProps {
  readonly entry: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize?: number;
  readonly environment?: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** A bundled Node.js 22 function plus its role and log group, exposed as readonly fields. */
export class OffboardFunction extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: OffboardFunctionProps) {
    super(scope, id);
    if (!existsSync(props.entry)) {
      throw new Error(`Lambda entry ${props.entry} does not exist (expected in packages/handlers)`);
    }
    assertPinnedEsbuild();
    this.logGroup = new logs.LogGroup(this, "LogGroup", {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `Execution role of ${props.description}`,
    });
    this.logGroup.grantWrite(this.role);
    const entry = props.entry;
    this.function = new lambda.Function(this, "Function", {
      handler: "index.handler",
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize ?? 256,
      role: this.role,
      logGroup: this.logGroup,
      environment: { NODE_OPTIONS: "--enable-source-maps", ...props.environment },
      code: lambda.Code.fromAsset(path.dirname(entry), {
        // The hash of what was built: a change anywhere in the workspace that reaches the bundle counts.
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Only used if local bundling declined, which it never does: esbuild is a dependency.
          image: lambda.Runtime.NODEJS_22_X.bundlingImage,
          local: {
            tryBundle(outputDir: string) {
              buildSync(bundleOptions(entry, outputDir));
              return true;
            },
          },
        },
      }),
    });
  }
}
