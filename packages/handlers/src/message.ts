import type { SQSRecord } from "aws-lambda";

/**
 * One SQS message as the worker needs it, whichever way it arrived: a Lambda SQS event record or an
 * SDK ReceiveMessage result.
 */
export interface QueueMessage {
  readonly messageId: string;
  readonly body: string;
  /** How many times SQS has handed this message out (ApproximateReceiveCount), when known. */
  readonly receiveCount?: number;
}

const count = (raw: string | undefined): number | undefined => {
  const n = raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(n) ? n : undefined;
};

/** From a Lambda SQS event record. */
export const fromLambdaRecord = (record: SQSRecord): QueueMessage => {
  const receiveCount = count(record.attributes?.ApproximateReceiveCount);
  return {
    messageId: record.messageId,
    body: record.body ?? "",
    ...(receiveCount !== undefined && { receiveCount }),
  };
};

/** From an SDK `Message` (ReceiveMessage with MessageSystemAttributeNames ["ApproximateReceiveCount"]). */
export const fromSdkMessage = (message: {
  readonly MessageId?: string | undefined;
  readonly Body?: string | undefined;
  readonly Attributes?: Partial<Record<string, string>> | undefined;
}): QueueMessage => {
  const receiveCount = count(message.Attributes?.ApproximateReceiveCount);
  return {
    messageId: message.MessageId ?? "",
    body: message.Body ?? "",
    ...(receiveCount !== undefined && { receiveCount }),
  };
};
