// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { prompt, workflow, workflowRun } from "../test-fixtures";
import { fakeApi, renderAs } from "../test-utils";
import { WorkflowDetailPage } from "./WorkflowDetailPage";
import { WorkflowEditPage } from "./WorkflowEditPage";
import { WorkflowRunPage } from "./WorkflowRunPage";
import { WorkflowsPage } from "./WorkflowsPage";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const json = (body: unknown, status = 200) => Response.json(body, { status });

describe("a workflow run", () => {
  it("polls until the run ends, then shows every step's status and output and the DAG", async () => {
    let calls = 0;
    vi.stubGlobal(
      "fetch",
      fakeApi({
        "GET /api/v1/workflows/runs/wfr_1": () => json(workflowRun(++calls < 2 ? "running" : "succeeded")),
        "GET /api/v1/workflows/wf_1": workflow,
        "GET /api/v1/prompts": { data: [prompt], next_cursor: null },
      }),
    );
    const { container } = renderAs("member", <WorkflowRunPage params={{ runId: "wfr_1" }} />);
    expect((await screen.findByTestId("progress-text")).textContent).toBe("2 of 3 steps (66%)");
    expect(screen.getByRole("button", { name: "Cancel run" })).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId("run-status").textContent).toBe("succeeded"), {
      timeout: 3000,
    });
    expect(screen.getByTestId("run-output").textContent).toBe("Echo: Hi Ada / ADA");
    const rows = within(screen.getByTestId("steps")).getAllByRole("row").slice(1);
    expect(rows.map((r) => r.getAttribute("data-step"))).toEqual(["greet", "shout", "join"]);
    for (const r of rows) expect(r.textContent).toContain("succeeded");
    expect(rows[0]?.textContent).toContain("$0.0000075");

    expect(container.querySelectorAll(".dag-node")).toHaveLength(3);
    expect(container.querySelectorAll(".dag-node-succeeded")).toHaveLength(3);
    const edges = [...container.querySelectorAll(".dag-edge")].map(
      (e) => `${e.getAttribute("data-from")}→${e.getAttribute("data-to")}`,
    );
    expect(edges).toEqual(["greet→join", "shout→join"]);
    // The drawing is hidden from assistive technology; the list says the same.
    expect(container.querySelector(".dag-svg")?.getAttribute("aria-hidden")).toBe("true");
    const list = screen.getByRole("list", { name: "Steps, in order" });
    expect(
      within(list)
        .getAllByRole("listitem")
        .map((li) => li.textContent),
    ).toEqual([
      "greet: prompt (Greeter), succeeded. Column 1; runs first.",
      "shout: transform (uppercase), succeeded. Column 1; runs first.",
      "join: transform (template), succeeded. Column 2; runs after greet and shout.",
    ]);
  });
});

