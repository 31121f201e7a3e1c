// The contract's documents, read from JSON files, assigned to the types openapi-typescript
// generated. Compiled with the generated types by `tsc` (strict), then run with node: it prints
// what a client sends for each request (JSON text) and what it reads from each response.
import type { components } from "./generated/schema";
import documentRequest from "./examples/document-request.json";
import minimalRequest from "./examples/minimal-request.json";
import documentResponse from "./examples/document-response.json";
import tolerantResponse from "./examples/tolerant-response.json";

type CreateRestoreRequest = components["schemas"]["CreateRestoreRequest"];
type CreateRestoreResult = components["schemas"]["CreateRestoreResult"];

const requests: Record<string, CreateRestoreRequest> = {
  document: documentRequest,
  minimal: minimalRequest,
};
const responses: Record<string, CreateRestoreResult> = {
  document: documentResponse,
  tolerant: tolerantResponse,
};

function read(answer: CreateRestoreResult): Record<string, unknown> {
  const restore = answer.restore;
  return {
    id: restore.id,
    status: restore.status,
    power_on: restore.parameters.power_on,
    volumes: (restore.parameters.targets.volumes ?? []).map((mapping) => mapping.volume_id),
    resources_status: restore.resources_status,
  };
}

const sent: Record<string, unknown> = {};
for (const [name, body] of Object.entries(requests)) {
  sent[name] = JSON.parse(JSON.stringify(body));
}
const readBack: Record<string, unknown> = {};
for (const [name, text] of Object.entries(responses)) {
  readBack[name] = read(JSON.parse(JSON.stringify(text)) as CreateRestoreResult);
}
console.log(JSON.stringify({ sent, read: readBack }));
