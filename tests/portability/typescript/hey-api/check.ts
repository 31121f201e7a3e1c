// The contract's documents, read from JSON files, sent and received through the SDK that
// @hey-api/openapi-ts generated. Compiled with the generated code by `tsc` (strict), then run
// with node. The SDK's fetch is replaced by one that records the request and answers with a
// response document, so the output shows what the generated client sends and what it reads.
import { createClient } from "./generated/client";
import { createRestore } from "./generated";
import type { CreateRestoreRequest, CreateRestoreResult } from "./generated";
import documentRequest from "./examples/document-request.json";
import minimalRequest from "./examples/minimal-request.json";
import documentResponse from "./examples/document-response.json";
import tolerantResponse from "./examples/tolerant-response.json";
import pathParameters from "./examples/path-parameters.json";

const TOKEN = "t0ken";

interface Exchange {
  method: string;
  url: string;
  headers: Record<string, string>;
  sent: unknown;
  read: Record<string, unknown>;
}

async function exchange(body: CreateRestoreRequest, answer: CreateRestoreResult): Promise<Exchange> {
  let seen: Request | undefined;
  let sent: unknown;
  const client = createClient({
    baseUrl: "https://csbs.example.invalid",
    auth: TOKEN,
    fetch: async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      seen = new Request(input, init);
      sent = JSON.parse(await seen.clone().text());
      return new Response(JSON.stringify(answer), {
        status: 200,
        headers: { "Content-Type": "application/json", "X-Request-Id": "req-1" },
      });
    },
  });
  const result = await createRestore({ client, path: pathParameters, body, throwOnError: true });
  const restore = result.data.restore;
  if (seen === undefined) {
    throw new Error("the SDK sent no request");
  }
  return {
    method: seen.method,
    url: seen.url,
    headers: Object.fromEntries(seen.headers.entries()),
    sent,
    read: {
      id: restore.id,
      status: restore.status,
      power_on: restore.parameters.power_on,
      volumes: (restore.parameters.targets.volumes ?? []).map((mapping) => mapping.volume_id),
      resources_status: restore.resources_status,
    },
  };
}

async function main(): Promise<Record<string, Exchange>> {
  return {
    document: await exchange(documentRequest, documentResponse),
    minimal: await exchange(minimalRequest, tolerantResponse),
  };
}

// A rejection is unhandled and ends node with a non-zero status.
void main().then((exchanges) => console.log(JSON.stringify(exchanges)));
