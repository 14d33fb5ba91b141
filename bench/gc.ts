/** A `gc()` function without `--expose-gc` on the command line (so `npm run bench` needs no node flags). */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose-gc");
export const gc = runInNewContext("gc") as () => void;
