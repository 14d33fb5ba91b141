/** Test support shared by the packages' tests. Not published; never imported by src code. */

export * from "./ledger-contract.ts";
export * from "./loopback.ts";
export * from "./moto.ts";
export * from "./okta.ts";
