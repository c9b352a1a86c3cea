import type { ComponentType } from "react";
import type { Permission } from "./api/types";
import { ApiKeysPage } from "./pages/ApiKeysPage";
import { DatasetDetailPage } from "./pages/DatasetDetailPage";
import { DatasetNewPage } from "./pages/DatasetNewPage";
import { DatasetsPage } from "./pages/DatasetsPage";
import { EvaluationNewPage } from "./pages/EvaluationNewPage";
import { EvaluationRunPage } from "./pages/EvaluationRunPage";
import { EvaluationsPage } from "./pages/EvaluationsPage";
import { ExecutionDetailPage } from "./pages/ExecutionDetailPage";
import { ExecutionsPage } from "./pages/ExecutionsPage";
import { MembersPage } from "./pages/MembersPage";
import { PlaygroundPage } from "./pages/PlaygroundPage";
import { PromptDetailPage } from "./pages/PromptDetailPage";
import { PromptNewPage } from "./pages/PromptNewPage";
import { PromptsPage } from "./pages/PromptsPage";
import { SettingsPage } from "./pages/SettingsPage";
import { WorkflowDetailPage } from "./pages/WorkflowDetailPage";
import { WorkflowEditPage } from "./pages/WorkflowEditPage";
import { WorkflowRunPage } from "./pages/WorkflowRunPage";
import { WorkflowsPage } from "./pages/WorkflowsPage";

/**
 * The console's pages and its navigation, in one list. A later page (evaluations, workflows, costs, rate
 * limits, audit log, system health) is one entry here: a path, a component, and a nav item in its
 * section with the permission that shows it.
 */
export type NavSection = "Build" | "Observe" | "Manage";
export const NAV_SECTIONS: readonly NavSection[] = ["Build", "Observe", "Manage"];

export interface PageRoute {
  path: string;
  component: ComponentType<{ params: Record<string, string | undefined> }>;
  nav?: { label: string; section: NavSection; permission?: Permission };
}

export const pages: PageRoute[] = [
  {
    path: "/playground",
    component: PlaygroundPage,
    nav: { label: "Playground", section: "Build", permission: "executions:run" },
  },
  {
    path: "/prompts",
    component: PromptsPage,
    nav: { label: "Prompts", section: "Build", permission: "prompts:read" },
  },
  { path: "/prompts/new", component: PromptNewPage },
  { path: "/prompts/:id/:tab?", component: PromptDetailPage },
  {
    path: "/workflows",
    component: WorkflowsPage,
    nav: { label: "Workflows", section: "Build", permission: "prompts:read" },
  },
  // Fixed paths before the ones with an :id, which would match them too.
  { path: "/workflows/new", component: WorkflowEditPage },
  { path: "/workflows/runs/:runId", component: WorkflowRunPage },
  { path: "/workflows/:id/edit", component: WorkflowEditPage },
  { path: "/workflows/:id", component: WorkflowDetailPage },
  {
    path: "/evaluations",
    component: EvaluationsPage,
    nav: { label: "Evaluations", section: "Build", permission: "executions:read" },
  },
  { path: "/evaluations/new", component: EvaluationNewPage },
  { path: "/evaluations/:id/:tab?", component: EvaluationRunPage },
  {
    path: "/datasets",
    component: DatasetsPage,
    nav: { label: "Datasets", section: "Build", permission: "executions:read" },
  },
  { path: "/datasets/new", component: DatasetNewPage },
  { path: "/datasets/:id", component: DatasetDetailPage },
  {
    path: "/executions",
    component: ExecutionsPage,
    nav: { label: "Executions", section: "Observe", permission: "executions:read" },
  },
  { path: "/executions/:id", component: ExecutionDetailPage },
  {
    path: "/api-keys",
    component: ApiKeysPage,
    nav: { label: "API keys", section: "Manage", permission: "keys:read" },
  },
  {
    path: "/members",
    component: MembersPage,
    nav: { label: "Members", section: "Manage", permission: "members:read" },
  },
  {
    path: "/settings",
    component: SettingsPage,
    nav: { label: "Settings", section: "Manage", permission: "org:read" },
  },
];

/** Where "/" goes: the first page in the navigation that this person may open. */
export function homePath(permissions: readonly Permission[]): string {
  const first = pages.find((p) => p.nav && (!p.nav.permission || permissions.includes(p.nav.permission)));
  return first?.path ?? "/settings";
}
