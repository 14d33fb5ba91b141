/**
 * `@offboard/adapters/slack`: the Slack sink (a Block Kit alert per event, follow-ups threaded on the
 * first alert). Imports `@slack/web-api`, and no other vendor's SDK.
 *
 * @example
 * ```ts
 * import { makeSlackSink } from "@offboard/adapters/slack";
 * import { Redacted } from "effect";
 *
 * const slack = makeSlackSink({ token: Redacted.make(process.env.SLACK_BOT_TOKEN!), channelId: "C0123456789", … });
 * ```
 *
 * @packageDocumentation
 */
export { slackSink } from "./definition.ts";
export { SLACK_SINK, type SlackSettings } from "./settings.ts";
export { makeSlackSink } from "./sink.ts";
