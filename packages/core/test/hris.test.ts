import { describe, expect, it } from "vitest";
import { judgeHris } from "../src/domain/hris.ts";
import { type Employee, hrisLine } from "../src/index.ts";

const jane = (over: Partial<Employee> = {}): Employee => ({
  id: "7",
  email: "jane@example.com",
  status: "active",
  ...over,
});
const today = "2026-11-03";

describe("judging whether HR agrees", () => {
  it("sees drift when Okta deactivates someone HR shows active with no termination date", () => {
    expect(judgeHris("deactivated", jane(), today)).toMatchObject({ _tag: "Drift" });
  });

  it("sees drift when the termination date is still in the future", () => {
    const s = judgeHris("deleted", jane({ terminationDate: "2026-12-01" }), today);
    expect(s).toMatchObject({ _tag: "Drift", summary: "HR shows active until 2026-12-01" });
  });

  it("agrees when the termination date is today or past, even if the status lags", () => {
    expect(judgeHris("deactivated", jane({ terminationDate: today }), today)._tag).toBe("Agrees");
  });

  it("sees drift when Okta reactivates someone HR has terminated", () => {
    const s = judgeHris("reactivated", jane({ status: "inactive", terminationDate: "2026-10-01" }), today);
    expect(s).toMatchObject({ _tag: "Drift", summary: "HR shows terminated (termination date 2026-10-01)" });
    expect(judgeHris("unsuspended", jane(), today)._tag).toBe("Agrees");
  });

  it("words each status for an alert", () => {
    expect(hrisLine({ _tag: "Unavailable", message: "x" })).toBe("HRIS: unavailable");
    expect(hrisLine(judgeHris("deactivated", jane(), today))).toBe(
      "HRIS: DRIFT (HR shows active with no termination date)",
    );
  });
});
