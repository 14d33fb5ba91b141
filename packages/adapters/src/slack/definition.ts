import type { SinkDefinition } from "../sink-definition.ts";
import { SLACK_SINK, type SlackSettings } from "./settings.ts";
import { makeSlackSink } from "./sink.ts";

/**
 * The Slack sink's configuration: active with SLACK_BOT_TOKEN and SLACK_CHANNEL_ID; rows in
 * docs/configuration.md.
 */
export const slackSink: SinkDefinition<SlackSettings> = {
  name: SLACK_SINK,
  keys: [
    { name: "SLACK_BOT_TOKEN", secret: true, description: "Bot token (xoxb-…) with chat:write, member of the channel" },
    { name: "SLACK_CHANNEL_ID", secret: false, description: "Channel id (C…) the alerts go to, not a #name" },
    {
      name: "SLACK_API_URL",
      secret: false,
      default: "https://slack.com/api/",
      description: "Base URL of Slack's Web API, for proxies and tests",
    },
  ],
  requires: ["SLACK_BOT_TOKEN", "SLACK_CHANNEL_ID"],
  read: (r, common) => {
    const token = r.redacted("SLACK_BOT_TOKEN");
    const channelId = r.string("SLACK_CHANNEL_ID");
    if (channelId !== undefined && !/^[A-Z0-9]{9,}$/.test(channelId)) {
      r.problems.push(
        "SLACK_CHANNEL_ID must be a channel id such as C0123456789 (in Slack: channel details, bottom of the About tab), not a #name",
      );
    }
    const apiUrl = r.url("SLACK_API_URL", { credentials: true });
    if (token === undefined || channelId === undefined) return undefined;
    return {
      token,
      channelId,
      ...(apiUrl !== undefined ? { apiUrl: `${apiUrl}/` } : {}),
      timeZone: common.timeZone,
      ...(common.oktaOrgUrl !== undefined ? { oktaOrgUrl: common.oktaOrgUrl } : {}),
      timeoutMs: 4_000,
      maxRetries: 2,
    };
  },
  make: makeSlackSink,
  describe: (s) =>
    `channel ${s.channelId}${s.apiUrl !== undefined ? ` via ${s.apiUrl}` : ""}, times also in ${s.timeZone}`,
};
