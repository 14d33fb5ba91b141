/** One moto_server for the whole test run, shared by every file through `useMoto()` (vitest `inject`). */
export { motoGlobalSetup as default } from "@offboard/testkit";
