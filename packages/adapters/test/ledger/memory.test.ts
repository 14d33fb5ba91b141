import { DeliveryLedger } from "@offboard/core";
import { describeLedgerContract } from "@offboard/testkit";

describeLedgerContract("the in-memory ledger", () => DeliveryLedger.inMemory());
