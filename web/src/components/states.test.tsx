// @vitest-environment jsdom
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { ApiError } from "../api/client";
import { ErrorMessage } from "./states";

afterEach(cleanup);

describe("ErrorMessage", () => {
  it("shows the API's message with its code, status and request id", () => {
    render(<ErrorMessage error={new ApiError(409, "conflict", "A prompt with that name exists", "req_9")} />);
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toContain("A prompt with that name exists");
    expect(alert.textContent).toContain("conflict · HTTP 409 · request req_9");
  });

  it("lists field errors and missing variables", () => {
    render(
      <ErrorMessage
        error={
          new ApiError(400, "validation_failed", "Invalid request", "req_1", [
            { path: "body.name", message: "Too short" },
          ])
        }
      />,
    );
    expect(screen.getByText("body.name: Too short")).toBeTruthy();
    cleanup();
    render(
      <ErrorMessage
        error={new ApiError(400, "missing_variables", "Missing", "r", { missing: ["a", "b"] })}
      />,
    );
    expect(screen.getByText("Missing: a, b")).toBeTruthy();
  });

  it("shows any other error's message, and nothing without an error", () => {
    render(<ErrorMessage error={new Error("boom")} />);
    expect(screen.getByRole("alert").textContent).toBe("boom");
    cleanup();
    const { container } = render(<ErrorMessage error={null} />);
    expect(container.textContent).toBe("");
  });
});
