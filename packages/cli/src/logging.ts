/**
 * effect's own log lines in the CLI (warnings from the pipeline and the adapters) as JSON lines on
 * stderr: a hostile value carrying a newline (an Okta user id, a vendor's error text) stays inside its
 * JSON string and never starts a line of its own. stdout stays for previews, summaries and JSON output.
 * effect's default logger prints the message raw, on stdout.
 */
import { Logger } from "effect";

export const cliLogLayer = Logger.layer([Logger.withConsoleError(Logger.formatJson)]);
