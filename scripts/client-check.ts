// Compile check for the generated TypeScript types (make client): a few
// typed uses an SPA would write. It fails to compile when the document and
// these expectations drift apart.
import type { components, operations, paths } from "./api";

type Course = components["schemas"]["Course"];
type PageBody = paths["/api/v1/courses/published"]["get"]["responses"][200]["content"]["application/json"];
type SignUp = NonNullable<operations["signUp"]["requestBody"]>["content"]["application/json"];
type ApiError = components["schemas"]["Error"];

const signUp: SignUp = { name: "Ada Lovelace", email: "ada@example.com", password: "correct horse battery", role: "student" };

function titles(body: PageBody): string[] {
  const pages: number = body.data.pagination.pages;
  return body.data.courses.map((c: Course) => `${c.title} (${c.level}, ${pages} pages)`);
}

function describe(e: ApiError): string {
  const status: "fail" | "error" = e.status;
  return `${status}: ${e.message}${e.code ? ` [${e.code}]` : ""}`;
}

export { signUp, titles, describe };
