/**
 * @offboard/testkit: test support shared by the packages' tests (not published; never imported by src
 * code): moto_server, loopback HTTP servers that speak the vendors' documented shapes, the ledger
 * contract every DeliveryLedger passes, and factories for Okta payloads and delivery contexts.
 *
 * @packageDocumentation
 */

export {
  deliverEventHook,
  type FakeEventHook,
  type FakeLogEvent,
  type FakeOkta,
  type FakeStream,
  fakeLogEvent,
  type RecordedCall,
  startFakeOkta,
} from "./fake-okta.ts";
export {
  type FakeSlack,
  type FakeSlackCall,
  type FakeSlackFile,
  type FakeSlackMessage,
  type FakeSlackOptions,
  type SlackFault,
  startFakeSlack,
} from "./fake-slack.ts";
export { describeLedgerContract, type LedgerLayerFactory } from "./ledger-contract.ts";
export { type Handler, type Loopback, type RecordedRequest, type Reply, startLoopback } from "./loopback.ts";
export {
  freePort,
  type Moto,
  type MotoFixture,
  motoAvailable,
  motoGlobalSetup,
  type SharedMoto,
  startMoto,
  useMoto,
} from "./moto.ts";
export {
  BASE_TIME,
  type DeliveryContextSpec,
  deliveryContext,
  envelope,
  hookPayload,
  LIFECYCLE_TYPES,
  type OktaEvent,
  type OktaEventSpec,
  offboardingEvent,
  oktaEvent,
  oktaUser,
  oktaUserId,
  PARTNER_SOURCE,
  subjectIdOf,
  type UserSpec,
} from "./okta.ts";
