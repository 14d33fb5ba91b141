// The cold-start baseline: a Lambda handler that does nothing but answer "no failures".
export const handler = async (_event, _context) => ({ batchItemFailures: [] });
