// Documents the contract refuses must not type-check: `power_on` as a string (the document's
// field table says String) and a response without its required `status`.
import type { components } from "./generated/schema";
import wrongRequest from "./examples/wrong-request.json";
import wrongResponse from "./examples/wrong-response.json";

export const request: components["schemas"]["CreateRestoreRequest"] = wrongRequest;
export const response: components["schemas"]["CreateRestoreResult"] = wrongResponse;
