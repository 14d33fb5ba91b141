/**
 * Okta's Event Hooks API (`/api/v1/eventHooks`) over the one Okta client: create, update, verify,
 * deactivate and delete the hook that points at offboard's receiver. Needs a credential that may manage
 * event hooks (a super admin's API token, or `okta.eventHooks.manage` for a service app).
 */
import type { OktaClient, RequestHints } from "./client.ts";
import { OktaApiError } from "./errors.ts";

export interface EventHookSpec {
  readonly name: string;
  /** The receiver's https URL. */
  readonly uri: string;
  readonly eventTypes: ReadonlyArray<string>;
  /** The static header Okta sends on every request, and its value (the shared secret). */
  readonly headerName: string;
  readonly secret: string;
}

export interface EventHook {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly verificationStatus: string;
  readonly uri: string;
}

export interface OktaEventHookClient {
  readonly findByName: (name: string) => Promise<EventHook | undefined>;
  readonly get: (id: string) => Promise<EventHook | undefined>;
  readonly create: (spec: EventHookSpec) => Promise<EventHook>;
  readonly replace: (id: string, spec: EventHookSpec) => Promise<EventHook>;
  /** Okta sends the one-time verification GET to the receiver; fails when the receiver does not answer it. */
  readonly verify: (id: string) => Promise<EventHook>;
  readonly activate: (id: string) => Promise<EventHook>;
  readonly deactivate: (id: string) => Promise<EventHook>;
  /** `false` when the hook was already gone (404). */
  readonly delete: (id: string) => Promise<boolean>;
}

const HINTS: RequestHints = {
  on403:
    "The credential may not manage event hooks: use a super administrator's API token (or grant okta.eventHooks.manage to an OAuth service app).",
};

const body = (spec: EventHookSpec) => ({
  name: spec.name,
  events: { type: "EVENT_TYPE", items: [...spec.eventTypes] },
  channel: {
    type: "HTTP",
    version: "1.0.0",
    config: { uri: spec.uri, headers: [], authScheme: { type: "HEADER", key: spec.headerName, value: spec.secret } },
  },
});

const parse = (json: unknown, operation: string): EventHook => {
  const o = (typeof json === "object" && json !== null ? json : {}) as Record<string, unknown>;
  if (typeof o.id !== "string" || typeof o.name !== "string") {
    throw new OktaApiError({
      message: `Okta ${operation} returned an unexpected body (no id or name)`,
      operation,
      status: 200,
      failure: "permanent",
    });
  }
  const channel = (o.channel ?? {}) as { config?: { uri?: unknown } };
  return {
    id: o.id,
    name: o.name,
    status: typeof o.status === "string" ? o.status : "",
    verificationStatus: typeof o.verificationStatus === "string" ? o.verificationStatus : "",
    uri: typeof channel.config?.uri === "string" ? channel.config.uri : "",
  };
};

export const oktaEventHooks = (okta: OktaClient): OktaEventHookClient => {
  const path = (id: string) => `/api/v1/eventHooks/${encodeURIComponent(id)}`;
  const call = async (operation: string, method: string, p: string, b?: unknown) =>
    parse((await okta.request(operation, method, p, b, HINTS)).json, operation);
  const isNotFound = (e: unknown) => e instanceof OktaApiError && e.status === 404;
  return {
    findByName: async (name) => {
      const res = await okta.request("list event hooks", "GET", "/api/v1/eventHooks", undefined, HINTS);
      const items = Array.isArray(res.json) ? res.json : [];
      return items.map((i) => parse(i, "list event hooks")).find((h) => h.name === name);
    },
    get: async (id) => {
      try {
        return await call("get event hook", "GET", path(id));
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    create: (spec) => call("create event hook", "POST", "/api/v1/eventHooks", body(spec)),
    replace: (id, spec) => call("replace event hook", "PUT", path(id), body(spec)),
    verify: (id) => call("verify event hook", "POST", `${path(id)}/lifecycle/verify`),
    activate: (id) => call("activate event hook", "POST", `${path(id)}/lifecycle/activate`),
    deactivate: (id) => call("deactivate event hook", "POST", `${path(id)}/lifecycle/deactivate`),
    delete: async (id) => {
      try {
        await okta.request("delete event hook", "DELETE", path(id), undefined, HINTS);
        return true;
      } catch (e) {
        if (isNotFound(e)) return false;
        throw e;
      }
    },
  };
};
