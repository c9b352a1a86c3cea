// @vitest-environment jsdom
import { cleanup, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Prompt, PromptWithVersion } from "./api/types";
import { Sidebar } from "./components/Shell";
import { ApiKeysPage } from "./pages/ApiKeysPage";
import { MembersPage } from "./pages/MembersPage";
import { PlaygroundPage } from "./pages/PlaygroundPage";
import { PromptDetailPage } from "./pages/PromptDetailPage";
import { PromptsPage } from "./pages/PromptsPage";
import { homePath } from "./routes";
import { fakeApi, meAs, renderAs } from "./test-utils";

const prompt: Prompt = {
  id: "pmt_1",
  name: "Greeter",
  description: "",
  tags: [],
  latest_version: 1,
  labels: { production: 1 },
  created_by_user_id: null,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};
const withVersion: PromptWithVersion = {
  ...prompt,
  version: {
    id: "pv_1",
    prompt_id: "pmt_1",
    version: 1,
    messages: [{ role: "user", content: [{ type: "text", text: "Hi {{name}}" }] }],
    model: "mock/echo",
    params: {},
    variables: ["name"],
    commit_message: "first",
    author_user_id: null,
    author_api_key_id: null,
    created_at: "2026-01-01T00:00:00Z",
  },
};
const members = {
  data: [
    {
      user_id: "usr_2",
      email: "b@example.com",
      name: "B",
      role: "member",
      joined_at: "2026-01-01T00:00:00Z",
    },
  ],
};

beforeEach(() => {
  vi.stubGlobal(
    "fetch",
    fakeApi({
      "GET /api/v1/prompts": { data: [prompt], next_cursor: null },
      "GET /api/v1/prompts/pmt_1": withVersion,
      "GET /api/v1/members": members,
      "GET /api/v1/api-keys": { data: [] },
    }),
  );
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("navigation", () => {
  it("shows a viewer only what a viewer can open", () => {
    renderAs("viewer", <Sidebar />);
    const nav = screen.getByRole("navigation", { name: "Main" });
    const links = within(nav)
      .getAllByRole("link")
      .map((l) => l.textContent);
    expect(links).toEqual(expect.arrayContaining(["Prompts", "Executions", "Members", "Settings"]));
    expect(links).not.toContain("Playground");
    expect(links).not.toContain("API keys");
  });

  it("shows an admin everything, and sends each role to a page it may open", () => {
    renderAs("admin", <Sidebar />);
    const links = within(screen.getByRole("navigation", { name: "Main" }))
      .getAllByRole("link")
      .map((l) => l.textContent);
    expect(links).toEqual(
      expect.arrayContaining(["Playground", "Prompts", "Executions", "API keys", "Members"]),
    );
    expect(homePath(meAs("viewer").permissions)).toBe("/prompts");
    expect(homePath(meAs("member").permissions)).toBe("/playground");
  });
});

describe("prompts", () => {
  it("offers a member New prompt, and a viewer not", async () => {
    renderAs("member", <PromptsPage />);
    await screen.findByRole("link", { name: "Greeter" });
    expect(screen.getByRole("link", { name: "New prompt" })).toBeTruthy();
    cleanup();

    renderAs("viewer", <PromptsPage />);
    await screen.findByRole("link", { name: "Greeter" });
    expect(screen.queryByRole("link", { name: "New prompt" })).toBeNull();
  });

  it("gives a viewer the prompt and its labels, without edit, delete, label or run controls", async () => {
    renderAs("viewer", <PromptDetailPage params={{ id: "pmt_1" }} />);
    await screen.findByRole("heading", { name: "Greeter", level: 1 });
    expect(screen.getByText("production")).toBeTruthy();
    for (const name of ["Edit", "Delete", "Open in playground", "Set label", "Move label"]) {
      expect(screen.queryByRole("link", { name }), name).toBeNull();
      expect(screen.queryByRole("button", { name }), name).toBeNull();
    }
    expect(screen.queryByRole("button", { name: /Remove label/ })).toBeNull();
    expect(screen.queryByRole("textbox")).toBeNull();
  });

  it("gives a member the edit, delete, label and run controls", async () => {
    renderAs("member", <PromptDetailPage params={{ id: "pmt_1" }} />);
    await screen.findByRole("heading", { name: "Greeter", level: 1 });
    expect(screen.getAllByRole("link", { name: "Edit" }).length).toBeGreaterThan(0);
    expect(screen.getByRole("button", { name: "Delete" })).toBeTruthy();
    expect(screen.getByRole("link", { name: "Open in playground" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Move label" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Remove label production" })).toBeTruthy();
  });
});

describe("pages a role may not use", () => {
  it("tells a viewer the playground is not for their role", () => {
    renderAs("viewer", <PlaygroundPage />);
    expect(screen.getByText("Not available to your role")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Run" })).toBeNull();
  });

  it("tells a member API keys are not for their role, and lets an admin create one", async () => {
    renderAs("member", <ApiKeysPage />);
    expect(screen.getByText("Not available to your role")).toBeTruthy();
    cleanup();
    renderAs("admin", <ApiKeysPage />);
    await screen.findByText("No API keys yet");
    expect(screen.getByRole("button", { name: "Create key" })).toBeTruthy();
  });

  it("lets only an owner add members or change roles", async () => {
    renderAs("admin", <MembersPage />);
    await screen.findByText("b@example.com");
    expect(screen.queryByRole("heading", { name: "Add a member" })).toBeNull();
    expect(screen.queryByRole("combobox")).toBeNull();
    expect(screen.queryByRole("button", { name: /^Remove/ })).toBeNull();
    cleanup();
    renderAs("owner", <MembersPage />);
    await screen.findByText("b@example.com");
    expect(screen.getByRole("heading", { name: "Add a member" })).toBeTruthy();
    expect(screen.getByRole("combobox", { name: "Role of b@example.com" })).toBeTruthy();
  });
});
