// Placeholder: the SQS worker Lambda entry point (replaced by the handlers work). Exists so the CDK
// stack can bundle it.
export const handler = async (): Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }> => ({
  batchItemFailures: [],
});
