// A stand-in for the Lambda runtime, run by the bundle test under the runtime's Node (22): imports the
// handler module named on the command line, then handles one invocation per line of standard input
// ({ id, event, context }) and answers each with one line on stdout prefixed with LAMBDA_REPLY (other
// output, such as logs, passes through).
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

const reply = (message) => process.stdout.write(`LAMBDA_REPLY ${JSON.stringify(message)}\n`);
const mod = await import(pathToFileURL(process.argv[2]).href);
reply({ ready: true, node: process.version });
for await (const line of createInterface({ input: process.stdin })) {
  const { id, event, context } = JSON.parse(line);
  try {
    const result = await mod.handler(event, { ...context, getRemainingTimeInMillis: () => 60_000 });
    reply({ id, result });
  } catch (e) {
    reply({ id, error: String(e?.stack ?? e) });
  }
}
