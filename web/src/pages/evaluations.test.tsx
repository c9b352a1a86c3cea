// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { dataset, evaluationRun, models, prompt } from "../test-fixtures";
import { fakeApi, renderAs } from "../test-utils";
import { DatasetNewPage } from "./DatasetNewPage";
import { DatasetsPage } from "./DatasetsPage";
import { EvaluationNewPage } from "./EvaluationNewPage";
import { EvaluationRunPage } from "./EvaluationRunPage";
import { EvaluationsPage } from "./EvaluationsPage";

// ECharts needs a laid-out canvas (and ResizeObserver), which jsdom has not; the table carries the numbers.
vi.mock("../components/Chart", () => ({
  default: ({ label }: { label: string }) => <div role="img" aria-label={label} />,
}));

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const json = (body: unknown, status = 200) => Response.json(body, { status });
const bodyOf = (init: RequestInit | undefined) => JSON.parse(String(init?.body)) as Record<string, unknown>;

describe("a new dataset from a file", () => {
  it("lists every bad line with its text, then imports the corrected file into the same dataset", async () => {
    const created: unknown[] = [];
    const imports: Array<Record<string, unknown>> = [];
    vi.stubGlobal(
      "fetch",
      fakeApi({
        "POST /api/v1/datasets": (init: RequestInit | undefined) => {
          created.push(bodyOf(init));
          return json({ ...dataset, item_count: 0 }, 201);
        },
        "POST /api/v1/datasets/ds_1/import": (init: RequestInit | undefined) => {
          imports.push(bodyOf(init));
          if (imports.length === 1) {
            return json(
              {
                error: {
                  code: "validation_failed",
                  message:
                    "The csv file has 2 bad lines; nothing was imported. Line 3: expected 2 fields, found 3",
                  request_id: "req_bad",
                  details: [
                    { line: 3, message: "expected 2 fields, found 3" },
                    { line: 4, message: "metadata: not valid JSON" },
                  ],
                },
              },
              400,
            );
          }
          return json({ imported: 2, dataset }, 201);
        },
      }),
    );
    renderAs("member", <DatasetNewPage />, "/datasets/new");
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "people" } });
    const input = screen.getByLabelText("File (CSV or JSONL)");
    const bad = "name,expected,metadata\nAda,Hi Ada,\nBob,Hi,x,y\nCy,Hey,{oops\n";
    fireEvent.change(input, { target: { files: [new File([bad], "people.csv", { type: "text/csv" })] } });
    fireEvent.click(screen.getByRole("button", { name: "Create and import" }));

    const errors = await screen.findByTestId("import-errors");
    expect(errors.textContent).toContain("people.csv was not imported: 2 bad lines");
    const rows = within(errors).getAllByRole("row").slice(1);
    expect(rows.map((r) => r.textContent)).toEqual([
      "3expected 2 fields, found 3Bob,Hi,x,y",
      "4metadata: not valid JSONCy,Hey,{oops",
    ]);
    expect(errors.textContent).toContain("request req_bad");
    expect(screen.getByText(/was created and is empty/)).toBeTruthy();
    expect(imports[0]).toEqual({ format: "csv", content: bad });

    const good = "name,expected\nAda,Hi Ada\nBob,Hi Bob\n";
    fireEvent.change(input, { target: { files: [new File([good], "fixed.csv")] } });
    fireEvent.click(screen.getByRole("button", { name: "Import file" }));
    await waitFor(() => expect(imports).toHaveLength(2));
    expect(imports[1]).toEqual({ format: "csv", content: good });
    expect(created).toEqual([{ name: "people" }]);
  });

  it("refuses an empty file without creating anything", async () => {
    const fetch = vi.fn(fakeApi({}));
    vi.stubGlobal("fetch", fetch);
    renderAs("member", <DatasetNewPage />, "/datasets/new");
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "x" } });
    fireEvent.change(screen.getByLabelText("File (CSV or JSONL)"), {
      target: { files: [new File(["\n"], "empty.jsonl")] },
    });
    fireEvent.click(screen.getByRole("button", { name: "Create and import" }));
    expect((await screen.findByRole("alert")).textContent).toContain("empty.jsonl is empty");
    expect(fetch).not.toHaveBeenCalled();
  });
});

