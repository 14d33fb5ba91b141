/**
 * The adapters' entry points follow their folders: a vendor folder with an index.ts is a subpath export
 * (`@offboard/adapters/<folder>`), so a sink author imports one vendor without the others' SDK types.
 * A new vendor folder that is not exported fails here, naming the line to add to package.json.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const adapters = join(here, "../../adapters");
const manifest = JSON.parse(readFileSync(join(adapters, "package.json"), "utf8")) as {
  exports: Record<string, string | Record<string, string>>;
};

const entry = (path: string) => ({
  development: `./src/${path}.ts`,
  types: `./dist/${path}.d.ts`,
  default: `./dist/${path}.js`,
});

describe("@offboard/adapters entry points", () => {
  it("export every vendor folder that has an index.ts, with the development, types and default conditions", () => {
    const folders = readdirSync(join(adapters, "src"), { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(adapters, "src", d.name, "index.ts")))
      .map((d) => d.name);

    expect(folders.length).toBeGreaterThan(0);
    for (const folder of folders) expect(manifest.exports[`./${folder}`], folder).toEqual(entry(`${folder}/index`));
  });

  it("point every condition of every subpath at a source file that exists", () => {
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (typeof target === "string") continue;
      expect(existsSync(join(adapters, target.development ?? "")), subpath).toBe(true);
    }
  });
});
