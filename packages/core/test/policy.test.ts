import { Result } from "effect";
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY, parsePolicy, parsePolicyJson } from "../src/index.ts";

const failure = (r: Result.Result<unknown, { message: string }>) =>
  Result.isFailure(r) ? r.failure.message : "(succeeded)";

describe("the routing policy", () => {
  it("is the default when nothing is given", () => {
    const r = parsePolicy({});
    expect(Result.isSuccess(r) && r.success).toEqual(DEFAULT_POLICY);
  });

  it("merges given routes onto the defaults", () => {
    const r = parsePolicy({ routes: { suspended: ["slack", "jira"] }, ignoreActors: ["svc@example.com"] });
    expect(Result.isSuccess(r) && r.success.routes).toEqual({ ...DEFAULT_POLICY.routes, suspended: ["slack", "jira"] });
    expect(Result.isSuccess(r) && r.success.ignoreActors).toEqual(["svc@example.com"]);
  });

  it("names an unknown key in its error", () => {
    expect(failure(parsePolicy({ routse: {} }))).toContain("routse");
    expect(failure(parsePolicy({ routes: { fired: ["slack"] } }))).toContain("fired");
  });

  it("names a value of the wrong type", () => {
    expect(failure(parsePolicy({ routes: { deactivated: "slack" } }))).toContain("deactivated");
    expect(failure(parsePolicy({ hrisCheck: ["sacked"] }))).toContain("hrisCheck");
  });

  it("names a routed sink that does not exist", () => {
    const msg = failure(parsePolicy({ routes: { deactivated: ["jria"] } }, ["slack", "jira"]));
    expect(msg).toContain('routes.deactivated names sink "jria"');
    expect(msg).toContain("slack, jira");
  });

  it("says when the policy text is not JSON", () => {
    expect(failure(parsePolicyJson("{routes:"))).toContain("not JSON");
  });
});
