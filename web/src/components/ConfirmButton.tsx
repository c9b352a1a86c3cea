import { useEffect, useRef, useState } from "react";

/**
 * A destructive action that asks first, in place: no modal, so focus stays where the person is and the
 * keyboard path is Tab/Enter/Escape.
 */
export function ConfirmButton({
  label,
  confirmLabel,
  question,
  onConfirm,
  pending = false,
  accessibleLabel,
  small = true,
}: {
  label: string;
  confirmLabel: string;
  question: string;
  onConfirm: () => void;
  pending?: boolean;
  accessibleLabel?: string;
  /** table rows want the small button; a page's header actions the normal one */
  small?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) cancelRef.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button
        type="button"
        className={`btn btn-danger-outline ${small ? "btn-small" : ""}`}
        onClick={() => setAsking(true)}
        disabled={pending}
        aria-label={accessibleLabel}
      >
        {pending ? "Working…" : label}
      </button>
    );
  }
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: Escape cancels; the buttons inside are the controls
    <span
      className="confirm"
      onKeyDown={(e) => {
        if (e.key === "Escape") setAsking(false);
      }}
    >
      <span className="confirm-question">{question}</span>
      <button
        type="button"
        className={`btn btn-danger ${small ? "btn-small" : ""}`}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>
      <button
        ref={cancelRef}
        type="button"
        className={`btn ${small ? "btn-small" : ""}`}
        onClick={() => setAsking(false)}
      >
        Cancel
      </button>
    </span>
  );
}