describe("the workflow form", () => {
  it("shows the API's validation problems under each step, and flags the step in the preview", async () => {
    let sent: Record<string, unknown> | undefined;
    vi.stubGlobal(
      "fetch",
      fakeApi({
        "GET /api/v1/prompts": { data: [prompt], next_cursor: null },
        "POST /api/v1/workflows": (init: RequestInit | undefined) => {
          sent = JSON.parse(String(init?.body));
          return json(
            {
              error: {
                code: "validation_failed",
                message:
                  'Invalid workflow: step "b": unknown input "nope" (declare it in inputs) (and 1 more problem)',
                request_id: "req_wf",
                details: [
                  {
                    step: "b",
                    path: "definition.steps.1.template",
                    message: 'unknown input "nope" (declare it in inputs)',
                  },
                  { step: "a", path: "definition.steps.0", message: "cycle: a → b → a" },
                ],
              },
            },
            400,
          );
        },
      }),
    );
    const { container } = renderAs("member", <WorkflowEditPage params={{}} />, "/workflows/new");
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "loop" } });
    const def = {
      steps: [
        { id: "a", type: "transform", op: "template", template: "{{steps.b.output}}" },
        { id: "b", type: "transform", op: "template", template: "{{steps.a.output}} {{inputs.nope}}" },
      ],
      output: "{{steps.b.output}}",
    };
    fireEvent.change(screen.getByLabelText("Definition (JSON)"), { target: { value: JSON.stringify(def) } });
    expect(container.querySelector(".dag")?.textContent).toContain("wait on each other in a cycle");
    fireEvent.click(screen.getByRole("button", { name: "Create workflow" }));
    const alert = await screen.findByTestId("definition-errors");
    expect(sent).toEqual({ name: "loop", definition: def });
    const groups = within(alert)
      .getAllByRole("listitem")
      .filter((li) => li.parentElement?.className === "issue-groups");
    expect(groups.map((g) => g.textContent)).toEqual([
      "Step “a”cycle: a → b → a",
      'Step “b”template: unknown input "nope" (declare it in inputs)',
    ]);
    expect(alert.textContent).toContain("request req_wf");
    expect(container.querySelectorAll(".dag-node-flagged")).toHaveLength(2);
  });

  it("says where the JSON is broken and does not send it", () => {
    vi.stubGlobal("fetch", fakeApi({ "GET /api/v1/prompts": { data: [], next_cursor: null } }));
    renderAs("member", <WorkflowEditPage params={{}} />, "/workflows/new");
    fireEvent.change(screen.getByLabelText("Definition (JSON)"), {
      target: { value: '{\n  "steps": [,]\n}' },
    });
    expect(screen.getByText(/^Not valid JSON: .*\(line 2, column \d+\)$/)).toBeTruthy();
    expect((screen.getByRole("button", { name: "Create workflow" }) as HTMLButtonElement).disabled).toBe(
      true,
    );
    expect(screen.getByLabelText("Definition (JSON)").getAttribute("aria-invalid")).toBe("true");
  });

  it("adds a prompt step wired to inputs named after its variables", async () => {
    vi.stubGlobal(
      "fetch",
      fakeApi({
        "GET /api/v1/prompts": { data: [prompt], next_cursor: null },
        "GET /api/v1/prompts/pmt_1": {
          ...prompt,
          version: {
            id: "pv_1",
            version: 1,
            variables: ["name"],
            messages: [],
            model: "mock/echo",
            params: {},
          },
        },
      }),
    );
    renderAs("member", <WorkflowEditPage params={{}} />, "/workflows/new");
    await screen.findByRole("option", { name: "Greeter" });
    fireEvent.change(screen.getByLabelText("Add a prompt step"), { target: { value: "pmt_1" } });
    const add = screen.getByRole("button", { name: "Add step" }) as HTMLButtonElement;
    await waitFor(() => expect(add.disabled).toBe(false));
    fireEvent.click(add);
    const text = (screen.getByLabelText("Definition (JSON)") as HTMLTextAreaElement).value;
    const def = JSON.parse(text);
    expect(def.inputs).toEqual([{ name: "topic" }, { name: "name" }]);
    expect(def.steps.at(-1)).toEqual({
      id: "greeter",
      type: "prompt",
      prompt_id: "pmt_1",
      variables: { name: "{{inputs.name}}" },
    });
  });
});

describe("running a workflow", () => {
  it("sends the inputs and leaves blank optional ones to their defaults", async () => {
    let sent: unknown;
    vi.stubGlobal(
      "fetch",
      fakeApi({
        "GET /api/v1/workflows/wf_1": {
          ...workflow,
          definition: {
            ...workflow.definition,
            inputs: [{ name: "name" }, { name: "tone", default: "kind" }],
          },
        },
        "GET /api/v1/workflows/wf_1/runs": { data: [], next_cursor: null },
        "GET /api/v1/prompts": { data: [prompt], next_cursor: null },
        "POST /api/v1/workflows/wf_1/execute": (init: RequestInit | undefined) => {
          sent = JSON.parse(String(init?.body));
          return json(workflowRun("running"), 202);
        },
      }),
    );
    renderAs("member", <WorkflowDetailPage params={{ id: "wf_1" }} />);
    fireEvent.change(await screen.findByLabelText("name"), { target: { value: "Ada" } });
    expect(screen.getByLabelText("tone (optional)").getAttribute("placeholder")).toBe("default: kind");
    fireEvent.click(screen.getByRole("button", { name: "Run workflow" }));
    await waitFor(() => expect(sent).toEqual({ inputs: { name: "Ada" } }));
  });

  it("gives a viewer the graph and runs but no run form, edit or delete", async () => {
    vi.stubGlobal(
      "fetch",
      fakeApi({
        "GET /api/v1/workflows": { data: [workflow], next_cursor: null },
        "GET /api/v1/workflows/wf_1": workflow,
        "GET /api/v1/workflows/wf_1/runs": { data: [workflowRun("succeeded")], next_cursor: null },
        "GET /api/v1/prompts": { data: [prompt], next_cursor: null },
      }),
    );
    const { container } = renderAs("viewer", <WorkflowDetailPage params={{ id: "wf_1" }} />);
    await screen.findByRole("heading", { name: "diamond", level: 1 });
    expect(container.querySelectorAll(".dag-node")).toHaveLength(3);
    await screen.findByText("succeeded");
    for (const name of ["Run workflow", "Delete"]) expect(screen.queryByRole("button", { name })).toBeNull();
    expect(screen.queryByRole("link", { name: "Edit" })).toBeNull();
    cleanup();

    renderAs("viewer", <WorkflowsPage />);
    await screen.findByRole("link", { name: "diamond" });
    expect(screen.queryByRole("link", { name: "New workflow" })).toBeNull();
    cleanup();
    renderAs("member", <WorkflowsPage />);
    await screen.findByRole("link", { name: "diamond" });
    expect(screen.getByRole("link", { name: "New workflow" })).toBeTruthy();
  });
});
