import type { SinkDefinition } from "../sink-definition.ts";
import {
  DEFAULT_SLACK_DIGEST_THRESHOLD,
  DEFAULT_SLACK_DIGEST_UPDATE_SECONDS,
  DEFAULT_SLACK_DIGEST_WINDOW_SECONDS,
  DEFAULT_SLACK_POST_INTERVAL_MS,
  SLACK_SINK,
  type SlackSettings,
} from "./settings.ts";
import { makeSlackSink } from "./sink.ts";

/**
 * The Slack sink's configuration: active with SLACK_BOT_TOKEN and SLACK_CHANNEL_ID; rows in
 * docs/configuration.md.
 */
export const slackSink: SinkDefinition<SlackSettings> = {
  name: SLACK_SINK,
  keys: [
    {
      name: "SLACK_BOT_TOKEN",
      secret: true,
      description: "Bot token (xoxb-…) with chat:write, channels:history and files:write, member of the channel",
    },
    { name: "SLACK_CHANNEL_ID", secret: false, description: "Channel id (C…) the alerts go to, not a #name" },
    {
      name: "SLACK_API_URL",
      secret: false,
      default: "https://slack.com/api/",
      description: "Base URL of Slack's Web API, for proxies and tests",
    },
    {
      name: "SLACK_DIGEST_THRESHOLD",
      secret: false,
      default: String(DEFAULT_SLACK_DIGEST_THRESHOLD),
      description: "Alerts per window above which further alerts join one digest message; 0 turns digests off",
    },
    {
      name: "SLACK_DIGEST_WINDOW_SECONDS",
      secret: false,
      default: String(DEFAULT_SLACK_DIGEST_WINDOW_SECONDS),
      description: "The digest window, by the events' Okta published time",
    },
    {
      name: "SLACK_POST_INTERVAL_MS",
      secret: false,
      default: String(DEFAULT_SLACK_POST_INTERVAL_MS),
      description:
        "The shared pace of chat.postMessage per channel, for every worker: one post per this many ms (bursts of 2); 0 turns pacing off",
    },
    {
      name: "SLACK_DIGEST_UPDATE_SECONDS",
      secret: false,
      default: String(DEFAULT_SLACK_DIGEST_UPDATE_SECONDS),
      description: "The least time between two rewrites of a digest message",
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
    const digestThreshold = r.int("SLACK_DIGEST_THRESHOLD", 0, DEFAULT_SLACK_DIGEST_THRESHOLD);
    const digestWindowSeconds = r.int("SLACK_DIGEST_WINDOW_SECONDS", 10, DEFAULT_SLACK_DIGEST_WINDOW_SECONDS);
    const digestUpdateSeconds = r.int("SLACK_DIGEST_UPDATE_SECONDS", 1, DEFAULT_SLACK_DIGEST_UPDATE_SECONDS);
    const postIntervalMs = r.int("SLACK_POST_INTERVAL_MS", 0, DEFAULT_SLACK_POST_INTERVAL_MS);
    if (token === undefined || channelId === undefined) return undefined;
    return {
      token,
      channelId,
      ...(apiUrl !== undefined ? { apiUrl: `${apiUrl}/` } : {}),
      timeZone: common.timeZone,
      ...(common.oktaOrgUrl !== undefined ? { oktaOrgUrl: common.oktaOrgUrl } : {}),
      timeoutMs: 4_000,
      maxRetries: 2,
      digestThreshold,
      digestWindowMs: digestWindowSeconds * 1000,
      digestUpdateMs: digestUpdateSeconds * 1000,
      paceIntervalMs: postIntervalMs,
      paceBurst: 2,
      maxWaitMs: 2_000,
    };
  },
  make: makeSlackSink,
  describe: (s) =>
    `channel ${s.channelId}${s.apiUrl !== undefined ? ` via ${s.apiUrl}` : ""}, times also in ${s.timeZone}, ${
      s.digestThreshold > 0 ? `digest above ${s.digestThreshold} alerts per ${s.digestWindowMs / 1000} s` : "no digests"
    }`,
};
