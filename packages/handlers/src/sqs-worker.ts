/**
 * The SQS worker Lambda (bundled by the CDK stack): one effect runtime per cold start (configuration,
 * secrets and clients built once, refreshed after the secret's TTL), one pipeline run per batch, batch
 * item failures for the records SQS should redeliver. No business logic lives here.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { makeSqsHandler } from "./lambda.ts";
import { lambdaRuntime } from "./runtime.ts";

// The SQS client sets a record's visibility to a vendor's Retry-After when it must wait that long.
export const handler = makeSqsHandler(lambdaRuntime(), { sqs: new SQSClient({}) });
