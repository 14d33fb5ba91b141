import { Context, Effect, Layer } from "effect";
import type { Employee } from "../domain/hris.ts";
import type { HrisError } from "../errors.ts";

/** The HR system's directory. Adapters only fetch; `judgeHris` in the core decides drift. */
export class HrisDirectory extends Context.Service<
  HrisDirectory,
  {
    /** False when no HR system is configured: alerts then say "not configured" rather than "not found". */
    readonly configured: boolean;
    /** The employee with this work email, or undefined when HR has none. */
    readonly findByEmail: (email: string) => Effect.Effect<Employee | undefined, HrisError>;
  }
>()("offboard/HrisDirectory") {
  /** No HR system configured: every check says "not configured". */
  static readonly none = Layer.succeed(HrisDirectory, {
    configured: false,
    findByEmail: () => Effect.succeed(undefined),
  });
  /** A fixed directory, for tests and local replays. */
  static readonly inMemory = (employees: ReadonlyArray<Employee>) => {
    const byEmail = new Map(employees.map((e) => [e.email.toLowerCase(), e] as const));
    return Layer.succeed(HrisDirectory, {
      configured: true,
      findByEmail: (email: string) => Effect.succeed(byEmail.get(email.toLowerCase())),
    });
  };
}
