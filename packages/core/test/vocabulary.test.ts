import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  isLifecycleKind,
  LIFECYCLE_KINDS,
  OFFBOARDING_KINDS,
  type Person,
  personLabel,
  personName,
  RECEIPT_REF,
  refNamesArtefact,
} from "../src/index.ts";

describe("the domain's shared words", () => {
  it("names a person by display name, else login, else id", () => {
    expect(personName({ id: "00u1", login: "jane@acme.com", displayName: "Jane Doe" })).toBe("Jane Doe");
    expect(personName({ id: "00u1", login: "jane@acme.com" })).toBe("jane@acme.com");
    expect(personName({ id: "00u1" })).toBe("00u1");
  });

  it("labels a person with the login beside a different display name only", () => {
    expect(personLabel({ id: "00u1", login: "jane@acme.com", displayName: "Jane Doe" })).toBe(
      "Jane Doe (jane@acme.com)",
    );
    expect(personLabel({ id: "00u1", login: "jane@acme.com", displayName: "jane@acme.com" })).toBe("jane@acme.com");
    expect(personLabel({ id: "00u1" })).toBe("00u1");
  });

  it("labels any person with text that contains their name", () => {
    const person: fc.Arbitrary<Person> = fc.record(
      { id: fc.string({ minLength: 1 }), login: fc.string(), displayName: fc.string() },
      { requiredKeys: ["id"] },
    );
    fc.assert(fc.property(person, (p) => personLabel(p).includes(personName(p))));
  });

  it("tells placeholder receipt refs from refs that name something made", () => {
    for (const ref of Object.values(RECEIPT_REF)) expect(refNamesArtefact(ref)).toBe(false);
    expect(refNamesArtefact("IT-42")).toBe(true);
    expect(refNamesArtefact("1762160412.000100")).toBe(true);
  });

  it("knows exactly the lifecycle kinds, and which of them take access away", () => {
    for (const kind of LIFECYCLE_KINDS) expect(isLifecycleKind(kind)).toBe(true);
    expect(isLifecycleKind("archived")).toBe(false);
    expect(isLifecycleKind(undefined)).toBe(false);
    expect([...OFFBOARDING_KINDS].sort()).toEqual(["deactivated", "deleted", "suspended"]);
  });
});
