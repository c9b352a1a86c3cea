import { describe, expect, it } from "vitest";
import {
  extractVariables,
  formToParams,
  paramsToForm,
  toApiMessages,
  toEditable,
  versionAsText,
} from "./template";

describe("extractVariables", () => {
  it("finds placeholders like the server does, sorted and once each", () => {
    expect(
      extractVariables([
        { text: "Hi {{ name }}, {{name}} and {{user.city}}" },
        { text: "{{_x-1}} {{1bad}} {{}}" },
      ]),
    ).toEqual(["_x-1", "name", "user.city"]);
  });
});

describe("messages", () => {
  it("round-trips text messages and keeps image parts", () => {
    const image = { type: "image", source: { kind: "url", url: "https://x/y.png" } };
    const editable = toEditable([
      { role: "system", content: [{ type: "text", text: "Be brief" }] },
      { role: "user", content: [{ type: "text", text: "Look" }, image] },
    ]);
    expect(editable[1]).toEqual({ role: "user", text: "Look", otherParts: [image] });
    expect(toApiMessages(editable)).toEqual([
      { role: "system", content: "Be brief" },
      { role: "user", content: [{ type: "text", text: "Look" }, image] },
    ]);
  });
});

describe("params", () => {
  it("leaves empty fields to the model's default", () => {
    expect(formToParams({ temperature: "", max_tokens: " ", top_p: "", stop: "" })).toEqual({
      params: {},
      errors: {},
    });
  });

  it("converts and validates with the API's bounds", () => {
    expect(
      formToParams({ temperature: "0.7", max_tokens: "256", top_p: "1", stop: "END, ###" }).params,
    ).toEqual({
      temperature: 0.7,
      max_tokens: 256,
      top_p: 1,
      stop: ["END", "###"],
    });
    const { errors } = formToParams({ temperature: "3", max_tokens: "1.5", top_p: "x", stop: "" });
    expect(Object.keys(errors).sort()).toEqual(["max_tokens", "temperature", "top_p"]);
  });

  it("round-trips through the form", () => {
    const p = { temperature: 0.2, stop: ["a", "b"] };
    expect(formToParams(paramsToForm(p)).params).toEqual(p);
  });
});

describe("versionAsText", () => {
  it("lists model, sorted params and each message under its role", () => {
    expect(
      versionAsText({
        model: "mock/echo",
        params: { temperature: 0.5, max_tokens: 10 },
        messages: [{ role: "user", content: [{ type: "text", text: "a\nb" }] }],
      }),
    ).toBe("model: mock/echo\nmax_tokens: 10\ntemperature: 0.5\n\n[user]\na\nb");
  });
});
