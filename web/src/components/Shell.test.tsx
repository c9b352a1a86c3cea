// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fakeApi, renderAs } from "../test-utils";
import { OrgSwitcher, UserMenu } from "./Shell";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("OrgSwitcher", () => {
  it("shows the one organization as text", () => {
    renderAs("member", <OrgSwitcher />);
    expect(screen.getByText("Acme")).toBeTruthy();
    expect(screen.queryByRole("combobox")).toBeNull();
  });

  it("switches the session's organization", async () => {
    let body: unknown;
    vi.stubGlobal(
      "fetch",
      fakeApi({
        "POST /api/v1/me/organization": (init: RequestInit | undefined) => {
          body = JSON.parse(String(init?.body));
          return Response.json({ organization_id: "org_2" });
        },
      }),
    );
    renderAs("member", <OrgSwitcher />, "/prompts/pmt_1", {
      organizations: [
        { id: "org_1", name: "Acme", slug: "acme", tier: "free", role: "member" },
        { id: "org_2", name: "Beta", slug: "beta", tier: "pro", role: "viewer" },
      ],
    });
    const select = screen.getByRole("combobox", { name: "Organization" });
    fireEvent.change(select, { target: { value: "org_2" } });
    await waitFor(() => expect(body).toEqual({ organization_id: "org_2" }));
  });
});

describe("UserMenu", () => {
  it("opens with the keyboard-reachable button and closes with Escape, returning focus", () => {
    renderAs("admin", <UserMenu />);
    const button = screen.getByRole("button", { name: /A admin/ });
    expect(button.getAttribute("aria-expanded")).toBe("false");
    fireEvent.click(button);
    expect(button.getAttribute("aria-expanded")).toBe("true");
    const signOut = screen.getByRole("button", { name: "Sign out" });
    signOut.focus();
    fireEvent.keyDown(signOut, { key: "Escape" });
    expect(screen.queryByRole("button", { name: "Sign out" })).toBeNull();
    expect(document.activeElement).toBe(button);
  });
});
