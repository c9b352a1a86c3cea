import { useEffect, useState } from "react";

/** Copies `text`; says whether it worked (clipboard access can be refused, e.g. on plain http). */
export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const t = setTimeout(() => setState("idle"), 2000);
    return () => clearTimeout(t);
  }, [state]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState("copied");
    } catch {
      setState("failed");
    }
  };
  return (
    <>
      <button type="button" className="btn btn-small" onClick={copy}>
        {state === "copied" ? "Copied" : label}
      </button>
      <span className="sr-only" role="status">
        {state === "copied" ? "Copied to the clipboard" : ""}
      </span>
      {state === "failed" && <span className="field-error">Copy failed: select the text and copy it</span>}
    </>
  );
}