describe("evaluation runs", () => {
  it("polls a running run every second until it ends, then shows the aggregates per model", async () => {
    let calls = 0;
    vi.stubGlobal(
      "fetch",
      fakeApi({
        "GET /api/v1/evaluations/evr_1": () => json(evaluationRun(++calls < 2 ? "running" : "succeeded")),
        "GET /api/v1/prompts": { data: [prompt], next_cursor: null },
        "GET /api/v1/datasets/ds_1": dataset,
      }),
    );
    renderAs("member", <EvaluationRunPage params={{ id: "evr_1" }} />, "/evaluations/evr_1");
    expect((await screen.findByTestId("progress-text")).textContent).toBe("1 of 4 cells (25%)");
    expect(screen.getByRole("progressbar", { name: "Cells done" }).getAttribute("value")).toBe("25");
    expect(screen.getByRole("button", { name: "Cancel run" })).toBeTruthy();
    expect(screen.getByText("No results yet")).toBeTruthy();

    await waitFor(() => expect(screen.getByTestId("progress-text").textContent).toBe("4 of 4 cells (100%)"), {
      timeout: 3000,
    });
    expect(screen.getByTestId("run-status").textContent).toBe("succeeded");
    expect(screen.queryByRole("button", { name: "Cancel run" })).toBeNull();
    const table = screen.getByTestId("aggregates");
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]?.textContent).toContain("mock/echo");
    expect(rows[0]?.textContent).toContain("100%");
    expect(rows[1]?.textContent).toContain("mock/lorem");
    expect(rows[1]?.textContent).toContain("0%");
    // exact decimal strings as the API sent them
    expect(
      within(rows[1] as HTMLElement)
        .getAllByTestId("cost")
        .map((c) => c.textContent),
    ).toEqual(["$0.000399", "$0.0001995"]);
    const stopped = calls;
    await new Promise((r) => setTimeout(r, 1300));
    expect(calls).toBe(stopped);
  });

  it("hides Cancel from a viewer", async () => {
    vi.stubGlobal(
      "fetch",
      fakeApi({
        "GET /api/v1/evaluations/evr_1": evaluationRun("running"),
        "GET /api/v1/datasets/ds_1": dataset,
      }),
    );
    renderAs("viewer", <EvaluationRunPage params={{ id: "evr_1" }} />, "/evaluations/evr_1");
    await screen.findByTestId("progress-text");
    expect(screen.queryByRole("button", { name: "Cancel run" })).toBeNull();
  });

  it("starts a run of a prompt version × the chosen models on a dataset", async () => {
    let sent: Record<string, unknown> | undefined;
    vi.stubGlobal(
      "fetch",
      fakeApi({
        "GET /api/v1/datasets": { data: [dataset], next_cursor: null },
        "GET /api/v1/prompts": { data: [prompt], next_cursor: null },
        "GET /api/v1/prompts/pmt_1/versions": { data: [] },
        "GET /api/v1/models": { data: models },
        "POST /api/v1/evaluations/batch": (init: RequestInit | undefined) => {
          sent = bodyOf(init);
          return json({ ...evaluationRun("running"), status: "queued" }, 202);
        },
      }),
    );
    renderAs("member", <EvaluationNewPage />, "/evaluations/new?dataset=ds_1");
    const datasetSelect = (await screen.findByLabelText("Dataset")) as HTMLSelectElement;
    expect(datasetSelect.value).toBe("ds_1");
    fireEvent.change(screen.getByLabelText("Prompt 1"), { target: { value: "pmt_1" } });
    fireEvent.click(await screen.findByLabelText("mock/echo"));
    fireEvent.click(screen.getByLabelText("mock/lorem"));
    expect(screen.getByTestId("cell-count").textContent).toContain("= 4 model calls");
    fireEvent.click(screen.getByRole("button", { name: "Start evaluation" }));
    await waitFor(() => expect(sent).toBeTruthy());
    expect(sent).toEqual({
      dataset_id: "ds_1",
      targets: [{ prompt_id: "pmt_1" }],
      models: ["mock/echo", "mock/lorem"],
      evaluators: [{ type: "exact_match" }],
      concurrency: 4,
    });
  });

  it("says what is missing instead of sending an incomplete run", async () => {
    const fetch = vi.fn(
      fakeApi({
        "GET /api/v1/datasets": { data: [dataset], next_cursor: null },
        "GET /api/v1/prompts": { data: [prompt], next_cursor: null },
        "GET /api/v1/models": { data: models },
      }),
    );
    vi.stubGlobal("fetch", fetch);
    renderAs("member", <EvaluationNewPage />, "/evaluations/new?dataset=ds_1");
    fireEvent.change(await screen.findByLabelText("Prompt 1"), { target: { value: "pmt_1" } });
    fireEvent.click(screen.getByRole("button", { name: "Start evaluation" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Choose at least one model.");
    expect(fetch.mock.calls.some(([, init]) => init?.method === "POST")).toBe(false);
  });
});

describe("roles", () => {
  it("offers a member New dataset and New evaluation, and a viewer neither", async () => {
    vi.stubGlobal(
      "fetch",
      fakeApi({
        "GET /api/v1/datasets": { data: [dataset], next_cursor: null },
        "GET /api/v1/evaluations": { data: [evaluationRun("succeeded")], next_cursor: null },
        "GET /api/v1/prompts": { data: [prompt], next_cursor: null },
      }),
    );
    renderAs("member", <DatasetsPage />);
    await screen.findByRole("link", { name: "people" });
    expect(screen.getByRole("link", { name: "New dataset" })).toBeTruthy();
    cleanup();
    renderAs("member", <EvaluationsPage />);
    await screen.findByRole("link", { name: "echo vs lorem" });
    expect(screen.getByRole("link", { name: "New evaluation" })).toBeTruthy();
    expect(screen.getByText("4/4 (100%)")).toBeTruthy();
    cleanup();

    renderAs("viewer", <DatasetsPage />);
    await screen.findByRole("link", { name: "people" });
    expect(screen.queryByRole("link", { name: "New dataset" })).toBeNull();
    cleanup();
    renderAs("viewer", <EvaluationsPage />);
    await screen.findByRole("link", { name: "echo vs lorem" });
    expect(screen.queryByRole("link", { name: "New evaluation" })).toBeNull();
    cleanup();
    renderAs("viewer", <EvaluationNewPage />);
    expect(screen.getByText("Not available to your role")).toBeTruthy();
    cleanup();
    renderAs("viewer", <DatasetNewPage />);
    expect(screen.getByText("Not available to your role")).toBeTruthy();
  });
});
